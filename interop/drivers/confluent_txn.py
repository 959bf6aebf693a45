#!/usr/bin/env python3
"""Transactions with confluent-kafka (venv 2.16, or Debian's 1.7.0 under /usr/bin/python3).

`PYTHON confluent_txn.py produce SPEC OUT`: one transactional producer runs the spec's
transactions in order, committing or aborting each as the spec says.
  SPEC: {"bootstrap", "topic", "transactional_id", "timeout", "create": {"partitions"} | null,
         "transactions": [{"commit": bool, "records": [{"partition", "value"}]}]}
  OUT:  {"ended": [true for each transaction that committed or aborted as asked], "errors": [str]}

`PYTHON confluent_txn.py read SPEC OUT`: a consumer with `isolation.level` reads every partition
from the beginning to its end (the last stable offset for read_committed).
  SPEC: {"bootstrap", "topic", "partitions", "isolation", "timeout"}
  OUT:  {"records": [{"partition", "offset", "value"}], "complete": bool, "error": str|null}

`PYTHON confluent_txn.py seed SPEC OUT`: an idempotent producer writes "in-P-I" (I < count) to each
partition P of the input topic, which it creates.
  SPEC: {"bootstrap", "topic", "partitions", "count", "timeout", "create": {"partitions"}}
  OUT:  {"errors": [str]}

`PYTHON confluent_txn.py pipeline SPEC OUT`: consume-transform-produce, exactly once: a read_committed
consumer of the input topic (static member `instance` of `group`) and a transactional producer;
each transaction writes "out-" + each consumed value to the same partition of the output topic and
sends the consumer's positions with send_offsets_to_transaction, then commits. It stops once its
positions reach the input's end. With `crash_after` N, the process kills itself with SIGKILL in
transaction N (counting from 0), after its records were delivered and before it commits: a zombie
whose transaction the next run's init_transactions must abort.
  SPEC: {"bootstrap", "input", "output", "partitions", "group", "instance", "transactional_id", "batch",
         "crash_after": int|null, "timeout", "progress": path|null (gets the count of committed transactions),
         "limit": path|null (while it holds a number N, no transaction past the Nth is begun)}
  OUT:  {"transactions": int, "committed": {partition: offset}, "errors": [str]}
"""
import os
import signal
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from confluent_driver import create_topic, version  # noqa: E402

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition  # noqa: E402


def produce(spec):
    deadline = common.Deadline(spec["timeout"])
    if spec.get("create"):
        create_topic(spec, deadline)
    p = Producer({"bootstrap.servers": spec["bootstrap"], "transactional.id": spec["transactional_id"],
                  "linger.ms": 5, "message.timeout.ms": int(spec["timeout"] * 1000),
                  # librdkafka refuses a message timeout above the transaction timeout (default 60 s).
                  "transaction.timeout.ms": max(60000, int(spec["timeout"] * 1000))})
    ended, errors = [], []
    p.init_transactions(deadline.left())
    for txn in spec["transactions"]:
        try:
            p.begin_transaction()
            for r in txn["records"]:
                p.produce(spec["topic"], value=common.unb64(r["value"]), partition=r["partition"])
                p.poll(0)
            if txn["commit"]:
                p.commit_transaction(deadline.left())
            else:
                # Deliver first, so that the aborted records are in the log (an abort purges what
                # was not sent). Without it, librdkafka 2.0.2 may send EndTxn(abort) right behind an
                # AddPartitionsToTxn the coordinator refuses while the previous commit completes, and
                # then gets INVALID_TXN_STATE, as it would from Kafka.
                p.flush(deadline.left())
                p.abort_transaction(deadline.left())
            ended.append(True)
        except Exception as e:  # a failed transaction is reported, the run goes on
            errors.append("%s: %s" % (type(e).__name__, e))
            ended.append(False)
            try:
                p.abort_transaction(deadline.left())
            except Exception as e2:
                errors.append("abort after failure: %s" % e2)
    return {"ended": ended, "errors": errors}


def read(spec):
    deadline = common.Deadline(spec["timeout"])
    c = Consumer({"bootstrap.servers": spec["bootstrap"], "group.id": "interop-txn-" + uuid.uuid4().hex,
                  "enable.auto.commit": False, "enable.partition.eof": True, "fetch.wait.max.ms": 100,
                  "isolation.level": spec["isolation"]})
    c.assign([TopicPartition(spec["topic"], p, OFFSET_BEGINNING) for p in spec["partitions"]])
    records, at_end, error = [], set(), None
    while len(at_end) < len(spec["partitions"]) and not deadline.passed():
        for m in c.consume(num_messages=500, timeout=0.5):
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(m.partition())
                else:
                    error = "%s [%s]: %s" % (m.topic(), m.partition(), m.error())
                continue
            at_end.discard(m.partition())
            records.append({"partition": m.partition(), "offset": m.offset(), "value": common.b64(m.value())})
        if error:
            break
    c.close()
    complete = len(at_end) == len(spec["partitions"])
    if not complete and not error:
        error = "timed out before the end of partitions %s" % sorted(set(spec["partitions"]) - at_end)
    return {"records": records, "complete": complete, "error": error}


def seed(spec):
    deadline = common.Deadline(spec["timeout"])
    if spec.get("create"):
        create_topic(spec, deadline)
    errors = []
    p = Producer({"bootstrap.servers": spec["bootstrap"], "enable.idempotence": True, "linger.ms": 5})

    def delivered(err, msg):
        if err is not None:
            errors.append(str(err))

    for i in range(spec["count"]):
        for partition in range(spec["partitions"]):
            p.produce(spec["topic"], value=("in-%d-%d" % (partition, i)).encode(), partition=partition, on_delivery=delivered)
        p.poll(0)
    if p.flush(deadline.left()) > 0:
        errors.append("not delivered before the timeout")
    return {"errors": errors}


def pipeline(spec):
    deadline = common.Deadline(spec["timeout"])
    c = Consumer({"bootstrap.servers": spec["bootstrap"], "group.id": spec["group"], "group.instance.id": spec["instance"],
                  # Kafka's default: a coordinator failover (about 10 s after a kill -9) must not end the
                  # session, or librdkafka drops its member id and the static member fences itself.
                  "session.timeout.ms": 45000, "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "isolation.level": "read_committed", "fetch.wait.max.ms": 100})
    p = Producer({"bootstrap.servers": spec["bootstrap"], "transactional.id": spec["transactional_id"], "linger.ms": 5,
                  "transaction.timeout.ms": 60000})
    p.init_transactions(deadline.left())
    c.subscribe([spec["input"]])
    transactions, errors = 0, []

    def caught_up():
        """Whether every input partition is assigned here and consumed (or committed) to its end."""
        assignment = c.assignment()
        if len(assignment) != spec["partitions"]:
            return False
        committed = c.committed(assignment, timeout=deadline.left())
        for tp, pos, done in zip(assignment, c.position(assignment), committed):
            _, high = c.get_watermark_offsets(tp, timeout=deadline.left(), cached=False)
            if max(pos.offset, done.offset, 0) < high:
                return False
        return True

    def held():
        """Whether the spec's "limit" file (a number of transactions) says to wait before the next one:
        the test paces the run so that its faults fall between transactions it counts."""
        try:
            with open(spec["limit"]) as f:
                return transactions >= int(f.read())
        except (KeyError, FileNotFoundError, ValueError):
            return False

    while not deadline.passed():
        if held():
            time.sleep(0.05)
            continue
        messages = [m for m in c.consume(num_messages=spec["batch"], timeout=0.5) if not m.error()]
        if not messages:
            if caught_up():
                break
            continue
        p.begin_transaction()
        for m in messages:
            p.produce(spec["output"], key=m.value(), value=b"out-" + m.value(), partition=m.partition())
        if spec.get("crash_after") is not None and transactions == spec["crash_after"]:
            p.flush(deadline.left())
            os.kill(os.getpid(), signal.SIGKILL)
        positions = [tp for tp in c.position(c.assignment()) if tp.offset >= 0]
        p.send_offsets_to_transaction(positions, c.consumer_group_metadata(), deadline.left())
        p.commit_transaction(deadline.left())
        transactions += 1
        if spec.get("progress"):
            with open(spec["progress"] + ".tmp", "w") as f:
                f.write("%d\n" % transactions)
            os.replace(spec["progress"] + ".tmp", spec["progress"])
    if deadline.passed():
        errors.append("timed out before reaching the input's end")
    committed = {tp.partition: tp.offset for tp in c.committed(c.assignment(), timeout=deadline.left())}
    c.close()
    return {"transactions": transactions, "committed": committed, "errors": errors}


if __name__ == "__main__":
    sys.exit(common.txn_main(version, {"produce": produce, "read": read, "seed": seed, "pipeline": pipeline}))

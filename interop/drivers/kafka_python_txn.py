#!/usr/bin/env python3
"""Transactions with kafka-python 3.x (venv): the same actions and files as confluent_txn.py.

`produce SPEC OUT`: one transactional producer runs the spec's transactions in order, committing or
aborting each; the topic exists already. `read SPEC OUT`: a consumer with `isolation_level` reads
every partition from the beginning to its end offset (the last stable offset for read_committed),
going by the consumer's position, which moves past markers and aborted records.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import kafka  # noqa: E402
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402


def version():
    return {"name": "kafka-python", "version": kafka.__version__}


def produce(spec):
    p = KafkaProducer(bootstrap_servers=spec["bootstrap"], transactional_id=spec["transactional_id"], acks="all",
                      enable_idempotence=True, linger_ms=5, request_timeout_ms=30000)
    p.init_transactions()
    ended, errors = [], []
    for txn in spec["transactions"]:
        try:
            p.begin_transaction()
            for r in txn["records"]:
                p.send(spec["topic"], value=common.unb64(r["value"]), partition=r["partition"])
            if txn["commit"]:
                p.commit_transaction()
            else:
                p.flush()  # the aborted records are in the log, so read_uncommitted sees them
                p.abort_transaction()
            ended.append(True)
        except Exception as e:  # noqa: BLE001 - a failed transaction is reported, the run goes on
            errors.append("%s: %s" % (type(e).__name__, e))
            ended.append(False)
    p.close(timeout=5)
    return {"ended": ended, "errors": errors}


def read(spec):
    deadline = common.Deadline(spec["timeout"])
    c = KafkaConsumer(bootstrap_servers=spec["bootstrap"], group_id=None, enable_auto_commit=False,
                      fetch_max_wait_ms=100, isolation_level=spec["isolation"])
    tps = [TopicPartition(spec["topic"], p) for p in spec["partitions"]]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    end = c.end_offsets(tps)
    records, error = [], None
    while any(c.position(tp) < end[tp] for tp in tps) and not deadline.passed():
        try:
            batch = c.poll(timeout_ms=500)
        except Exception as e:  # noqa: BLE001
            error = "%s: %s" % (type(e).__name__, e)
            break
        for tp, msgs in sorted(batch.items(), key=lambda kv: kv[0].partition):
            for m in msgs:
                records.append({"partition": m.partition, "offset": m.offset, "value": common.b64(m.value)})
    complete = all(c.position(tp) >= end[tp] for tp in tps)
    c.close()
    if not complete and not error:
        error = "timed out before the end offsets %s" % {tp.partition: o for tp, o in end.items()}
    return {"records": records, "complete": complete, "error": error}


if __name__ == "__main__":
    sys.exit(common.txn_main(version, {"produce": produce, "read": read}))

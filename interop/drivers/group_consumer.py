#!/usr/bin/env python3
"""One consumer-group member for the group tests (interop/test_groups.py), for three libraries:

    PYTHON group_consumer.py LIB version
    PYTHON group_consumer.py LIB SPEC.json         LIB: confluent | kafka-python | aiokafka

It subscribes to spec["topic"] as a member of spec["group"] and loops: poll a batch, process
every record (append it to the events file), then commit the processed offsets synchronously
(explicit offsets: the processed record + 1 per partition) before the next poll. Partitions
being revoked get the same commit in the revoke callback (a no-op here, since every batch is
committed before the next poll, where rebalances happen). It stops when spec["stop_file"]
appears, after spec["max_records"] records (the rest of that batch is not processed nor
committed), or at spec["timeout"]; then it closes the consumer ("close": a dynamic member sends
LeaveGroup, a static one does not) or, with "close": "abort", exits without closing.

Spec: {"bootstrap", "topic", "group", "client_id", "instance_id": str|null, "session_timeout_ms",
  "heartbeat_interval_ms" (null: the client's default), "events": path, "stop_file": path,
  "max_records": int|null, "close": "close"|"abort", "timeout": seconds,
  "group_protocol": "consumer" (confluent only; KIP-848, session and heartbeat are the broker's),
  "remote_assignor": str|null}
With "group_protocol": "consumer" assignments are incremental: assigned/revoked carry only the
change, and a "holding {partitions}" event follows each with everything the member then holds.

Events file: one JSON object per line, flushed as written, each with "t" (time.time()) and "ev":
  start {client, pid}   subscribe   assigned {partitions, generation, member_id}   revoked {partitions}
  lost {partitions}     record {p, o, k}   commit {offsets: {p: next offset}, error, ms}
  error {error}         stats {cgrp} (librdkafka's group state when it changes)
  stopping {reason}     closed {records}
Generation and member id come from the clients' internals where there is no public API (null
for librdkafka). Runs on any Python 3 (Debian's /usr/bin/python3 with kafka-python 2.0.2 and
confluent-kafka 1.7.0 too). Exit code 0, or 2 after 20 consecutive poll errors, 3 at the timeout.
"""
import json
import os
import sys
import threading
import time

POLL_S = 0.2
BATCH = 100


class Events:
    def __init__(self, path):
        self.f = open(path, "a")
        self.lock = threading.Lock()

    def __call__(self, ev, **fields):
        fields["t"] = time.time()
        fields["ev"] = ev
        line = json.dumps(fields)
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()


def key_text(k):
    return None if k is None else k.decode("utf-8", "replace")


class Loop:
    """The library-independent part: stop conditions, record processing, commit bookkeeping."""

    def __init__(self, spec, ev):
        self.spec, self.ev = spec, ev
        self.count = 0
        self.deadline = time.time() + spec.get("timeout", 240)
        self.errors_in_a_row = 0
        self.exit_code = 0

    def stop_reason(self):
        if self.spec.get("max_records") is not None and self.count >= self.spec["max_records"]:
            return "max_records"
        if os.path.exists(self.spec["stop_file"]):
            return "stop_file"
        if time.time() > self.deadline:
            self.exit_code = 3
            return "timeout"
        if self.errors_in_a_row >= 20:
            self.exit_code = 2
            return "errors"
        return None

    def process(self, records):
        """records: [(partition, offset, key)] in delivery order; returns {partition: next offset}
        of those processed (stops at max_records)."""
        done = {}
        for p, o, k in records:
            if self.spec.get("max_records") is not None and self.count >= self.spec["max_records"]:
                break
            self.ev("record", p=p, o=o, k=key_text(k))
            self.count += 1
            done[p] = o + 1
        return done

    def poll_failed(self, e):
        self.errors_in_a_row += 1
        self.ev("error", error="poll: %s: %s" % (type(e).__name__, e))
        time.sleep(0.5)


# ---------------------------------------------------------------- confluent-kafka (librdkafka)

def confluent_version():
    import confluent_kafka
    v = confluent_kafka.version()
    return {"name": "confluent-kafka", "version": v[0] if isinstance(v, tuple) else v,
            "librdkafka": confluent_kafka.libversion()[0]}


def run_confluent(spec, ev):
    from confluent_kafka import Consumer, KafkaException, TopicPartition
    loop = Loop(spec, ev)
    topic = spec["topic"]
    last_cgrp = {}

    def on_error(err):
        ev("error", error="client: %s" % err)

    def on_stats(text):
        try:
            cgrp = json.loads(text).get("cgrp") or {}
        except ValueError:
            return
        brief = {k: cgrp.get(k) for k in ("state", "join_state", "rebalance_cnt", "assignment_size")}
        if brief != last_cgrp:
            last_cgrp.clear()
            last_cgrp.update(brief)
            ev("stats", cgrp=cgrp)

    conf = {"bootstrap.servers": spec["bootstrap"], "group.id": spec["group"], "client.id": spec["client_id"],
            "enable.auto.commit": False, "enable.auto.offset.store": False, "auto.offset.reset": "earliest",
            "error_cb": on_error, "stats_cb": on_stats, "statistics.interval.ms": 1000}
    if spec.get("instance_id"):
        conf["group.instance.id"] = spec["instance_id"]
    incremental = spec.get("group_protocol") == "consumer"
    if incremental:
        conf["group.protocol"] = "consumer"
        if spec.get("remote_assignor"):
            conf["group.remote.assignor"] = spec["remote_assignor"]
    else:
        if spec.get("session_timeout_ms"):
            conf["session.timeout.ms"] = spec["session_timeout_ms"]
        if spec.get("heartbeat_interval_ms"):
            conf["heartbeat.interval.ms"] = spec["heartbeat_interval_ms"]
    c = Consumer(conf)
    pending = {}
    held = set()

    def commit(offsets, why):
        if not offsets:
            return True
        t0 = time.time()
        error = None
        try:
            res = c.commit(offsets=[TopicPartition(topic, p, o) for p, o in sorted(offsets.items())],
                           asynchronous=False)
            bad = ["%d: %s" % (tp.partition, tp.error) for tp in res or [] if tp.error is not None]
            error = "; ".join(bad) or None
        except KafkaException as e:
            error = str(e)
        ev("commit", offsets={str(p): o for p, o in offsets.items()}, error=error, why=why,
           ms=round((time.time() - t0) * 1000, 1))
        return error is None

    def on_assign(consumer, partitions):
        ev("assigned", partitions=sorted(tp.partition for tp in partitions), generation=None, member_id=None)
        if incremental:
            held.update(tp.partition for tp in partitions)
            ev("holding", partitions=sorted(held))

    def on_revoke(consumer, partitions):
        gone = {tp.partition for tp in partitions}
        mine = {p: o for p, o in pending.items() if p in gone}
        if mine and commit(mine, "revoke"):
            for p in mine:
                pending.pop(p, None)
        ev("revoked", partitions=sorted(gone))
        if incremental:
            held.difference_update(gone)
            ev("holding", partitions=sorted(held))

    def on_lost(consumer, partitions):
        ev("lost", partitions=sorted(tp.partition for tp in partitions))
        if incremental:
            held.difference_update(tp.partition for tp in partitions)
            ev("holding", partitions=sorted(held))

    ev("subscribe")
    try:
        c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    except TypeError:  # a confluent-kafka without on_lost
        c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    while True:
        reason = loop.stop_reason()
        if reason:
            break
        try:
            msgs = c.consume(num_messages=BATCH, timeout=POLL_S)
        except KafkaException as e:
            loop.poll_failed(e)
            continue
        loop.errors_in_a_row = 0
        good = []
        for m in msgs:
            if m.error():
                ev("error", error="consume: %s" % m.error())
                continue
            good.append((m.partition(), m.offset(), m.key()))
        pending.update(loop.process(good))
        if commit(dict(pending), "batch"):
            pending.clear()
    ev("stopping", reason=reason)
    if spec.get("close", "close") == "abort":
        ev("closed", records=loop.count, aborted=True)
        os._exit(loop.exit_code)
    c.close()
    ev("closed", records=loop.count)
    return loop.exit_code


# ---------------------------------------------------------------- kafka-python (3.x and 2.0.2)

def kafka_python_version():
    import kafka
    return {"name": "kafka-python", "version": kafka.__version__}


def run_kafka_python(spec, ev):
    from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    loop = Loop(spec, ev)
    topic = spec["topic"]
    conf = {"bootstrap_servers": spec["bootstrap"], "group_id": spec["group"], "client_id": spec["client_id"],
            "enable_auto_commit": False, "auto_offset_reset": "earliest"}
    if spec.get("instance_id"):
        conf["group_instance_id"] = spec["instance_id"]  # 3.x only
    if spec.get("session_timeout_ms"):
        conf["session_timeout_ms"] = spec["session_timeout_ms"]
    if spec.get("heartbeat_interval_ms"):
        conf["heartbeat_interval_ms"] = spec["heartbeat_interval_ms"]
    c = KafkaConsumer(**conf)
    pending = {}

    def oam(o):
        try:
            return OffsetAndMetadata(o, "", -1)  # 3.x: offset, metadata, leader epoch
        except TypeError:
            return OffsetAndMetadata(o, "")  # 2.0.2

    def generation():
        try:
            g = c._coordinator._generation
            return g.generation_id, g.member_id
        except AttributeError:
            return None, None

    def commit(offsets, why):
        if not offsets:
            return True
        t0 = time.time()
        error = None
        try:
            c.commit({TopicPartition(topic, p): oam(o) for p, o in offsets.items()})
        except Exception as e:  # noqa: BLE001 - reported in the events
            error = "%s: %s" % (type(e).__name__, e)
        ev("commit", offsets={str(p): o for p, o in offsets.items()}, error=error, why=why,
           ms=round((time.time() - t0) * 1000, 1))
        return error is None

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            gone = {tp.partition for tp in revoked}
            mine = {p: o for p, o in pending.items() if p in gone}
            if mine and commit(mine, "revoke"):
                for p in mine:
                    pending.pop(p, None)
            ev("revoked", partitions=sorted(gone))

        def on_partitions_assigned(self, assigned):
            gen, member = generation()
            ev("assigned", partitions=sorted(tp.partition for tp in assigned), generation=gen, member_id=member)

        def on_partitions_lost(self, lost):  # 3.x
            ev("lost", partitions=sorted(tp.partition for tp in lost))

    ev("subscribe")
    c.subscribe([topic], listener=Listener())
    while True:
        reason = loop.stop_reason()
        if reason:
            break
        try:
            batch = c.poll(timeout_ms=int(POLL_S * 1000), max_records=BATCH)
        except Exception as e:  # noqa: BLE001
            loop.poll_failed(e)
            continue
        loop.errors_in_a_row = 0
        msgs = sorted((m for ms in batch.values() for m in ms), key=lambda m: (m.partition, m.offset))
        pending.update(loop.process([(m.partition, m.offset, m.key) for m in msgs]))
        if commit(dict(pending), "batch"):
            pending.clear()
    ev("stopping", reason=reason)
    if spec.get("close", "close") == "abort":
        ev("closed", records=loop.count, aborted=True)
        os._exit(loop.exit_code)
    c.close(autocommit=False)
    ev("closed", records=loop.count)
    return loop.exit_code


# ---------------------------------------------------------------- aiokafka

def aiokafka_version():
    import aiokafka
    return {"name": "aiokafka", "version": aiokafka.__version__}


def run_aiokafka(spec, ev):
    import asyncio
    return asyncio.run(_aiokafka(spec, ev))


async def _aiokafka(spec, ev):
    from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
    loop = Loop(spec, ev)
    topic = spec["topic"]
    conf = {"bootstrap_servers": spec["bootstrap"], "group_id": spec["group"], "client_id": spec["client_id"],
            "enable_auto_commit": False, "auto_offset_reset": "earliest"}
    if spec.get("instance_id"):
        conf["group_instance_id"] = spec["instance_id"]
    if spec.get("session_timeout_ms"):
        conf["session_timeout_ms"] = spec["session_timeout_ms"]
    if spec.get("heartbeat_interval_ms"):
        conf["heartbeat_interval_ms"] = spec["heartbeat_interval_ms"]
    c = AIOKafkaConsumer(**conf)
    pending = {}

    async def commit(offsets, why):
        if not offsets:
            return True
        t0 = time.time()
        error = None
        try:
            await c.commit({TopicPartition(topic, p): o for p, o in offsets.items()})
        except Exception as e:  # noqa: BLE001 - reported in the events
            error = "%s: %s" % (type(e).__name__, e)
        ev("commit", offsets={str(p): o for p, o in offsets.items()}, error=error, why=why,
           ms=round((time.time() - t0) * 1000, 1))
        return error is None

    class Listener(ConsumerRebalanceListener):
        async def on_partitions_revoked(self, revoked):
            gone = {tp.partition for tp in revoked}
            mine = {p: o for p, o in pending.items() if p in gone}
            if mine and await commit(mine, "revoke"):
                for p in mine:
                    pending.pop(p, None)
            ev("revoked", partitions=sorted(gone))

        async def on_partitions_assigned(self, assigned):
            coord = getattr(c, "_coordinator", None)
            ev("assigned", partitions=sorted(tp.partition for tp in assigned),
               generation=getattr(coord, "generation", None), member_id=getattr(coord, "member_id", None))

    await c.start()
    ev("subscribe")
    c.subscribe([topic], listener=Listener())
    while True:
        reason = loop.stop_reason()
        if reason:
            break
        try:
            batch = await c.getmany(timeout_ms=int(POLL_S * 1000), max_records=BATCH)
        except Exception as e:  # noqa: BLE001
            loop.poll_failed(e)
            continue
        loop.errors_in_a_row = 0
        msgs = sorted((m for ms in batch.values() for m in ms), key=lambda m: (m.partition, m.offset))
        pending.update(loop.process([(m.partition, m.offset, m.key) for m in msgs]))
        if await commit(dict(pending), "batch"):
            pending.clear()
    ev("stopping", reason=reason)
    if spec.get("close", "close") == "abort":
        ev("closed", records=loop.count, aborted=True)
        os._exit(loop.exit_code)
    await c.stop()
    ev("closed", records=loop.count)
    return loop.exit_code


LIBS = {"confluent": (confluent_version, run_confluent),
        "kafka-python": (kafka_python_version, run_kafka_python),
        "aiokafka": (aiokafka_version, run_aiokafka)}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in LIBS:
        raise SystemExit("usage: group_consumer.py (%s) (version | SPEC.json)" % " | ".join(LIBS))
    version, run = LIBS[sys.argv[1]]
    if sys.argv[2] == "version":
        print(json.dumps(version()))
        return 0
    with open(sys.argv[2]) as f:
        spec = json.load(f)
    ev = Events(spec["events"])
    ev("start", client=version(), pid=os.getpid())
    try:
        return run(spec, ev)
    except Exception as e:  # noqa: BLE001 - the test reads the reason from the events
        ev("error", error="fatal: %s: %s" % (type(e).__name__, e))
        raise


if __name__ == "__main__":
    sys.exit(main())

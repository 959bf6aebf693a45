#!/usr/bin/env python3
"""kafka-python driver: the venv's 3.x and Debian's 2.0.2 under /usr/bin/python3.

2.0.2 has no idempotent producer (`enable_idempotence` is an unknown option there); 3.x turns
idempotence on by default, so the option is always passed to it explicitly.

A spec's optional `api_version` (e.g. [0, 10]) pins the protocol as an old application does:
(0, 9) produces and fetches magic 0 message sets (Produce v1, Fetch v1), (0, 10) magic 1
(Produce v2, Fetch v2); before (0, 10, 1) there is no ListOffsets v1, so `read` stops at the
spec's `expect` count per partition instead of asking for the end offsets.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import kafka  # noqa: E402
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

MAJOR = int(kafka.__version__.split(".")[0])


def version():
    return {"name": "kafka-python", "version": kafka.__version__}


def pinned(spec):
    """The client options that pin the protocol version, when the spec asks for one."""
    return {"api_version": tuple(spec["api_version"])} if spec.get("api_version") else {}


def create_topic(spec, deadline):
    n = spec["create"]["partitions"]
    admin = KafkaAdminClient(bootstrap_servers=spec["bootstrap"], request_timeout_ms=15000)
    admin.create_topics([NewTopic(spec["topic"], num_partitions=n, replication_factor=1)], timeout_ms=15000)
    admin.close()
    c = KafkaConsumer(bootstrap_servers=spec["bootstrap"])
    try:
        while True:
            parts = c.partitions_for_topic(spec["topic"])
            if parts is not None and len(parts) == n:
                return
            if deadline.passed():
                raise SystemExit("topic %s not visible with %d partitions: %r" % (spec["topic"], n, parts))
            time.sleep(0.1)
    finally:
        c.close()


def produce(spec):
    deadline = common.Deadline(spec["timeout"])
    if spec.get("create"):
        create_topic(spec, deadline)
    conf = {"bootstrap_servers": spec["bootstrap"], "acks": "all", "linger_ms": 20,
            "compression_type": None if spec["codec"] == "none" else spec["codec"]}
    conf.update(pinned(spec))
    if MAJOR >= 3:
        conf["enable_idempotence"] = bool(spec["idempotent"])
    elif spec["idempotent"]:
        raise SystemExit("kafka-python %s has no idempotent producer" % kafka.__version__)
    p = KafkaProducer(**conf)
    futures = [(i, p.send(spec["topic"], key=key, value=value, partition=partition, headers=headers))
               for i, partition, key, value, headers in common.spec_records(spec)]
    p.flush(timeout=deadline.left())
    acks, errors = [], []
    for i, f in futures:
        try:
            md = f.get(timeout=deadline.left())
            acks.append({"index": i, "partition": md.partition, "offset": md.offset})
        except Exception as e:  # noqa: BLE001 - every failure is reported per record
            errors.append({"index": i, "error": "%s: %s" % (type(e).__name__, e)})
    p.close(timeout=5)
    return {"acks": acks, "errors": errors}


def read(spec):
    deadline = common.Deadline(spec["timeout"])
    topic, digest = spec["topic"], spec.get("digest", False)
    c = KafkaConsumer(bootstrap_servers=spec["bootstrap"], group_id=None, enable_auto_commit=False,
                      fetch_max_wait_ms=100, check_crcs=True, **pinned(spec))
    tps = [TopicPartition(topic, p) for p in spec["partitions"]]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    if spec.get("expect") is not None:
        high = {int(p): n for p, n in spec["expect"].items()}
    else:
        high = {tp.partition: off for tp, off in c.end_offsets(tps).items()}
    records, position, error = [], {p: 0 for p in spec["partitions"]}, None
    while any(position[p] < high[p] for p in high) and not deadline.passed():
        try:
            batch = c.poll(timeout_ms=500)
        except Exception as e:  # noqa: BLE001
            error = "%s: %s" % (type(e).__name__, e)
            break
        for tp, msgs in sorted(batch.items(), key=lambda kv: kv[0].partition):
            for m in msgs:
                records.append(common.read_record(m.partition, m.offset, m.key, m.value, m.headers, digest))
                position[m.partition] = m.offset + 1
    c.close()
    complete = all(position[p] >= high[p] for p in high)
    if not complete and not error:
        error = "timed out at positions %s of high watermarks %s" % (position, high)
    return {"records": records, "high": high, "complete": complete, "error": error}


if __name__ == "__main__":
    sys.exit(common.main(version, produce, read))

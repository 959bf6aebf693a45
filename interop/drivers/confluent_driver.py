#!/usr/bin/env python3
"""confluent-kafka (librdkafka) driver: the venv's 2.16 and Debian's 1.7.0 under /usr/bin/python3.

Reads by partition assignment. confluent-kafka refuses a Consumer without group.id, so a
throw-away one is set, but nothing subscribes or commits: no group request is needed.
"""
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import confluent_kafka  # noqa: E402
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def version():
    v = confluent_kafka.version()  # (str, int) in 1.x, str in recent 2.x
    return {"name": "confluent-kafka", "version": v[0] if isinstance(v, tuple) else v,
            "librdkafka": confluent_kafka.libversion()[0]}


def create_topic(spec, deadline):
    admin = AdminClient({"bootstrap.servers": spec["bootstrap"]})
    n = spec["create"]["partitions"]
    configs = spec["create"].get("configs") or {}
    rf = spec["create"].get("replication_factor", 1)
    for _, f in admin.create_topics([NewTopic(spec["topic"], num_partitions=n, replication_factor=rf, config=configs)],
                                    request_timeout=15).items():
        f.result(timeout=deadline.left())
    while True:  # wait until metadata shows every partition with a leader
        md = admin.list_topics(topic=spec["topic"], timeout=deadline.left())
        t = md.topics.get(spec["topic"])
        if t is not None and t.error is None and len(t.partitions) == n and \
                all(p.leader >= 0 for p in t.partitions.values()):
            return
        if deadline.passed():
            raise SystemExit("topic %s not visible with %d partitions: %r" % (spec["topic"], n, t))
        time.sleep(0.1)


def produce(spec):
    deadline = common.Deadline(spec["timeout"])
    if spec.get("create"):
        create_topic(spec, deadline)
    conf = {"bootstrap.servers": spec["bootstrap"], "acks": "all", "linger.ms": 20,
            "compression.type": spec["codec"], "enable.idempotence": bool(spec["idempotent"]),
            "message.timeout.ms": int(spec["timeout"] * 1000)}
    conf.update(spec.get("producer_conf") or {})  # a test's own batching, e.g. small batches
    p = Producer(conf)
    acks, errors = [], []

    def report(index):
        def dr(err, msg):
            if err is not None:
                errors.append({"index": index, "error": str(err)})
            else:
                acks.append({"index": index, "partition": msg.partition(), "offset": msg.offset()})
        return dr

    for i, partition, key, value, headers in common.spec_records(spec):
        p.produce(spec["topic"], value=value, key=key, partition=partition,
                  headers=headers or None, on_delivery=report(i))
        p.poll(0)
    left = p.flush(deadline.left())
    if left:
        errors.append({"index": None, "error": "%d records still unacknowledged at the timeout" % left})
    return {"acks": acks, "errors": errors}


def read(spec):
    deadline = common.Deadline(spec["timeout"])
    c = Consumer({"bootstrap.servers": spec["bootstrap"], "group.id": "interop-assign-" + uuid.uuid4().hex,
                  "enable.auto.commit": False, "enable.auto.offset.store": False,
                  "enable.partition.eof": True, "fetch.wait.max.ms": 100, "check.crcs": True})
    topic, digest = spec["topic"], spec.get("digest", False)
    high = {}
    for p in spec["partitions"]:
        high[p] = c.get_watermark_offsets(TopicPartition(topic, p), timeout=deadline.left(), cached=False)[1]
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in spec["partitions"]])
    records, position, error = [], {p: 0 for p in spec["partitions"]}, None
    while any(position[p] < high[p] for p in high) and not deadline.passed():
        for m in c.consume(num_messages=500, timeout=0.5):
            if m.error():
                if m.error().code() != KafkaError._PARTITION_EOF:
                    error = "%s [%s]: %s" % (m.topic(), m.partition(), m.error())
                continue
            records.append(common.read_record(m.partition(), m.offset(), m.key(), m.value(), m.headers(), digest))
            position[m.partition()] = m.offset() + 1
        if error:
            break
    c.close()
    complete = all(position[p] >= high[p] for p in high)
    if not complete and not error:
        error = "timed out at positions %s of high watermarks %s" % (position, high)
    return {"records": records, "high": high, "complete": complete, "error": error}


if __name__ == "__main__":
    sys.exit(common.main(version, produce, read))

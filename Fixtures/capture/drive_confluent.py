#!/usr/bin/env python3
"""Drive confluent-kafka (librdkafka) through one capture scenario.

Works with the venv's confluent-kafka 2.x and with Debian's python3-confluent-kafka 1.7.0
(run that one with /usr/bin/python3). Exits 0 only when the scenario really happened.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture_records import records  # noqa: E402

import confluent_kafka  # noqa: E402
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # noqa: E402


def _cfk_version():
    v = confluent_kafka.version()  # a (str, int) tuple in 1.x, a str in recent 2.x
    return v[0] if isinstance(v, tuple) else v


def slug():
    return "confluent-kafka-%s-librdkafka-%s" % (_cfk_version(), confluent_kafka.libversion()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", default="127.0.0.1:19092")
    ap.add_argument("--scenario")
    ap.add_argument("--topic")
    ap.add_argument("--group")
    ap.add_argument("--codec", default="none")
    ap.add_argument("--idempotent", action="store_true")
    ap.add_argument("--expect", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=40)
    ap.add_argument("--print-id", action="store_true", help="print SLUG<TAB>VERSION and exit")
    a = ap.parse_args()
    if a.print_id:
        print("%s\t%s" % (slug(), "confluent-kafka %s, librdkafka %s" % (_cfk_version(), confluent_kafka.libversion()[0])))
        return 0
    deadline = time.time() + a.timeout
    base = {"bootstrap.servers": a.bootstrap, "client.id": "confluent-capture"}

    if a.scenario == "bootstrap-metadata":
        md = AdminClient(base).list_topics(timeout=15)
        print("brokers=%s topics=%s" % (sorted(md.brokers), sorted(md.topics)))
        if not md.brokers:
            raise SystemExit("no brokers in metadata")

    elif a.scenario == "create-topics":
        admin = AdminClient(base)
        nt = NewTopic(a.topic, num_partitions=3, replication_factor=1,
                      config={"retention.ms": "3600000", "cleanup.policy": "delete"})
        for t, f in admin.create_topics([nt], request_timeout=15).items():
            f.result(timeout=20)
            print("created", t)
        md = admin.list_topics(topic=a.topic, timeout=15)
        n = len(md.topics[a.topic].partitions)
        if n != 3:
            raise SystemExit("expected 3 partitions, got %d" % n)
        for res, f in admin.describe_configs([ConfigResource("topic", a.topic)]).items():
            cfg = f.result(timeout=20)
            if cfg["retention.ms"].value != "3600000":
                raise SystemExit("retention.ms not described back: %r" % cfg["retention.ms"].value)
            print("configs", sorted(cfg))

    elif a.scenario.startswith("produce"):
        conf = dict(base, **{"compression.type": a.codec, "acks": "all", "linger.ms": 50})
        if a.idempotent:
            conf["enable.idempotence"] = True
        p = Producer(conf)
        acked, errors = [], []

        def dr(err, msg):
            (errors if err else acked).append(err or (msg.partition(), msg.offset()))

        n = 0
        for key, value, headers in records(slug(), a.scenario):
            p.produce(a.topic, value=value, key=key, headers=headers or None, on_delivery=dr)
            n += 1
        left = p.flush(max(1.0, deadline - time.time()))
        if errors or left or len(acked) != n:
            raise SystemExit("delivery failed: acked=%d errors=%s unflushed=%d" % (len(acked), errors, left))
        print("acked", acked)

    elif a.scenario == "group-consume-commit":
        c = Consumer(dict(base, **{"group.id": a.group, "auto.offset.reset": "earliest",
                                   "enable.auto.commit": False, "fetch.wait.max.ms": 200}))
        c.subscribe([a.topic])
        got = 0
        while got < a.expect and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                print("consumer error:", m.error(), file=sys.stderr)
                continue
            got += 1
        if got < a.expect:
            raise SystemExit("consumed %d of %d records" % (got, a.expect))
        committed = c.commit(asynchronous=False)
        print("consumed %d, committed %s" % (got, [(t.partition, t.offset) for t in committed]))
        c.close()
    else:
        raise SystemExit("unknown scenario %r" % a.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())

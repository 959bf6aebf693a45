#!/usr/bin/env python3
"""Drive kafka-python through one capture scenario.

Works with the venv's kafka-python 3.x and with Debian's python3-kafka 2.0.2 (run that one
with /usr/bin/python3). Exits 0 only when the scenario really happened.
"""
import argparse
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture_records import records  # noqa: E402

import kafka  # noqa: E402
from kafka import KafkaConsumer, KafkaProducer  # noqa: E402
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic  # noqa: E402


def slug():
    return "kafka-python-%s" % kafka.__version__


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
    ap.add_argument("--debug", action="store_true")
    a = ap.parse_args()
    if a.print_id:
        print("%s\t%s" % (slug(), "kafka-python %s" % kafka.__version__))
        return 0
    logging.basicConfig(level=logging.DEBUG if a.debug else logging.WARNING)
    deadline = time.time() + a.timeout
    base = {"bootstrap_servers": a.bootstrap, "client_id": "kafka-python-capture"}

    if a.scenario == "bootstrap-metadata":
        c = KafkaConsumer(**base)
        topics = c.topics()
        print("topics=%s" % sorted(topics))
        c.close()

    elif a.scenario == "describe-cluster":  # DescribeCluster API in kafka-python 3.x (2.0.2 uses Metadata)
        admin = KafkaAdminClient(**base)
        desc = admin.describe_cluster()
        print("describe_cluster ->", desc)
        if "cluster_id" not in repr(desc):
            raise SystemExit("no cluster id described")
        admin.close()

    elif a.scenario == "create-topics":
        admin = KafkaAdminClient(**base)
        nt = NewTopic(a.topic, num_partitions=3, replication_factor=1,
                      topic_configs={"retention.ms": "3600000", "cleanup.policy": "delete"})
        res = admin.create_topics([nt], timeout_ms=15000)
        print("create_topics ->", res)
        desc = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, a.topic)])
        text = repr(desc)
        if "3600000" not in text:
            raise SystemExit("retention.ms not described back: %s" % text)
        print("describe_configs ok")
        admin.close()

    elif a.scenario.startswith("produce"):
        conf = dict(base, acks="all", linger_ms=50,
                    compression_type=None if a.codec == "none" else a.codec)
        if a.idempotent:
            conf["enable_idempotence"] = True
        p = KafkaProducer(**conf)
        futures = [p.send(a.topic, key=k, value=v, headers=h) for k, v, h in records(slug(), a.scenario)]
        p.flush(timeout=max(1.0, deadline - time.time()))
        acked = [(md.partition, md.offset) for md in (f.get(timeout=5) for f in futures)]
        print("acked", acked)
        p.close(timeout=5)

    elif a.scenario == "group-consume-commit":
        c = KafkaConsumer(a.topic, group_id=a.group, auto_offset_reset="earliest", enable_auto_commit=False,
                          fetch_max_wait_ms=200, heartbeat_interval_ms=200, **base)
        got = 0
        while got < a.expect and time.time() < deadline:
            for tp, msgs in c.poll(timeout_ms=500).items():
                got += len(msgs)
        idle_until = time.time() + 0.7  # keep polling briefly, so the capture includes a Heartbeat
        while time.time() < idle_until:
            for tp, msgs in c.poll(timeout_ms=100).items():
                got += len(msgs)
        if got < a.expect:
            raise SystemExit("consumed %d of %d records" % (got, a.expect))
        c.commit()  # synchronous
        print("consumed %d, committed %s" % (got, {tp: c.committed(tp) for tp in c.assignment()}))
        c.close()
    else:
        raise SystemExit("unknown scenario %r" % a.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())

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


def topic_admin(a, base, admin):
    """Create a 2-partition topic, grow it to 4, alter its configs (IncrementalAlterConfigs, 3.x),
    read them back, delete records up to the high watermark (3.x), delete the topic."""
    from kafka.admin import NewPartitions
    v3 = hasattr(admin, "delete_records")
    admin.create_topics([NewTopic(a.topic, num_partitions=2, replication_factor=1)], timeout_ms=15000)
    print("create_partitions ->", admin.create_partitions({a.topic: NewPartitions(4)}, timeout_ms=15000))
    if v3:
        # 3.x picks IncrementalAlterConfigs when the broker offers it; (op, value) pairs, DELETE sends null.
        res = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, a.topic, configs={
            "retention.ms": ("SET", "7200000"), "cleanup.policy": ("DELETE", None)})])
        print("alter_configs ->", res)
    desc = repr(admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, a.topic)]))
    if v3 and "7200000" not in desc:
        raise SystemExit("retention.ms not altered: %s" % desc)
    print("describe_configs ->", desc)
    if v3:
        from kafka import TopicPartition
        deleted = admin.delete_records({TopicPartition(a.topic, 0): -1, TopicPartition(a.topic, 1): -1})
        print("delete_records ->", deleted)
    print("delete_topics ->", admin.delete_topics([a.topic], timeout_ms=15000))
    if a.topic in admin.list_topics():
        raise SystemExit("topic %s still listed after delete_topics" % a.topic)


def group_admin(a, base, admin):
    """Commit offsets for a group without members (admin alter_group_offsets in 3.x, an assigned
    consumer's commit in 2.0.2), list groups (3.x also with state and type filters), describe the
    group, read its offsets, delete one partition's offset (OffsetDelete, 3.x), delete the group."""
    from kafka import TopicPartition
    from kafka.structs import OffsetAndMetadata
    v3 = hasattr(admin, "delete_group_offsets")
    admin.create_topics([NewTopic(a.topic, num_partitions=2, replication_factor=1)], timeout_ms=15000)
    wanted = {TopicPartition(a.topic, 0): 3, TopicPartition(a.topic, 1): 5}
    if v3:
        admin.alter_group_offsets(a.group, {tp: OffsetAndMetadata(o, "", -1) for tp, o in wanted.items()})
        listed = [g["group_id"] for g in admin.list_groups()]
        empty = [g["group_id"] for g in admin.list_groups(states_filter=["Empty"], types_filter=["classic"])]
        if a.group not in listed or a.group not in empty:
            raise SystemExit("group %s not listed: all %s, empty classic %s" % (a.group, listed, empty))
        print("described", admin.describe_groups([a.group]))
        got = admin.list_group_offsets(a.group)[a.group]
    else:
        c = KafkaConsumer(group_id=a.group, enable_auto_commit=False, **base)
        c.assign(list(wanted))
        c.commit({tp: OffsetAndMetadata(o, "") for tp, o in wanted.items()})
        c.close()
        listed = [g[0] for g in admin.list_consumer_groups()]
        if a.group not in listed:
            raise SystemExit("group %s not listed: %s" % (a.group, listed))
        print("described", admin.describe_consumer_groups([a.group]))
        got = admin.list_consumer_group_offsets(a.group)
    offsets = {tp: om.offset for tp, om in got.items()}
    if offsets != wanted:
        raise SystemExit("offsets read back %s, expected %s" % (offsets, wanted))
    if v3:
        print("delete_group_offsets ->", admin.delete_group_offsets(a.group, [TopicPartition(a.topic, 1)]))
        left = {tp.partition for tp in admin.list_group_offsets(a.group)[a.group]}
        if left != {0}:
            raise SystemExit("after OffsetDelete of partition 1 the group has offsets for %s" % left)
        res = admin.delete_groups([a.group])
        still = [g["group_id"] for g in admin.list_groups()]
    else:
        res = admin.delete_consumer_groups([a.group])
        still = [g[0] for g in admin.list_consumer_groups()]
    print("delete groups ->", res)
    if a.group in still:
        raise SystemExit("group %s still listed after deleting it" % a.group)


def describe_quorum(a, base, admin):
    """kafka-python 3.x's describe_metadata_quorum (DescribeQuorum of __cluster_metadata-0)."""
    q = admin.describe_metadata_quorum()
    print("describe_metadata_quorum ->", q)
    if q["topics"][0]["partitions"][0]["leader_id"] < 0:
        raise SystemExit("no quorum leader described")


ADMIN_SCENARIOS = {"topic-admin": topic_admin, "group-admin": group_admin, "describe-quorum": describe_quorum}


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
    elif a.scenario in ADMIN_SCENARIOS:
        admin = KafkaAdminClient(**base)
        try:
            ADMIN_SCENARIOS[a.scenario](a, base, admin)
        finally:
            admin.close()
    else:
        raise SystemExit("unknown scenario %r" % a.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())

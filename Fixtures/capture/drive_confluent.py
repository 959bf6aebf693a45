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


def _wait_all(futures, what):
    """Waits for a dict of admin futures; returns {key: result}, failing the scenario on any error."""
    out = {}
    for k, f in futures.items():
        try:
            out[k] = f.result(timeout=20)
        except KafkaException as e:
            raise SystemExit("%s %s failed: %s" % (what, k, e))
    return out


def topic_admin(a, base):
    """Create a 2-partition topic, grow it to 4, alter its configs incrementally (2.x), read them back,
    delete records up to the high watermark (2.x), delete the topic."""
    from confluent_kafka.admin import NewPartitions
    admin = AdminClient(base)
    _wait_all(admin.create_topics([NewTopic(a.topic, num_partitions=2, replication_factor=1)],
                                  operation_timeout=10), "create_topics")
    _wait_all(admin.create_partitions([NewPartitions(a.topic, 4)], operation_timeout=10), "create_partitions")
    n = len(admin.list_topics(topic=a.topic, timeout=15).topics[a.topic].partitions)
    if n != 4:
        raise SystemExit("expected 4 partitions after create_partitions, got %d" % n)
    incremental = hasattr(admin, "incremental_alter_configs")  # confluent-kafka >= 2.2
    if incremental:
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ResourceType
        res = ConfigResource(ResourceType.TOPIC, a.topic, incremental_configs=[
            ConfigEntry("retention.ms", "7200000", incremental_operation=AlterConfigOpType.SET),
            ConfigEntry("cleanup.policy", None, incremental_operation=AlterConfigOpType.DELETE)])
        _wait_all(admin.incremental_alter_configs([res]), "incremental_alter_configs")
    cfg = list(_wait_all(admin.describe_configs([ConfigResource("topic", a.topic)]), "describe_configs").values())[0]
    if incremental and cfg["retention.ms"].value != "7200000":
        raise SystemExit("retention.ms not altered: %r" % cfg["retention.ms"].value)
    print("configs", {k: v.value for k, v in sorted(cfg.items())})
    if hasattr(admin, "delete_records"):  # confluent-kafka >= 2.4
        from confluent_kafka import OFFSET_END
        deleted = _wait_all(admin.delete_records([TopicPartition(a.topic, p, OFFSET_END) for p in (0, 1)]),
                            "delete_records")
        print("delete_records", [(tp.partition, d.low_watermark) for tp, d in deleted.items()])
    _wait_all(admin.delete_topics([a.topic], operation_timeout=10), "delete_topics")
    if a.topic in admin.list_topics(timeout=15).topics:
        raise SystemExit("topic %s still listed after delete_topics" % a.topic)
    print("deleted", a.topic)


def group_admin(a, base):
    """Commit offsets for a group that has no members (admin alter offsets in 2.x, a consumer's
    commit without joining in 1.x), list groups (with state and type filters in 2.x), describe
    the group, read its offsets (2.x), delete it (2.x), and check that it is gone."""
    admin = AdminClient(base)
    _wait_all(admin.create_topics([NewTopic(a.topic, num_partitions=2, replication_factor=1)],
                                  operation_timeout=10), "create_topics")
    wanted = {0: 3, 1: 5}
    if hasattr(admin, "alter_consumer_group_offsets"):  # confluent-kafka 2.x: the whole KIP-222 API
        from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, ConsumerGroupType
        tps = [TopicPartition(a.topic, p, o) for p, o in wanted.items()]
        _wait_all(admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(a.group, tps)]),
                  "alter_consumer_group_offsets")
        listed = admin.list_consumer_groups(request_timeout=10).result()
        if a.group not in [g.group_id for g in listed.valid]:
            raise SystemExit("group %s not listed: %s" % (a.group, listed.valid))
        empty = admin.list_consumer_groups(request_timeout=10, states={ConsumerGroupState.EMPTY},
                                           types={ConsumerGroupType.CLASSIC}).result()
        if a.group not in [g.group_id for g in empty.valid]:
            raise SystemExit("group %s not listed as an empty classic group: %s" % (a.group, empty.valid))
        desc = _wait_all(admin.describe_consumer_groups([a.group], include_authorized_operations=True),
                         "describe_consumer_groups")[a.group]
        print("described", desc.group_id, desc.state, desc.members)
        got = _wait_all(admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(a.group)]),
                        "list_consumer_group_offsets")[a.group]
        offsets = {tp.partition: tp.offset for tp in got.topic_partitions if tp.topic == a.topic}
        if offsets != wanted:
            raise SystemExit("offsets read back %s, expected %s" % (offsets, wanted))
        _wait_all(admin.delete_consumer_groups([a.group], request_timeout=10), "delete_consumer_groups")
        left = admin.list_consumer_groups(request_timeout=10).result()
        if a.group in [g.group_id for g in left.valid]:
            raise SystemExit("group %s still listed after delete_consumer_groups" % a.group)
        print("offsets", offsets, "then deleted", a.group)
    else:  # confluent-kafka 1.x: list_groups (ListGroups, then DescribeGroups) is its only group admin
        c = Consumer(dict(base, **{"group.id": a.group, "enable.auto.commit": False}))
        c.commit(offsets=[TopicPartition(a.topic, p, o) for p, o in wanted.items()], asynchronous=False)
        c.close()
        groups = admin.list_groups(timeout=10)
        if a.group not in [g.id for g in groups]:
            raise SystemExit("group %s not listed: %s" % (a.group, [g.id for g in groups]))
        one = admin.list_groups(a.group, timeout=10)
        print("described", [(g.id, g.state, g.protocol_type, len(g.members)) for g in one])


ADMIN_SCENARIOS = {"topic-admin": topic_admin, "group-admin": group_admin}


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
    elif a.scenario in ADMIN_SCENARIOS:
        ADMIN_SCENARIOS[a.scenario](a, base)
    else:
        raise SystemExit("unknown scenario %r" % a.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Drive aiokafka through one capture scenario. Exits 0 only when the scenario really happened."""
import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture_records import records  # noqa: E402

import aiokafka  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: E402
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType  # noqa: E402


def slug():
    return "aiokafka-%s" % aiokafka.__version__


async def run(a):
    deadline = time.time() + a.timeout
    base = {"bootstrap_servers": a.bootstrap, "client_id": "aiokafka-capture"}

    if a.scenario == "bootstrap-metadata":
        c = AIOKafkaConsumer(**base)
        await c.start()
        try:
            print("topics=%s" % sorted(await c.topics()))
        finally:
            await c.stop()

    elif a.scenario == "create-topics":
        admin = AIOKafkaAdminClient(**base)
        await admin.start()
        try:
            nt = NewTopic(a.topic, num_partitions=3, replication_factor=1,
                          topic_configs={"retention.ms": "3600000", "cleanup.policy": "delete"})
            print("create_topics ->", await admin.create_topics([nt], timeout_ms=15000))
            desc = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, a.topic)])
            if "3600000" not in repr(desc):
                raise SystemExit("retention.ms not described back: %r" % (desc,))
            print("describe_configs ok")
        finally:
            await admin.close()

    elif a.scenario.startswith("produce"):
        p = AIOKafkaProducer(acks="all", linger_ms=50, enable_idempotence=a.idempotent,
                             compression_type=None if a.codec == "none" else a.codec, **base)
        await p.start()
        try:
            futs = [await p.send(a.topic, key=k, value=v, headers=h or None)
                    for k, v, h in records(slug(), a.scenario)]
            mds = await asyncio.wait_for(asyncio.gather(*futs), max(1.0, deadline - time.time()))
            print("acked", [(md.partition, md.offset) for md in mds])
        finally:
            await p.stop()

    elif a.scenario == "group-consume-commit":
        c = AIOKafkaConsumer(a.topic, group_id=a.group, auto_offset_reset="earliest", enable_auto_commit=False,
                             fetch_max_wait_ms=200, heartbeat_interval_ms=200, **base)
        await c.start()
        try:
            got = 0
            while got < a.expect and time.time() < deadline:
                batch = await c.getmany(timeout_ms=500)
                got += sum(len(v) for v in batch.values())
            idle_until = time.time() + 0.7  # keep polling briefly, so the capture includes a Heartbeat
            while time.time() < idle_until:
                batch = await c.getmany(timeout_ms=100)
                got += sum(len(v) for v in batch.values())
            if got < a.expect:
                raise SystemExit("consumed %d of %d records" % (got, a.expect))
            await c.commit()
            print("consumed %d, committed %s" % (got, {tp: await c.committed(tp) for tp in c.assignment()}))
        finally:
            await c.stop()
    elif a.scenario in ADMIN_SCENARIOS:
        admin = AIOKafkaAdminClient(**base)
        await admin.start()
        try:
            await ADMIN_SCENARIOS[a.scenario](a, base, admin)
        finally:
            await admin.close()
    else:
        raise SystemExit("unknown scenario %r" % a.scenario)


async def topic_admin(a, base, admin):
    """Create a 2-partition topic, grow it to 4, read its configs, delete records up to the high
    watermark, delete the topic. (aiokafka's alter_configs is AlterConfigs, which Strom does not serve.)"""
    from aiokafka.admin import NewPartitions, RecordsToDelete
    from aiokafka.structs import TopicPartition
    await admin.create_topics([NewTopic(a.topic, num_partitions=2, replication_factor=1)], timeout_ms=15000)
    await admin.create_partitions({a.topic: NewPartitions(4)}, timeout_ms=15000)
    described = await admin.describe_topics([a.topic])
    if len(described[0]["partitions"]) != 4:
        raise SystemExit("expected 4 partitions after create_partitions: %r" % (described,))
    desc = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, a.topic)])
    if "retention.ms" not in repr(desc):
        raise SystemExit("no retention.ms described: %r" % (desc,))
    deleted = await admin.delete_records({TopicPartition(a.topic, p): RecordsToDelete(-1) for p in (0, 1)})
    print("delete_records ->", deleted)
    await admin.delete_topics([a.topic], timeout_ms=15000)
    if a.topic in await admin.list_topics():
        raise SystemExit("topic %s still listed after delete_topics" % a.topic)
    print("deleted", a.topic)


async def group_admin(a, base, admin):
    """Commit offsets with an assigned consumer (no join), list the groups, describe the group,
    read its offsets. aiokafka's admin has no group deletion or offset deletion."""
    from aiokafka.structs import OffsetAndMetadata, TopicPartition
    await admin.create_topics([NewTopic(a.topic, num_partitions=2, replication_factor=1)], timeout_ms=15000)
    wanted = {TopicPartition(a.topic, 0): 3, TopicPartition(a.topic, 1): 5}
    c = AIOKafkaConsumer(group_id=a.group, enable_auto_commit=False, **base)
    await c.start()
    try:
        c.assign(list(wanted))
        await c.commit({tp: OffsetAndMetadata(o, "") for tp, o in wanted.items()})
    finally:
        await c.stop()
    listed = [g[0] for g in await admin.list_consumer_groups()]
    if a.group not in listed:
        raise SystemExit("group %s not listed: %s" % (a.group, listed))
    print("described", await admin.describe_consumer_groups([a.group]))
    got = {tp: om.offset for tp, om in (await admin.list_consumer_group_offsets(a.group)).items()}
    if got != wanted:
        raise SystemExit("offsets read back %s, expected %s" % (got, wanted))
    print("offsets", got)


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
        print("%s\t%s" % (slug(), "aiokafka %s" % aiokafka.__version__))
        return 0
    asyncio.run(run(a))
    return 0


if __name__ == "__main__":
    sys.exit(main())

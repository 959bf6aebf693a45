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
    else:
        raise SystemExit("unknown scenario %r" % a.scenario)


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

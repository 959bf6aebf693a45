#!/usr/bin/env python3
"""aiokafka driver (venv). Reads by partition assignment (group_id=None)."""
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import aiokafka  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: E402


def version():
    return {"name": "aiokafka", "version": aiokafka.__version__}


async def create_topic(spec, deadline):
    n = spec["create"]["partitions"]
    admin = AIOKafkaAdminClient(bootstrap_servers=spec["bootstrap"], request_timeout_ms=15000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(spec["topic"], num_partitions=n, replication_factor=1)],
                                  timeout_ms=15000)
    finally:
        await admin.close()
    c = AIOKafkaConsumer(bootstrap_servers=spec["bootstrap"])
    await c.start()
    try:
        while True:
            parts = c.partitions_for_topic(spec["topic"])
            if parts is not None and len(parts) == n:
                return
            if deadline.passed():
                raise SystemExit("topic %s not visible with %d partitions: %r" % (spec["topic"], n, parts))
            await c._client.force_metadata_update()  # aiokafka has no public metadata refresh
            await asyncio.sleep(0.1)
    finally:
        await c.stop()


async def produce_async(spec):
    deadline = common.Deadline(spec["timeout"])
    if spec.get("create"):
        await create_topic(spec, deadline)
    p = AIOKafkaProducer(bootstrap_servers=spec["bootstrap"], acks="all", linger_ms=20,
                         enable_idempotence=bool(spec["idempotent"]),
                         compression_type=None if spec["codec"] == "none" else spec["codec"])
    await p.start()
    acks, errors = [], []
    try:
        futures = []
        for i, partition, key, value, headers in common.spec_records(spec):
            futures.append((i, await p.send(spec["topic"], key=key, value=value, partition=partition,
                                            headers=headers or None)))
        for i, f in futures:
            try:
                md = await asyncio.wait_for(f, deadline.left())
                acks.append({"index": i, "partition": md.partition, "offset": md.offset})
            except Exception as e:  # noqa: BLE001 - every failure is reported per record
                errors.append({"index": i, "error": "%s: %s" % (type(e).__name__, e)})
    finally:
        await p.stop()
    return {"acks": acks, "errors": errors}


async def read_async(spec):
    deadline = common.Deadline(spec["timeout"])
    topic, digest = spec["topic"], spec.get("digest", False)
    c = AIOKafkaConsumer(bootstrap_servers=spec["bootstrap"], group_id=None, enable_auto_commit=False,
                         fetch_max_wait_ms=100, check_crcs=True)
    await c.start()
    records, position, error, high = [], {p: 0 for p in spec["partitions"]}, None, {}
    try:
        tps = [TopicPartition(topic, p) for p in spec["partitions"]]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        high = {tp.partition: off for tp, off in (await c.end_offsets(tps)).items()}
        while any(position[p] < high[p] for p in high) and not deadline.passed():
            try:
                batch = await c.getmany(timeout_ms=500)
            except Exception as e:  # noqa: BLE001
                error = "%s: %s" % (type(e).__name__, e)
                break
            for tp, msgs in sorted(batch.items(), key=lambda kv: kv[0].partition):
                for m in msgs:
                    records.append(common.read_record(m.partition, m.offset, m.key, m.value, m.headers, digest))
                    position[m.partition] = m.offset + 1
    finally:
        await c.stop()
    complete = len(high) == len(position) and all(position[p] >= high[p] for p in high)
    if not complete and not error:
        error = "timed out at positions %s of high watermarks %s" % (position, high)
    return {"records": records, "high": high, "complete": complete, "error": error}


if __name__ == "__main__":
    sys.exit(common.main(version, lambda s: asyncio.run(produce_async(s)), lambda s: asyncio.run(read_async(s))))

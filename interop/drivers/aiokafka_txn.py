#!/usr/bin/env python3
"""Transactions with aiokafka (venv): the same actions and files as confluent_txn.py (see
kafka_python_txn.py for what `produce` and `read` do)."""
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import aiokafka  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402


def version():
    return {"name": "aiokafka", "version": aiokafka.__version__}


async def produce(spec):
    p = AIOKafkaProducer(bootstrap_servers=spec["bootstrap"], transactional_id=spec["transactional_id"], linger_ms=5)
    await p.start()
    ended, errors = [], []
    try:
        for txn in spec["transactions"]:
            try:
                await p.begin_transaction()
                sent = [await p.send(spec["topic"], value=common.unb64(r["value"]), partition=r["partition"]) for r in txn["records"]]
                if txn["commit"]:
                    await p.commit_transaction()
                else:
                    await asyncio.gather(*sent)  # delivered first, so read_uncommitted sees the aborted records
                    await p.abort_transaction()
                ended.append(True)
            except Exception as e:  # noqa: BLE001 - a failed transaction is reported, the run goes on
                errors.append("%s: %s" % (type(e).__name__, e))
                ended.append(False)
    finally:
        await p.stop()
    return {"ended": ended, "errors": errors}


async def read(spec):
    deadline = common.Deadline(spec["timeout"])
    c = AIOKafkaConsumer(bootstrap_servers=spec["bootstrap"], group_id=None, enable_auto_commit=False,
                         fetch_max_wait_ms=100, isolation_level=spec["isolation"])
    await c.start()
    records, error, complete, end = [], None, False, {}
    try:
        tps = [TopicPartition(spec["topic"], p) for p in spec["partitions"]]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        end = await c.end_offsets(tps)

        async def behind():
            return [tp for tp in tps if await c.position(tp) < end[tp]]

        while await behind() and not deadline.passed():
            try:
                batch = await c.getmany(timeout_ms=500)
            except Exception as e:  # noqa: BLE001
                error = "%s: %s" % (type(e).__name__, e)
                break
            for tp, msgs in sorted(batch.items(), key=lambda kv: kv[0].partition):
                for m in msgs:
                    records.append({"partition": m.partition, "offset": m.offset, "value": common.b64(m.value)})
        complete = not await behind()
    finally:
        await c.stop()
    if not complete and not error:
        error = "timed out before the end offsets %s" % {tp.partition: o for tp, o in end.items()}
    return {"records": records, "complete": complete, "error": error}


if __name__ == "__main__":
    sys.exit(common.txn_main(version, {"produce": lambda s: asyncio.run(produce(s)), "read": lambda s: asyncio.run(read(s))}))

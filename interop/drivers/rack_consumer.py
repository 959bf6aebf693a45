#!/usr/bin/env python3
"""Reads one partition from its beginning with confluent-kafka (librdkafka), optionally with
`client.rack` (KIP-392), and prints as JSON what it read and where librdkafka says it read it from:

    rack_consumer.py BOOTSTRAP TOPIC PARTITION COUNT [RACK]

{"records": [[offset, value as text]...], "error": str|null,
 "fetch_requests": {node id: Fetch requests sent}, "rx_bytes": {node id: bytes received},
 "leader": node id, "fetching_from": node id}

The last three parts come from librdkafka's own statistics (`statistics.interval.ms`), taken after
the last record arrived: per broker its request counts (`req.Fetch`) and bytes received (`rxbytes`),
per partition its `leader` and the `broker` it fetches from. Bootstrap connections (node id -1)
are left out. No group: the partition is assigned, nothing is committed.
"""
import json
import sys
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition


def main():
    bootstrap, topic, partition, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rack = sys.argv[5] if len(sys.argv) > 5 else None
    stats = []

    def on_stats(text):
        stats.append((time.time(), json.loads(text)))

    conf = {"bootstrap.servers": bootstrap, "group.id": "interop-rack-" + uuid.uuid4().hex,
            "enable.auto.commit": False, "enable.auto.offset.store": False, "fetch.wait.max.ms": 200,
            "statistics.interval.ms": 200, "stats_cb": on_stats}
    if rack is not None:
        conf["client.rack"] = rack
    c = Consumer(conf)
    c.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    records, error = [], None
    deadline = time.time() + 60
    while len(records) < count and time.time() < deadline and error is None:
        for m in c.consume(num_messages=500, timeout=0.5):
            if m.error():
                if m.error().code() != KafkaError._PARTITION_EOF:
                    error = "%s [%s]: %s" % (m.topic(), m.partition(), m.error())
                continue
            records.append([m.offset(), (m.value() or b"").decode()])
    done = time.time()
    # Statistics emitted after the last record: the counts include every fetch that carried one.
    while time.time() < done + 10 and len([t for t, _ in stats if t > done + 0.3]) < 2:
        c.poll(0.1)
    c.close()
    if len(records) < count and error is None:
        error = "read %d of %d records within 60 s" % (len(records), count)
    last = stats[-1][1] if stats else {}
    brokers = [b for b in last.get("brokers", {}).values() if b.get("nodeid", -1) >= 0]
    part = last.get("topics", {}).get(topic, {}).get("partitions", {}).get(str(partition), {})
    print(json.dumps({
        "records": records, "error": error,
        "fetch_requests": {str(b["nodeid"]): b.get("req", {}).get("Fetch", 0) for b in brokers},
        "rx_bytes": {str(b["nodeid"]): b.get("rxbytes", 0) for b in brokers},
        "leader": part.get("leader"), "fetching_from": part.get("broker"),
    }))


if __name__ == "__main__":
    main()

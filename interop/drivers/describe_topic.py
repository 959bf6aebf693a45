#!/usr/bin/env python3
"""Prints, as JSON, what a Metadata request says of one topic's partitions (confluent-kafka's
AdminClient): {"PARTITION": {"leader": N, "replicas": [...], "isrs": [...]}}, or {"error": "..."}.

    describe_topic.py BOOTSTRAP TOPIC
"""
import json
import sys

from confluent_kafka.admin import AdminClient


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic=topic, timeout=20)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        print(json.dumps({"error": str(t.error if t is not None else "no such topic")}))
        return
    print(json.dumps({str(p.id): {"leader": p.leader, "replicas": list(p.replicas), "isrs": list(p.isrs)}
                      for p in t.partitions.values()}))


if __name__ == "__main__":
    main()

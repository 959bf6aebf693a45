#!/usr/bin/env python3
"""Partition reassignment and log directories through kafka-python's KafkaAdminClient (3.x has
alter_partition_reassignments, list_partition_reassignments and describe_log_dirs; confluent-kafka's
AdminClient has none of them). Prints one JSON object on stdout, {"error": "..."} when a call failed.

    reassign.py BOOTSTRAP alter '{"TOPIC:PARTITION": [REPLICAS] or null, ...}'
        -> {"TOPIC:PARTITION": null or "ERROR_NAME", ...}
    reassign.py BOOTSTRAP list [TOPIC]
        -> {"TOPIC:PARTITION": {"replicas": [...], "adding_replicas": [...], "removing_replicas": [...]}, ...}
    reassign.py BOOTSTRAP log-dirs TOPIC
        -> {"BROKER": [{"log_dir": ..., "error_code": N, "total_bytes": N, "usable_bytes": N,
                        "partitions": {"PARTITION": {"size": N, "offset_lag": N, "is_future_key": bool}}}]}
"""
import json
import sys

from kafka import KafkaAdminClient, TopicPartition


def tp_key(tp):
    return "%s:%d" % (tp.topic, tp.partition)


def alter(admin, spec):
    wanted = {}
    for key, replicas in json.loads(spec).items():
        topic, partition = key.rsplit(":", 1)
        wanted[TopicPartition(topic, int(partition))] = replicas
    results = admin.alter_partition_reassignments(wanted, timeout_ms=30000)
    return {tp_key(tp): (None if err is None else err.__name__) for tp, err in results.items()}


def list_reassignments(admin, topic=None):
    current = admin.list_partition_reassignments(timeout_ms=30000)
    return {tp_key(tp): v for tp, v in current.items() if topic is None or tp.topic == topic}


def log_dirs(admin, topic):
    out = {}
    for entry in admin.describe_log_dirs(topic_partitions=[topic]):
        dirs = []
        for d in entry["log_dirs"]:
            parts = {}
            for t in d.get("topics") or []:
                if t["name"] != topic:
                    continue
                for p in t["partitions"]:
                    parts[str(p["partition_index"])] = {"size": p["partition_size"], "offset_lag": p["offset_lag"],
                                                        "is_future_key": p["is_future_key"]}
            dirs.append({"log_dir": d["log_dir"], "error_code": d["error_code"], "total_bytes": d.get("total_bytes"),
                         "usable_bytes": d.get("usable_bytes"), "partitions": parts})
        out[str(entry["broker"])] = dirs
    return out


def main():
    bootstrap, action = sys.argv[1], sys.argv[2]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), request_timeout_ms=30000)
    try:
        if action == "alter":
            result = alter(admin, sys.argv[3])
        elif action == "list":
            result = list_reassignments(admin, sys.argv[3] if len(sys.argv) > 3 else None)
        elif action == "log-dirs":
            result = log_dirs(admin, sys.argv[3])
        else:
            raise SystemExit("unknown action %r" % action)
    except Exception as e:  # noqa: BLE001 - reported to the test as data
        result = {"error": "%s: %s" % (type(e).__name__, e)}
    finally:
        admin.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()

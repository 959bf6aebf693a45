"""Stand-ins for the two Kafka command-line tools librdkafka's tests shell out to (through
$KAFKA_PATH/bin, test.c's test_kafka_topics() and test_kafka_cmd()), for the arguments they use:

    kafka-topics.sh --bootstrap-server B --create --topic T --partitions N --replication-factor R [--config k=v]...
    kafka-topics.sh --bootstrap-server B --alter --topic T --partitions N
    kafka-topics.sh --bootstrap-server B --delete --topic T
    kafka-acls.sh --bootstrap-server B --add (--allow-principal|--deny-principal) P
                  --operation OP (--allow-host|--deny-host) H --topic T

Kafka's tools are Java, which this machine has not; these send the same admin requests
(CreateTopics, CreatePartitions, DeleteTopics, CreateAcls) with confluent-kafka's AdminClient and,
like the tools, exit non-zero when the broker refuses. Run with the interop venv's python.
"""
import argparse
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType, AdminClient, NewPartitions,
                                   NewTopic, ResourcePatternType, ResourceType)


def wait(futures, what):
    failed = False
    for key, fut in futures.items():
        try:
            fut.result()
            print("%s %s: done" % (what, key))
        except KafkaException as e:
            print("%s %s: %s" % (what, key, e.args[0]), file=sys.stderr)
            failed = True
    return 1 if failed else 0


def topics(argv):
    ap = argparse.ArgumentParser(prog="kafka-topics.sh")
    ap.add_argument("--bootstrap-server", required=True)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--create", action="store_true")
    mode.add_argument("--alter", action="store_true")
    mode.add_argument("--delete", action="store_true")
    ap.add_argument("--topic", required=True)
    ap.add_argument("--partitions", type=int)
    ap.add_argument("--replication-factor", type=int, default=-1)
    ap.add_argument("--config", action="append", default=[])
    a = ap.parse_args(argv)
    admin = AdminClient({"bootstrap.servers": a.bootstrap_server})
    if a.create:
        configs = dict(c.split("=", 1) for c in a.config)
        return wait(admin.create_topics([NewTopic(a.topic, a.partitions or -1, a.replication_factor, config=configs)],
                                        operation_timeout=30), "create topic")
    if a.alter:
        return wait(admin.create_partitions([NewPartitions(a.topic, a.partitions)], operation_timeout=30),
                    "create partitions")
    return wait(admin.delete_topics([a.topic], operation_timeout=30), "delete topic")


def acls(argv):
    ap = argparse.ArgumentParser(prog="kafka-acls.sh")
    ap.add_argument("--bootstrap-server", required=True)
    ap.add_argument("--add", action="store_true", required=True)
    who = ap.add_mutually_exclusive_group(required=True)
    who.add_argument("--allow-principal")
    who.add_argument("--deny-principal")
    ap.add_argument("--operation", required=True)
    ap.add_argument("--allow-host")
    ap.add_argument("--deny-host")
    ap.add_argument("--topic", required=True)
    a = ap.parse_args(argv)
    allow = a.allow_principal is not None
    op = {"all": "ALL", "describe": "DESCRIBE", "read": "READ", "write": "WRITE", "create": "CREATE"}[a.operation.lower()]
    binding = AclBinding(ResourceType.TOPIC, a.topic, ResourcePatternType.LITERAL,
                         a.allow_principal if allow else a.deny_principal,
                         (a.allow_host if allow else a.deny_host) or "*",
                         getattr(AclOperation, op), AclPermissionType.ALLOW if allow else AclPermissionType.DENY)
    admin = AdminClient({"bootstrap.servers": a.bootstrap_server})
    return wait(admin.create_acls([binding], request_timeout=30), "create acl")


if __name__ == "__main__":
    sys.exit({"topics": topics, "acls": acls}[sys.argv[1]](sys.argv[2:]))

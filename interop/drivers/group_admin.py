#!/usr/bin/env python3
"""Group admin operations for the group tests, through two clients' admin APIs:

    PYTHON group_admin.py LIB SPEC.json OUT.json     LIB: confluent (AdminClient) | kafka-python (3.x)

Spec: {"bootstrap", "timeout", "ops": [op, ...]}, each op one of
  {"op": "list"}                                       ListGroups (confluent: with states)
  {"op": "describe", "groups": [id, ...]}              DescribeGroups
  {"op": "delete", "groups": [id, ...]}                DeleteGroups
  {"op": "offsets", "group": id}                       OffsetFetch (all of the group's partitions)
  {"op": "alter", "group": id, "topic": t, "offsets": {p: offset}}   OffsetCommit outside the group (generation -1)
  {"op": "delete_offsets", "group": id, "topic": t, "partitions": [p, ...]}   OffsetDelete (kafka-python)
Result: {"client", "results": [{"op", "ok": bool, "result": ..., "error": {"code", "name", "message"}|null}]}
with the clients' answers normalised:
  list      [{"group", "state", "protocol_type", "type"}]
  describe  {group: {"state", "protocol_type", "protocol", "type" (confluent), "coordinator" (confluent: node id), "error",
                     "members": [{"member_id", "instance_id", "client_id", "host", "assignment": [[topic, p]]}]}}
  delete    {group: "OK" | error name}
  offsets   {"topic:p": offset}
  alter     {"topic:p": "OK" | error name}
  delete_offsets {"topic:p": "OK" | error name}
An op that raises is reported with ok false and the error; the next op still runs.
"""
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def err_of(e):
    """{"code", "name", "message"} of a client exception."""
    code, name = None, type(e).__name__
    inner = e.args[0] if getattr(e, "args", None) else None
    if inner is not None and hasattr(inner, "code") and callable(inner.code):  # confluent KafkaError
        code, name = inner.code(), inner.name()
    elif hasattr(e, "errno") and isinstance(getattr(e, "errno"), int):  # kafka-python BrokerResponseError
        code = e.errno
    return {"code": code, "name": name, "message": str(e)}


# ---------------------------------------------------------------- confluent-kafka AdminClient

def confluent_version():
    import confluent_kafka
    v = confluent_kafka.version()
    return {"name": "confluent-kafka", "version": v[0] if isinstance(v, tuple) else v,
            "librdkafka": confluent_kafka.libversion()[0]}


def confluent_ops(spec):
    from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": spec["bootstrap"]})
    t = spec.get("timeout", 30)

    def state_name(s):
        return None if s is None else getattr(s, "name", str(s))

    def do(op):
        kind = op["op"]
        if kind == "list":
            res = admin.list_consumer_groups(request_timeout=t).result(timeout=t)
            if res.errors:
                raise RuntimeError("list_consumer_groups errors: %s" % [str(e) for e in res.errors])
            return [{"group": g.group_id, "state": state_name(g.state),
                     "protocol_type": None if g.is_simple_consumer_group else "consumer",
                     "type": state_name(getattr(g, "type", None))} for g in res.valid]
        if kind == "describe":
            out = {}
            for gid, fut in admin.describe_consumer_groups(op["groups"], request_timeout=t).items():
                try:
                    d = fut.result(timeout=t)
                except KafkaException as e:
                    out[gid] = {"error": err_of(e)}
                    continue
                out[gid] = {
                    "state": state_name(d.state), "protocol": d.partition_assignor,
                    "type": state_name(getattr(d, "type", None)),
                    "protocol_type": None if d.is_simple_consumer_group else "consumer", "error": None,
                    "coordinator": d.coordinator.id if getattr(d, "coordinator", None) is not None else None,
                    "members": [{"member_id": m.member_id, "instance_id": m.group_instance_id,
                                 "client_id": m.client_id, "host": m.host,
                                 "assignment": sorted([tp.topic, tp.partition]
                                                      for tp in (m.assignment.topic_partitions if m.assignment else []))}
                                for m in d.members]}
            return out
        if kind == "delete":
            out = {}
            for gid, fut in admin.delete_consumer_groups(op["groups"], request_timeout=t).items():
                try:
                    fut.result(timeout=t)
                    out[gid] = "OK"
                except KafkaException as e:
                    out[gid] = err_of(e)["name"]
            return out
        if kind == "alter":
            tps = [TopicPartition(op["topic"], int(p), o) for p, o in sorted(op["offsets"].items())]
            res = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(op["group"], tps)],
                                                     request_timeout=t)[op["group"]].result(timeout=t)
            return {"%s:%d" % (tp.topic, tp.partition): ("OK" if tp.error is None else tp.error.name())
                    for tp in res.topic_partitions}
        if kind == "offsets":
            futs = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(op["group"])], request_timeout=t)
            res = futs[op["group"]].result(timeout=t)
            return {"%s:%d" % (tp.topic, tp.partition): tp.offset for tp in res.topic_partitions
                    if tp.error is None}
        raise ValueError("confluent-kafka's AdminClient has no %r here" % kind)

    return do


# ---------------------------------------------------------------- kafka-python 3.x KafkaAdminClient

def kafka_python_version():
    import kafka
    return {"name": "kafka-python", "version": kafka.__version__}


def _assignment(a):
    """[[topic, p]] from kafka-python's decoded ConsumerProtocolAssignment (or raw bytes)."""
    if a is None or isinstance(a, (bytes, bytearray)):
        return None if a else []
    if isinstance(a, dict):  # to_dict() of the decoded assignment
        return sorted([tp["topic"], p] for tp in a.get("assigned_partitions") or [] for p in tp["partitions"])
    if hasattr(a, "partitions"):
        return sorted([tp.topic, tp.partition] for tp in a.partitions())
    return sorted([t, p] for t, ps in a.assignment for p in ps)


def kafka_python_ops(spec):
    from kafka import TopicPartition
    from kafka.admin import KafkaAdminClient
    from kafka.structs import OffsetAndMetadata
    t = spec.get("timeout", 30)
    admin = KafkaAdminClient(bootstrap_servers=spec["bootstrap"], request_timeout_ms=int(t * 1000))

    def val(d, *names):
        for n in names:
            if isinstance(d, dict) and n in d:
                return d[n]
            if hasattr(d, n):
                return getattr(d, n)
        return None

    def do(op):
        kind = op["op"]
        if kind == "list":
            return [{"group": val(g, "group_id"), "state": val(g, "group_state"),
                     "protocol_type": val(g, "protocol_type"), "type": val(g, "group_type")}
                    for g in admin.list_groups()]
        if kind == "describe":
            out = {}
            for gid, d in admin.describe_groups(op["groups"]).items():
                members = []
                for m in val(d, "members") or []:
                    members.append({"member_id": val(m, "member_id"), "instance_id": val(m, "group_instance_id"),
                                    "client_id": val(m, "client_id"), "host": val(m, "client_host"),
                                    "assignment": _assignment(val(m, "member_assignment"))})
                out[gid] = {"state": val(d, "group_state"), "protocol_type": val(d, "protocol_type"),
                            "protocol": val(d, "protocol_data"), "error": val(d, "error"), "members": members}
            return out
        if kind == "delete":
            return {gid: res for gid, res in admin.delete_groups(op["groups"]).items()}
        if kind == "offsets":
            res = admin.list_group_offsets({op["group"]: None})[op["group"]]
            return {"%s:%d" % (tp.topic, tp.partition): o.offset for tp, o in res.items()}
        if kind == "alter":
            res = admin.alter_group_offsets(op["group"], {TopicPartition(op["topic"], int(p)): OffsetAndMetadata(o, "", -1)
                                                          for p, o in op["offsets"].items()})
            return {"%s:%d" % (tp.topic, tp.partition): ("OK" if e.__name__ == "NoError" else e.__name__)
                    for tp, e in res.items()}
        if kind == "delete_offsets":
            res = admin.delete_group_offsets(op["group"], [TopicPartition(op["topic"], p) for p in op["partitions"]])
            return {"%s:%d" % (tp.topic, tp.partition): ("OK" if e.__name__ == "NoError" else e.__name__)
                    for tp, e in res.items()}
        raise ValueError("unknown op %r" % kind)

    return do


LIBS = {"confluent": (confluent_version, confluent_ops), "kafka-python": (kafka_python_version, kafka_python_ops)}


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in LIBS:
        raise SystemExit("usage: group_admin.py (confluent | kafka-python) (version | SPEC.json OUT.json)")
    version, make = LIBS[sys.argv[1]]
    if sys.argv[2] == "version":
        print(json.dumps(version()))
        return 0
    spec = common.load_spec(sys.argv[2])
    do = make(spec)
    results = []
    for op in spec["ops"]:
        try:
            results.append({"op": op, "ok": True, "result": do(op), "error": None})
        except Exception as e:  # noqa: BLE001 - reported per op
            results.append({"op": op, "ok": False, "result": None, "error": err_of(e),
                            "trace": traceback.format_exc()[-1500:]})
    common.write_result(sys.argv[3], {"client": version(), "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())

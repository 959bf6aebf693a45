"""Clients frozen at Kafka 0.9/0.10's protocol, which Kafka 3.9 still serves: they produce legacy
message sets (magic 0 and 1, up-converted on append) and fetch with Fetch v0-3, whose answers are
the stored v2 batches down-converted to their format.

- Debian's kafka-python 2.0.2 with `api_version` pinned at (0, 9) (Produce v1 and Fetch v1: magic 0)
  and (0, 10) (Produce v2 and Fetch v2: magic 1), reading its own records and a modern client's
  (confluent-kafka 2.16, with headers, which old formats cannot carry);
- Debian's segmentio/kafka-go 0.2.1 (Produce v2, Fetch v2, JoinGroup v1, SyncGroup v0,
  OffsetCommit v2, OffsetFetch v1), producing and consuming as a group member.
"""
import base64
import json
import subprocess
import uuid

import pytest

from clients import CLIENTS, REPO
from records import check_acks, check_read, make_records, produce_spec, read_spec
from steps import produce_and_check, tail

KAFKA_GO_BIN = REPO / ".gopath" / "bin" / "kafka-go-interop"
PARTITIONS = 3
OLD = CLIENTS["kafka-python-debian"]


def create_topic(broker, topic, partitions=PARTITIONS):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(timeout=30)


def expected_counts(records):
    counts = {}
    for r in records:
        counts[str(r.partition)] = counts.get(str(r.partition), 0) + 1
    return counts


def old_read(broker, topic, records, offsets, api_version, workdir, tag):
    spec = read_spec(broker.bootstrap, topic, range(PARTITIONS))
    spec["api_version"] = list(api_version)
    spec["expect"] = expected_counts(records)
    rc, result, log = OLD.run("read", spec, workdir, tag)
    if result is None:
        return ["kafka-python %s read: exited %s without a result:\n%s" % (api_version, rc, tail(log))]
    problems = check_read(records, offsets, result, "kafka-python %s" % (api_version,))
    if rc != 0 and not problems:
        problems.append("exit code %s" % rc)
    return problems + (["log:\n" + tail(log)] if problems else [])


@pytest.mark.parametrize("api_version", [(0, 9), (0, 10)])
@pytest.mark.parametrize("codec", ["none", "gzip", "snappy"])
def test_kafka_python_pinned_to_an_old_protocol_round_trips(broker, workdir, api_version, codec):
    """Produced in the legacy format, stored as v2 batches, read back in it, byte for byte and at
    the acknowledged offsets; a modern client (kcat) reads the same records."""
    topic = "old-kp-%d%d-%s" % (api_version[0], api_version[1], codec)
    create_topic(broker, topic)
    records = make_records(topic, PARTITIONS, headers_per_partition=[[]])
    spec = produce_spec(broker.bootstrap, topic, records, codec, False)
    spec["api_version"] = list(api_version)
    rc, result, log = OLD.run("produce", spec, workdir, "produce")
    assert result is not None, tail(log)
    problems, offsets = check_acks(records, result)
    assert not problems and rc == 0, "\n".join(problems[:25]) + "\n" + tail(log)
    problems = old_read(broker, topic, records, offsets, api_version, workdir, "read-old")
    rc, result, log = CLIENTS["kcat"].run("read", read_spec(broker.bootstrap, topic, range(PARTITIONS)), workdir, "read-kcat")
    problems += check_read(records, offsets, result or {"error": "no result: " + tail(log)}, "kcat")
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("codec", ["none", "gzip", "lz4"])
def test_modern_records_are_down_converted_for_old_consumers(broker, workdir, codec):
    """confluent-kafka 2.16 writes idempotent v2 batches with headers; kafka-python pinned at
    (0, 10) and (0, 9) reads them without headers (neither format has them). (A zstd batch cannot
    be down-converted: Kafka answers UNSUPPORTED_COMPRESSION_TYPE, which kafka-python 2.0.2 only
    logs and fetches again; OldVersionsTests checks that answer.)"""
    topic = "old-down-" + codec
    records = make_records(topic, PARTITIONS)
    offsets = produce_and_check(CLIENTS["confluent-venv"], broker, topic, records, codec, True, workdir,
                                create_partitions=PARTITIONS)
    headerless = [r.__class__(r.partition, r.key, r.value, []) for r in records]
    for api_version in [(0, 10), (0, 9)]:
        problems = old_read(broker, topic, headerless, offsets, api_version, workdir, "read-%d%d" % api_version)
        assert not problems, "\n".join(problems[:30])


def kafka_go(action, spec, workdir, tag):
    spec_path, out_path = workdir / (tag + ".spec.json"), workdir / (tag + ".out.json")
    spec_path.write_text(json.dumps(spec))
    p = subprocess.run([str(KAFKA_GO_BIN), action, str(spec_path), str(out_path)], capture_output=True, text=True,
                       timeout=spec["timeout"] + 30)
    (workdir / (tag + ".log")).write_text(p.stdout + p.stderr)
    assert out_path.exists(), "kafka-go %s exited %d without a result:\n%s" % (action, p.returncode, p.stderr[-3000:])
    return json.loads(out_path.read_text())


def test_kafka_go_installed():
    assert KAFKA_GO_BIN.exists(), "run scripts/install-test-clients.sh"
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "golang-github-segmentio-kafka-go-dev"],
                             capture_output=True, text=True).stdout
    assert version.startswith("0.2.1"), version


def go_records(label, n, start=0):
    """kafka-go 0.2.1 writes no null keys or values: plain ones, some large, round-robin."""
    out = []
    for i in range(start, start + n):
        value = ("%s value %d " % (label, i)).encode() * (1 + (i % 7) * 300)
        out.append({"partition": i % PARTITIONS, "key": base64.b64encode(b"%s-k%d" % (label.encode(), i)).decode(),
                    "value": base64.b64encode(value).decode()})
    return out


@pytest.mark.parametrize("codec", ["none", "gzip"])
def test_kafka_go_produces_and_consumes_as_a_group(broker, workdir, codec):
    """kafka-go writes to three partitions, a kafka-go group member reads every record once, in
    order per partition, committing each; a second member of the group, after the first closed
    (0.2.1 does not leave: the second joins once the first's session expired), reads exactly the
    records produced since, and a stock client sees the group's offsets."""
    topic = "old-go-" + codec
    group = "old-go-group-" + uuid.uuid4().hex[:6]
    create_topic(broker, topic)
    first = go_records(topic, 30)
    written = kafka_go("produce", {"bootstrap": broker.bootstrap, "topic": topic, "records": first, "codec": codec,
                                   "timeout": 60}, workdir, "produce-1")
    assert written["error"] == "", written
    def check(read, expected):
        problems = [read["error"]] if read["error"] else []
        for p in range(PARTITIONS):
            want = [(r["key"], r["value"]) for r in expected if r["partition"] == p]
            got = [(r["key"], r["value"]) for r in read["records"] if r["partition"] == p]
            if got != want:
                problems.append("partition %d: read %d records, produced %d (first difference at %s)" % (
                    p, len(got), len(want), next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))))
            offsets = [r["offset"] for r in read["records"] if r["partition"] == p]
            if offsets != sorted(set(offsets)):
                problems.append("partition %d: offsets out of order or repeated: %s" % (p, offsets))
        return problems
    read = kafka_go("group", {"bootstrap": broker.bootstrap, "topic": topic, "group": group, "count": len(first),
                              "timeout": 90}, workdir, "group-1")
    problems = check(read, first)
    assert not problems, "\n".join(problems)

    more = go_records(topic, 6, start=len(first))
    written = kafka_go("produce", {"bootstrap": broker.bootstrap, "topic": topic, "records": more, "codec": codec,
                                   "timeout": 60}, workdir, "produce-2")
    assert written["error"] == "", written
    read = kafka_go("group", {"bootstrap": broker.bootstrap, "topic": topic, "group": group, "count": len(more),
                              "timeout": 90}, workdir, "group-2")
    problems = check(read, more)
    assert not problems, "\n".join(problems)

    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import AdminClient
    from confluent_kafka import ConsumerGroupTopicPartitions
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    f = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(PARTITIONS)])])
    committed = {tp.partition: tp.offset for tp in f[group].result(timeout=30).topic_partitions}
    assert committed == {p: sum(1 for r in first + more if r["partition"] == p) for p in range(PARTITIONS)}, committed

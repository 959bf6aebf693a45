"""Start-up at scale: one node holding 20,000 partitions (topics of 100 partitions, created with
confluent-kafka 2.16's admin API) is killed with SIGKILL, restarts, and serves: every topic is
listed with a leader, a topic written before the kill reads back exactly, and new records are
accepted in the first and the last topic. Process limits are what the machine gives (this one's
hard limit on open files is 20,000, so a descriptor per partition would not fit). Run with -s to
print the figures: creation time, time from launch to serving after the kill, resident memory."""
import os
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from broker import BrokerProcess

PARTITIONS = 20_000
PER_TOPIC = 100
TOPICS = PARTITIONS // PER_TOPIC
PER_REQUEST = 20  # topics per CreateTopics request: 2,000 partitions


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS for %d" % pid)


def open_descriptors(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def create_all(bootstrap):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = ["scale-%03d" % i for i in range(TOPICS)]
    for start in range(0, TOPICS, PER_REQUEST):
        batch = [NewTopic(n, num_partitions=PER_TOPIC, replication_factor=1) for n in names[start:start + PER_REQUEST]]
        for name, future in admin.create_topics(batch, request_timeout=120, operation_timeout=120).items():
            future.result(timeout=180)  # raises on any error
    return names


def produce(bootstrap, topic, values):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    reports = []
    for i, v in enumerate(values):
        p.produce(topic, key=b"k%d" % i, value=v, partition=i % PER_TOPIC,
                  on_delivery=lambda err, msg: reports.append((err, msg.partition(), msg.offset())))
    assert p.flush(60) == 0, "records still in flight after 60 s"
    del p  # destroyed now, not after the broker stopped (it would keep reconnecting meanwhile)
    errors = [r for r in reports if r[0] is not None]
    assert not errors, "delivery errors: %s" % errors[:5]
    return {(part, off) for _, part, off in reports}


def read_back(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
    # Watermarks first: once assigned, each query would wait behind a long-polling Fetch on the connection.
    expected = sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in range(PER_TOPIC))
    c.assign([TopicPartition(topic, p, 0) for p in range(PER_TOPIC)])
    got = {}
    deadline = time.time() + 60
    while len(got) < expected and time.time() < deadline:
        for m in c.consume(500, timeout=1):
            assert m.error() is None, m.error()
            got[(m.partition(), m.offset())] = (m.key(), m.value())
    c.close()
    return expected, got


def test_twenty_thousand_partitions_restart_after_kill9(workdir, capsys):
    b = BrokerProcess(workdir / "broker", overrides={"num.partitions": "1"})
    b.start()
    try:
        t0 = time.time()
        names = create_all(b.bootstrap)
        created_s = time.time() - t0
        before = produce(b.bootstrap, names[0], [b"value-%d" % i for i in range(500)])
        rss_before = rss_mib(b.proc.pid)
        fds_before = open_descriptors(b.proc.pid)

        b.kill9()
        t1 = time.time()
        b.launch()
        b.wait_ready(600)
        ready_s = time.time() - t1
        rss_after = rss_mib(b.proc.pid)
        fds_after = open_descriptors(b.proc.pid)

        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        listed = admin.list_topics(timeout=60)
        listed_s = time.time() - t1
        scale = {n: t for n, t in listed.topics.items() if n.startswith("scale-")}
        assert len(scale) == TOPICS, "%d of %d topics listed after the restart" % (len(scale), TOPICS)
        leaderless = [(n, p) for n, t in scale.items() for p, pm in t.partitions.items() if pm.leader != 1]
        assert not leaderless, "%d partitions without this node as leader, e.g. %s" % (len(leaderless), leaderless[:5])
        assert sum(len(t.partitions) for t in scale.values()) == PARTITIONS

        expected, got = read_back(b.bootstrap, names[0])
        read_s = time.time() - t1
        assert expected == len(before) == 500
        assert set(got) == before, "read back %d of %d records" % (len(set(got) & before), len(before))
        for (part, off), (key, value) in got.items():
            assert value.startswith(b"value-") and key == b"k" + value[len(b"value-"):], (part, off, key, value)
        for topic in (names[0], names[-1]):
            produce(b.bootstrap, topic, [b"after-%d" % i for i in range(200)])
        serving_s = time.time() - t1
        with capsys.disabled():
            print("\n[scale] %d partitions: created in %.1f s; before kill: RSS %.0f MiB, %d descriptors; "
                  "after kill -9: serving Metadata %.1f s after launch, all topics listed at %.1f s, the topic "
                  "written before read back at %.1f s, new records acknowledged at %.1f s; RSS %.0f MiB, %d descriptors"
                  % (PARTITIONS, created_s, rss_before, fds_before, ready_s, listed_s, read_s, serving_s, rss_after, fds_after))
    finally:
        b.stop(60)
    if b.problems:
        pytest.fail("; ".join(b.problems))

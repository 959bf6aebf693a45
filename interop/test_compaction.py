"""Log compaction: confluent-kafka 2.16 creates a `cleanup.policy=compact` topic with small
segments and produces keyed records (many values per key, some tombstones) followed by records
with keys of their own, enough to close every segment holding the overwritten values. The broker's
cleaner (`log.cleaner.backoff.ms=500`, so every maintenance second) compacts the closed segments;
confluent-kafka and kcat then read back exactly one record per key, its latest, at the offset it
was acknowledged at (tombstones stay: `delete.retention.ms` is a day)."""
import time

import pytest

from broker import BrokerProcess
from clients import CLIENTS
from records import Rec, check_acks, produce_spec, read_spec, unb64
from steps import tail

TOPIC = "compacted"
KEYS = 12
ROUNDS = 25
FILLERS = 60
PAD = b"." * 80


@pytest.fixture(scope="module")
def broker(request, run_dir):
    b = BrokerProcess(run_dir / ("broker-" + request.module.__name__), overrides={"log.cleaner.backoff.ms": "500"})
    b.start()
    yield b
    b.stop()
    if b.problems:
        pytest.fail("broker of %s: %s" % (request.module.__name__, "; ".join(b.problems)))


def records():
    out = []
    for r in range(ROUNDS):
        for k in range(KEYS):
            tombstone = r == ROUNDS - 1 and k % 4 == 0
            out.append(Rec(0, b"key-%d" % k, None if tombstone else b"key-%d round %d " % (k, r) + PAD))
    # Distinct keys after the overwritten ones: over two segments of them, so that every segment
    # holding an older value is closed (the active segment is never cleaned).
    out += [Rec(0, b"filler-%d" % i, b"filler %d " % i + PAD) for i in range(FILLERS)]
    return out


def read(client, broker, workdir, tag):
    rc, result, log = client.run("read", read_spec(broker.bootstrap, TOPIC, [0]), workdir, tag)
    if result is None or result.get("error"):
        pytest.fail("%s read of %s failed (exit %s): %s\n%s" % (client.name, TOPIC, rc, result and result.get("error"), tail(log)))
    return [(r["offset"], unb64(r["key"]), unb64(r.get("value"))) for r in result["records"]]


def test_compacted_topic_keeps_the_latest_value_of_every_key(broker, workdir):
    recs = records()
    spec = produce_spec(broker.bootstrap, TOPIC, recs, "lz4", True, create_partitions=1)
    spec["create"]["configs"] = {"cleanup.policy": "compact", "segment.bytes": "2048", "min.cleanable.dirty.ratio": "0.01"}
    # Small batches, so that the records spread over many segments.
    spec["producer_conf"] = {"linger.ms": 0, "batch.num.messages": 6}
    producer = CLIENTS["confluent-venv"]
    rc, result, log = producer.run("produce", spec, workdir, "produce")
    assert result is not None, "produce exited %s:\n%s" % (rc, tail(log))
    problems, offsets = check_acks(recs, result)
    assert not problems, "\n".join(problems[:20])

    latest = {}
    for i, r in enumerate(recs):
        latest[r.key] = (offsets[i], r.key, r.value)
    expected = sorted(latest.values())

    # The cleaner runs in the background; read until the log is compacted (or the deadline passes).
    deadline = time.time() + 60
    got = None
    while time.time() < deadline:
        got = read(producer, broker, workdir, "read-confluent")
        if got == expected:
            break
        time.sleep(1)
    assert got == expected, "after 60 s the log holds %d records (%d expected); first differences: %s" % (
        len(got), len(expected), [(a, b) for a, b in zip(got, expected) if a != b][:5])
    assert len(got) < len(recs) / 3

    # librdkafka 2.0.2 (kcat) reads the gaps the same way.
    assert read(CLIENTS["kcat"], broker, workdir, "read-kcat") == expected

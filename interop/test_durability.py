"""kill -9 durability: an idempotent acks=all producer (confluent-kafka 2.16) runs while the
broker is killed with SIGKILL and restarted on the same data directory and port. Afterwards every
acknowledged record must be in the log exactly once, at its acknowledged offset, with its value,
in produce order; and since the producer retries across the restart, every record it produced
must end up acknowledged."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clients import CLIENTS, DRIVERS, VENV_PY
from faults import count_lines
from records import read_spec, unb64
from steps import produce_and_check, tail

sys.path.insert(0, str(DRIVERS))
from durability_producer import durability_value  # noqa: E402

PARTITIONS = 3


def wait_for_acks(path, n, producer, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = count_lines(path)
        if got >= n:
            return got
        if producer.poll() is not None:
            pytest.fail("durability producer exited (code %s) after %d delivery reports, waiting for %d %s" % (
                producer.returncode, got, n, what))
        time.sleep(0.05)
    pytest.fail("only %d of %d delivery reports %s within %ss" % (count_lines(path), n, what, timeout))


def analyse(acks_path, summary, result, value_size):
    """Every check of the durability contract; returns (problems, facts)."""
    problems = []
    acked, failed = [], []
    for line in Path(acks_path).read_text().splitlines():
        kind, key, partition, rest = line.split(" ", 3)
        if kind == "ok":
            acked.append((key, int(partition), int(rest)))
        else:
            failed.append((key, int(partition), rest))
    log = {}
    for r in result.get("records") or []:
        log.setdefault(r["partition"], {})[r["offset"]] = r
    facts = {"produced": summary.get("produced"), "acked": len(acked), "failed": len(failed),
             "records in log": sum(len(v) for v in log.values()),
             "high watermarks": result.get("high")}

    if result.get("error") or not result.get("complete"):
        problems.append("reading the log back: %s" % result.get("error"))
    if summary.get("fatal"):
        problems.append("producer fatal error: %s" % summary["fatal"])

    expected_sha = {}

    def sha(key):
        if key not in expected_sha:
            expected_sha[key] = hashlib.sha256(durability_value(key.encode(), value_size)).hexdigest()
        return expected_sha[key]

    # 1. every acknowledged record is at its acknowledged offset, with its value
    bad = []
    for key, p, o in acked:
        r = log.get(p, {}).get(o)
        if r is None:
            bad.append("%s acked at %d@%d: no record there" % (key, p, o))
        elif r["key"] is None or _key(r) != key:
            bad.append("%s acked at %d@%d: the log holds key %s there" % (key, p, o, _key(r)))
        elif r["value_sha256"] != sha(key):
            bad.append("%s acked at %d@%d: value differs (%s bytes)" % (key, p, o, r["value_len"]))
    if bad:
        problems.append("%d acknowledged records lost or changed, first: %s" % (len(bad), "; ".join(bad[:8])))

    # 2. exactly once: no key twice anywhere in the log
    where = {}
    for p, recs in log.items():
        for o, r in recs.items():
            where.setdefault(_key(r), []).append((p, o))
    dups = {k: v for k, v in where.items() if len(v) > 1}
    if dups:
        first = sorted(dups)[:8]
        problems.append("%d keys appear more than once (idempotence lost), first: %s" % (
            len(dups), "; ".join("%s at %s" % (k, dups[k]) for k in first)))

    # 3. order: within each partition keys in produce order, offsets contiguous from the start
    for p, recs in sorted(log.items()):
        offsets = sorted(recs)
        if offsets and offsets != list(range(offsets[0], offsets[0] + len(offsets))):
            gaps = [(a, b) for a, b in zip(offsets, offsets[1:]) if b != a + 1]
            problems.append("partition %d: offsets not contiguous, gaps after %s" % (p, gaps[:8]))
        keys = [_key(recs[o]) for o in offsets]
        out_of_order = [(offsets[i], keys[i], keys[i + 1]) for i in range(len(keys) - 1)
                        if keys[i] is None or keys[i + 1] is None or keys[i] >= keys[i + 1]]
        if out_of_order:
            problems.append("partition %d: keys out of produce order at offsets %s" % (p, out_of_order[:8]))
        for o in offsets:
            r = recs[o]
            if r["key"] is not None and r["value_sha256"] != sha(_key(r)):
                problems.append("partition %d offset %d (%s): value corrupted (%s bytes)" % (
                    p, o, _key(r), r["value_len"]))
                break

    # 4. nothing left unacknowledged: the producer retried across the restart
    if failed or summary.get("unflushed") or len(acked) != summary.get("produced"):
        problems.append("of %s produced records %d were acknowledged, %d failed, %s never reported; "
                        "first failures: %s" % (summary.get("produced"), len(acked), len(failed),
                                                summary.get("unflushed"), failed[:5]))
    missing = [k for k in ("k%09d" % i for i in range(summary.get("produced") or 0)) if k not in where]
    if missing:
        problems.append("%d produced keys are not in the log at all, first: %s" % (len(missing), missing[:8]))
    return problems, facts


def _key(r):
    k = unb64(r["key"])
    return None if k is None else k.decode("utf-8", "replace")


def last_progress(path):
    try:
        lines = Path(path).read_text().split()
        return int(lines[-1]) if lines else 0
    except FileNotFoundError:
        return 0


def freeze_then_kill_mid_stream(broker, producer, progress_path, acks_path, max_in_flight, n):
    """kill -9 with records certainly in flight, whatever the machine's load. A starved producer is
    slower than the broker, which may then have acknowledged everything it produced at the moment of
    a plain kill (CI saw that once, beside a busy build). So the broker is frozen first (SIGSTOP): from
    then on nothing more is acknowledged, while the producer goes on producing up to max_in_flight
    unacknowledged records. The kill waits until it produced 20 more than the progress file (which
    counts by tens) said at the freeze, or is at its limit."""
    os.kill(broker.proc.pid, signal.SIGSTOP)
    at_freeze = last_progress(progress_path)
    deadline = time.time() + 120
    while last_progress(progress_path) < at_freeze + 20 and \
            last_progress(progress_path) - count_lines(acks_path) < max_in_flight - 10:
        if producer.poll() is not None:
            pytest.fail("durability producer exited (code %s) before kill #%d" % (producer.returncode, n))
        if time.time() > deadline:
            pytest.fail("the producer produced nothing for 120 s with the broker frozen, before kill #%d" % n)
        time.sleep(0.05)
    broker.kill9()


def kill_during_production(broker, workdir, value_size, max_in_flight, kills, codec="none"):
    """kills: [(delivery reports to wait for before the kill, counted from the previous restart)].
    After the last restart the producer runs on for as many reports again, then stops."""
    topic = "durable"
    producer_client = CLIENTS["confluent-venv"]
    produce_and_check(producer_client, broker, topic, [], "none", True, workdir, create_partitions=PARTITIONS,
                      tag="create")
    acks_path, stop, summary_path = workdir / "acks.txt", workdir / "stop", workdir / "producer-summary.json"
    progress_path = workdir / "progress.txt"
    facts_kills = []
    with open(workdir / "producer.log", "wb") as plog:
        producer = subprocess.Popen(
            [str(VENV_PY), str(DRIVERS / "durability_producer.py"), "--bootstrap", broker.bootstrap,
             "--topic", topic, "--partitions", str(PARTITIONS), "--value-size", str(value_size),
             "--max-in-flight", str(max_in_flight), "--codec", codec, "--acks-file", str(acks_path),
             "--stop-file", str(stop), "--summary-file", str(summary_path), "--progress-file", str(progress_path)],
            stdout=plog, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        reports = 0
        for n, wait in enumerate(kills, 1):
            wait_for_acks(acks_path, reports + wait, producer, 120, "before kill #%d" % n)
            freeze_then_kill_mid_stream(broker, producer, progress_path, acks_path, max_in_flight, n)
            reports = count_lines(acks_path)
            produced = last_progress(progress_path)
            time.sleep(1.0)  # the producer keeps going; its requests fail and wait for a retry
            t0 = time.time()
            broker.start()
            facts_kills.append({"delivery reports at kill": reports, "produced by then (to 10)": produced,
                                "restart to ready (s)": round(time.time() - t0, 1)})
            if produced - reports <= 0:
                pytest.fail("kill #%d did not land mid-stream: %d produced, %d already reported" % (
                    n, produced, reports))
        wait_for_acks(acks_path, reports + kills[-1], producer, 120, "after the last restart")
        stop.touch()
        producer.wait(180)
    finally:
        if producer.poll() is None:
            producer.kill()
            producer.wait()
    producer_log = (workdir / "producer.log").read_text(errors="replace")
    if not summary_path.exists():
        pytest.fail("durability producer left no summary (exit %s); its log:\n%s" % (
            producer.returncode, tail(producer_log)))
    summary = json.loads(summary_path.read_text())

    rc, result, read_log = producer_client.run(
        "read", read_spec(broker.bootstrap, topic, range(PARTITIONS), timeout=150, digest=True), workdir, "verify")
    if result is None:
        pytest.fail("reading back after the restart: driver exited %s; its log:\n%s" % (rc, tail(read_log)))
    problems, facts = analyse(acks_path, summary, result, value_size)
    facts["kills"] = facts_kills
    (workdir / "facts.json").write_text(json.dumps(facts, indent=1))
    print("kill -9 facts:", facts)
    summary.pop("client_errors", None)  # connection refused while the broker was down: expected noise
    assert not problems, "%s\nfacts: %s\nproducer summary: %s\nproducer log:\n%s" % (
        "\n".join(problems), facts, summary, tail(producer_log, 25))


@pytest.mark.timeout(300)
def test_kill9_while_producing_small_records(fresh_broker, workdir):
    kill_during_production(fresh_broker, workdir, value_size=100, max_in_flight=2000, kills=[3000])


@pytest.mark.timeout(300)
def test_kill9_during_large_batches(fresh_broker, workdir):
    """~260 KB values: librdkafka packs three to a ~780 KB batch, so the kill lands inside one."""
    kill_during_production(fresh_broker, workdir, value_size=260_000, max_in_flight=48, kills=[40])


@pytest.mark.timeout(300)
def test_kill9_twice_with_lz4_batches(fresh_broker, workdir):
    """Killed again soon after the first restart, with compressed batches in the log."""
    kill_during_production(fresh_broker, workdir, value_size=300, max_in_flight=2000, kills=[3000, 500],
                           codec="lz4")

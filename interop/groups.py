"""Consumer-group members, a steady producer and group admin calls for test_groups.py.

Each member is a subprocess running drivers/group_consumer.py (confluent-kafka, kafka-python,
aiokafka) or .gopath/bin/sarama-group, which appends what it sees to an events file (one JSON
object per line: assigned/revoked partitions, every record it processed, every commit and its
error). The tests read those files while the members run, to wait for a rebalance to settle,
and afterwards, to check what was consumed and committed.
"""
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from clients import CLIENTS, DRIVERS, REPO, SYS_PY, VENV_PY
from records import Rec, produce_spec
from steps import produce_and_check, tail
from wire import api_versions

SARAMA_GROUP_BIN = REPO / ".gopath" / "bin" / "sarama-group"

# client name (as in clients.CLIENTS) -> command prefix of its group member driver
GROUP_DRIVERS = {
    "confluent-venv": (str(VENV_PY), str(DRIVERS / "group_consumer.py"), "confluent"),
    "confluent-debian": (str(SYS_PY), str(DRIVERS / "group_consumer.py"), "confluent"),
    "kafka-python-venv": (str(VENV_PY), str(DRIVERS / "group_consumer.py"), "kafka-python"),
    "kafka-python-debian": (str(SYS_PY), str(DRIVERS / "group_consumer.py"), "kafka-python"),
    "aiokafka": (str(VENV_PY), str(DRIVERS / "group_consumer.py"), "aiokafka"),
    "sarama": (str(SARAMA_GROUP_BIN),),
}

# Kafka's API keys and names, for the ApiVersions check before a test starts.
API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 18: "ApiVersions", 19: "CreateTopics",
             8: "OffsetCommit", 9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
             13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups", 42: "DeleteGroups",
             47: "OffsetDelete"}
MEMBER_APIS = (10, 11, 12, 13, 14, 8, 9)
ADMIN_APIS = (15, 16, 42, 47)


def rand(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def require_apis(broker, keys):
    """Fails the test at once, naming what is missing, unless the broker advertises every API."""
    try:
        have = api_versions(broker.port)
    except Exception as e:  # noqa: BLE001
        pytest.fail("ApiVersions v0 to the broker failed: %s" % e)
    missing = [k for k in keys if k not in have]
    if missing:
        pytest.fail("the broker does not advertise %s, which this test needs; it advertises: %s" % (
            ", ".join("%s (key %d)" % (API_NAMES.get(k, "?"), k) for k in missing),
            ", ".join("%s %d-%d" % (API_NAMES.get(k, k), lo, hi) for k, (lo, hi) in sorted(have.items()))))
    return have


def create_topic(broker, topic, partitions, workdir):
    produce_and_check(CLIENTS["confluent-venv"], broker, topic, [], "none", False, workdir,
                      create_partitions=partitions, tag="create-%s" % topic)


def produce_keys(broker, topic, partitions, start, n, workdir, tag):
    """Produces records k<start>..k<start+n-1> round-robin over the partitions with confluent-kafka
    2.16 (acks=all, idempotent); returns {(partition, offset): key}."""
    keys = ["k%06d" % i for i in range(start, start + n)]
    records = [Rec(i % partitions, k.encode(), ("value-" + k).encode()) for i, k in enumerate(keys, start)]
    client = CLIENTS["confluent-venv"]
    rc, result, log = client.run("produce", produce_spec(broker.bootstrap, topic, records, "none", True), workdir, tag)
    problems = ["driver exit code %s" % rc] if rc != 0 else []
    if result is None:
        pytest.fail("producing to %s: the driver exited %s without a result; its log:\n%s" % (topic, rc, tail(log)))
    problems += ["produce error (record %s): %s" % (e.get("index"), e.get("error")) for e in result["errors"]]
    acks = {a["index"]: a for a in result["acks"]}
    out = {}
    for i, rec in enumerate(records):
        a = acks.get(i)
        if a is None or a["partition"] != rec.partition or not isinstance(a["offset"], int) or a["offset"] < 0:
            problems.append("record %d (%s to partition %d): acknowledged as %s" % (i, keys[i], rec.partition, a))
        else:
            out[(a["partition"], a["offset"])] = keys[i]
    if problems or len(out) != n:
        pytest.fail("confluent-kafka 2.16 producing %d records to %s:\n  %s\nlog:\n%s" % (
            n, topic, "\n  ".join(problems[:20]), tail(log)))
    return out


class Member:
    """One group member process and what it has reported so far."""

    def __init__(self, client, broker, workdir, topic, group, name, instance_id=None, session_timeout_ms=10000,
                 heartbeat_interval_ms=1000, max_records=None, timeout=200, extra_spec=None):
        if client not in GROUP_DRIVERS:
            raise ValueError("no group driver for %s" % client)
        self.client, self.name, self.group, self.topic = client, name, group, topic
        base = Path(workdir) / ("member-%s-%s" % (name, client))
        self.events_path = Path(str(base) + ".events.jsonl")
        self.stop_path = Path(str(base) + ".stop")
        self.log_path = Path(str(base) + ".log")
        self.spec_path = Path(str(base) + ".spec.json")
        for p in (self.events_path, self.stop_path):
            if p.exists():
                p.unlink()
        self.spec = {"bootstrap": broker.bootstrap, "topic": topic, "group": group, "client_id": "interop-" + name,
                     "instance_id": instance_id, "session_timeout_ms": session_timeout_ms,
                     "heartbeat_interval_ms": heartbeat_interval_ms, "events": str(self.events_path),
                     "stop_file": str(self.stop_path), "max_records": max_records, "close": "close",
                     "timeout": timeout}
        self.spec.update(extra_spec or {})
        self.spec_path.write_text(json.dumps(self.spec, indent=1))
        exe = Path(GROUP_DRIVERS[client][0])
        if not exe.exists():
            pytest.fail("%s: %s is missing; run scripts/install-test-clients.sh" % (client, exe))
        cmd = list(GROUP_DRIVERS[client]) + [str(self.spec_path)]
        self.started = time.time()
        with open(self.log_path, "wb") as log:
            log.write(("$ " + " ".join(cmd) + "\n").encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.stopping = False  # we asked it to stop (or killed it): exiting is expected
        self.killed = False

    # ---- what it reported
    def events(self, kind=None):
        try:
            lines = self.events_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                e = json.loads(line)
            except ValueError:
                continue  # a line being written
            if kind is None or e["ev"] == kind:
                out.append(e)
        return out

    def records(self):
        return [(e["p"], e["o"]) for e in self.events("record")]

    def assignment(self):
        """The partitions it holds now: the last assigned event, unless revoked or lost since."""
        current = []
        for e in self.events():
            if e["ev"] == "assigned":
                current = sorted(e["partitions"])
            elif e["ev"] in ("revoked", "lost"):
                current = []
        return current

    def assigned_since(self, t):
        return [e for e in self.events("assigned") if e["t"] >= t]

    def rebalance_events_since(self, t):
        return [e for e in self.events() if e["ev"] in ("assigned", "revoked", "lost") and e["t"] >= t]

    def errors(self):
        return [e["error"] for e in self.events("error")] + [
            "commit %s: %s" % (e["offsets"], e["error"]) for e in self.events("commit") if e.get("error")]

    def client_version(self):
        starts = self.events("start")
        return starts[0]["client"] if starts else None

    def summary(self):
        evs = self.events()
        rebalances = [(round(e["t"] - self.started, 2), e["ev"], e.get("partitions")) for e in evs
                      if e["ev"] in ("assigned", "revoked", "lost")]
        return ("%s (%s, group %s): %s; %d records; holds %s; rebalance events (s since start): %s; errors: %s\n"
                "  events: %s\n  log: %s" % (
                    self.name, self.client, self.group, self.state(), len(self.records()), self.assignment(),
                    rebalances[-8:], self.errors()[-6:], self.events_path, self.log_path))

    def state(self):
        rc = self.proc.poll()
        return "running" if rc is None else "exited %s" % rc

    def log_tail(self, lines=25):
        try:
            return tail(self.log_path.read_text(errors="replace"), lines)
        except FileNotFoundError:
            return "(no log)"

    # ---- control
    def check_alive(self):
        if self.proc.poll() is not None and not self.stopping:
            pytest.fail("group member %s exited (code %s) on its own:\n%s\nlog:\n%s" % (
                self.name, self.proc.returncode, self.summary(), self.log_tail()))

    def stop(self, timeout=60):
        """Stop file, then wait: a clean close (LeaveGroup for a dynamic member). Fails the test
        unless it closes in time and reports it."""
        self.stopping = True
        t0 = time.time()
        self.stop_path.touch()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("group member %s did not close within %ss of its stop file:\n%s\nlog:\n%s" % (
                self.name, timeout, self.summary(), self.log_tail()))
        if not self.events("closed"):
            pytest.fail("group member %s exited %s without closing:\n%s\nlog:\n%s" % (
                self.name, self.proc.returncode, self.summary(), self.log_tail()))
        return t0

    def wait_exit(self, timeout=60):
        self.stopping = True
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("group member %s did not finish within %ss:\n%s\nlog:\n%s" % (
                self.name, timeout, self.summary(), self.log_tail()))

    def kill9(self):
        self.stopping = self.killed = True
        t0 = time.time()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        return t0

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Members:
    """The members of a test, to clean up and describe them all."""

    def __init__(self):
        self.all = []

    def add(self, m):
        self.all.append(m)
        return m

    def describe(self):
        return "\n".join(m.summary() for m in self.all)

    def cleanup(self):
        for m in self.all:
            m.cleanup()


def wait_until(cond, timeout, what, members, extra=None):
    """Polls cond() until true; fails naming what was awaited, with every member's state."""
    deadline = time.time() + timeout
    while True:
        for m in members.all:
            m.check_alive()
        if cond():
            return
        if time.time() > deadline:
            pytest.fail("timed out after %ss waiting for %s%s\nmembers:\n%s" % (
                timeout, what, ("\n" + extra()) if extra else "", members.describe()))
        time.sleep(0.1)


def settled(live, partitions, since):
    """True when every live member got an assignment after `since` and their current assignments
    cover every partition exactly once."""
    if any(not m.assigned_since(since) for m in live):
        return False
    held = sorted(p for m in live for p in m.assignment())
    return held == list(range(partitions))


def wait_settled(live, partitions, since, members, timeout=60, what="the group to settle"):
    wait_until(lambda: settled(live, partitions, since), timeout,
               "%s: %s each assigned after t=%.2f, %d partitions covered once" % (
                   what, [m.name for m in live], since, partitions), members)


def consumed_check(expected, members_list, what):
    """Problems unless the members together consumed each (partition, offset) of expected once."""
    seen = Counter()
    by = {}
    for m in members_list:
        for r in m.records():
            seen[r] += 1
            by.setdefault(r, []).append(m.name)
    problems = []
    dups = sorted(r for r, n in seen.items() if n > 1)
    missing = sorted(set(expected) - set(seen))
    extra = sorted(set(seen) - set(expected))
    if dups:
        problems.append("%s: %d records consumed more than once, first: %s" % (
            what, len(dups), "; ".join("p%d@%d by %s" % (r[0], r[1], by[r]) for r in dups[:10])))
    if missing:
        problems.append("%s: %d records never consumed, first: %s" % (
            what, len(missing), ", ".join("p%d@%d" % r for r in missing[:15])))
    if extra:
        problems.append("%s: %d records consumed that were not expected, first: %s" % (
            what, len(extra), ", ".join("p%d@%d by %s" % (r[0], r[1], by[r]) for r in extra[:10])))
    return problems


def check_client_versions(members_list):
    problems = []
    for m in members_list:
        if m.client == "sarama":
            continue
        v = m.client_version() or {}
        for field, prefix in CLIENTS[m.client].expect:
            if not str(v.get(field, "")).startswith(prefix):
                problems.append("%s: expected %s %s*, driver reported %s" % (m.name, field, prefix, v))
    return problems


class SteadyProducer:
    """drivers/steady_producer.py: keys k000000.. at a steady rate, round-robin over partitions."""

    def __init__(self, broker, topic, partitions, workdir, rate=60):
        self.acks_path = Path(workdir) / "producer-acks.txt"
        self.stop_path = Path(workdir) / "producer.stop"
        self.summary_path = Path(workdir) / "producer-summary.json"
        self.log_path = Path(workdir) / "producer.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(VENV_PY), str(DRIVERS / "steady_producer.py"), "--bootstrap", broker.bootstrap, "--topic", topic,
                 "--partitions", str(partitions), "--rate", str(rate), "--acks-file", str(self.acks_path),
                 "--stop-file", str(self.stop_path), "--summary-file", str(self.summary_path)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def acked(self):
        out = {}
        try:
            lines = self.acks_path.read_text().splitlines()
        except FileNotFoundError:
            return out
        for line in lines:
            parts = line.split(" ", 3)
            if len(parts) == 4 and parts[0] == "ok":
                out[(int(parts[2]), int(parts[3]))] = parts[1]
        return out

    def stop(self):
        """Returns ({(partition, offset): key} acknowledged, summary); fails on any produce error."""
        self.stop_path.touch()
        try:
            self.proc.wait(90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        log = self.log_path.read_text(errors="replace")
        if not self.summary_path.exists():
            pytest.fail("steady producer left no summary (exit %s); log:\n%s" % (self.proc.returncode, tail(log)))
        summary = json.loads(self.summary_path.read_text())
        acked = self.acked()
        if summary["failed"] or summary["unflushed"] or len(acked) != summary["produced"]:
            pytest.fail("steady producer: %s; log:\n%s" % (summary, tail(log)))
        return acked, summary

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def admin(lib, broker, workdir, tag, ops, timeout=30):
    """Runs drivers/group_admin.py; returns its results, one per op."""
    py = VENV_PY
    base = Path(workdir) / ("admin-%s-%s" % (tag, lib))
    spec_path, out_path, log_path = (Path(str(base) + s) for s in (".spec.json", ".out.json", ".log"))
    spec_path.write_text(json.dumps({"bootstrap": broker.bootstrap, "timeout": timeout, "ops": ops}, indent=1))
    cmd = [str(py), str(DRIVERS / "group_admin.py"), lib, str(spec_path), str(out_path)]
    with open(log_path, "wb") as log:
        log.write(("$ " + " ".join(cmd) + "\n").encode())
        log.flush()
        try:
            rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                timeout=timeout * len(ops) + 30).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    if not out_path.exists():
        pytest.fail("%s admin (%s) exited %s without a result; log:\n%s" % (
            lib, tag, rc, tail(log_path.read_text(errors="replace"))))
    return json.loads(out_path.read_text())["results"]


def admin_one(lib, broker, workdir, tag, op, timeout=30):
    """One admin op that must succeed; returns its normalised result."""
    r = admin(lib, broker, workdir, tag, [op], timeout)[0]
    if not r["ok"]:
        pytest.fail("%s admin %s failed: %s\n%s" % (lib, json.dumps(op), r["error"], r.get("trace", "")))
    return r["result"]


def median(xs):
    s = sorted(xs)
    n = len(s)
    return None if n == 0 else (s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2)

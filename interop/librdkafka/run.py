#!/usr/bin/env python3
"""Runs librdkafka's own test suite (tests/test-runner, built by scripts/install-librdkafka-tests.sh)
against the real strom binary. See interop/librdkafka/README.md.

The unit is a test number (librdkafka's TESTS filter), in one scenario: `0045` runs the variants of
0045 that need a broker in the default scenario (auto-created topics), `0045-noautocreate` those of
the noautocreate scenario (against a node with auto.create.topics.enable=false). Local tests
(TEST_F_LOCAL: unit tests and librdkafka's mock cluster, no broker involved) and manual ones are
never run. Each unit gets a fresh node on free ports with an empty data directory, its own
test.conf, and its own test-runner process in quick mode (-Q) with TEST_KAFKA_VERSION set, so a
test cannot leave anything behind for the next one and a crash is the crashing test's alone.

    run.py                    # the allowlist (CI): exit 1 unless every listed unit passes
    run.py --all              # every unit, per-test results (discovery; exit 0)
    run.py 0001 0045-noautocreate --repeat 3
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "interop"))
from broker import BrokerProcess, BrokerError, metadata_brokers  # noqa: E402
from quorum import Cluster  # noqa: E402

# librdkafka's tests gate features on the broker version; Strom speaks Kafka 3.x/4.0's protocol.
KAFKA_VERSION = "3.9.0"
# As librdkafka's default test scenario (tests/scenarios/default.json) configures its brokers, on
# one node: 4 partitions for auto-created topics; as trivup (the cluster librdkafka's CI runs them
# on), an ACL authorizer that allows everything no ACL names (0109, 0115 and 0119 add DENY ACLs
# with kafka-acls.sh); and as Kafka's quickstart, no initial rebalance delay (the tests' groups
# would otherwise wait 3 s per first join).
BROKER_OVERRIDES = {
    "num.partitions": "4",
    "auto.create.topics.enable": "true",
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "allow.everyone.if.no.acl.found": "true",
    "group.initial.rebalance.delay.ms": "0",
}
# Units whose tests create topics with replication factor 3 (librdkafka's default scenario is a
# three-broker cluster) run on three nodes, each in a rack of its own and with follower fetching
# on, as 0101 wants (it reads broker.rack with DescribeConfigs and expects RACK<node id>).
# Units given the node as `127.1:PORT` (glibc reads it as 127.0.0.1) in bootstrap.servers, a name
# other than the `127.0.0.1:PORT` the node advertises, so librdkafka opens a second connection for
# node 1 instead of renaming its bootstrap connection. 0086_purge_remote produces 20 records before
# any metadata (they wait on the topic's unassigned queue) and expects its first Produce to carry
# the first 10. When the connection to the leader is already up as those records get their
# partition, the leader's broker thread, woken by the first of them (linger long past), can send it
# alone while the main thread is still moving the other 19 (seen in TEST_DEBUG=msg logs: "Produce
# MessageSet with 1 message(s)" between "Partitioning 20 unassigned messages" and "20/20 messages
# were partitioned"; 8 runs of 25 with both cores busy). With a second connection the partition is
# served only after its ApiVersion round trip, which the test delays 500 ms. librdkafka 2.1 rewrote
# the test for the same flakiness (confluentinc/librdkafka#4228).
SEPARATE_BOOTSTRAP_UNITS = {"0086"}

THREE_NODE_UNITS = {"0098", "0101", "0103", "0107-noautocreate", "0111-noautocreate"}
THREE_NODE_OVERRIDES = {
    "replica.selector.class": "org.apache.kafka.common.replica.RackAwareReplicaSelector",
}
# $KAFKA_PATH/bin/kafka-topics.sh and kafka-acls.sh, which some tests run: stand-ins (no Java here).
KAFKA_TOOLS = HERE / "kafka"
SCENARIO_OVERRIDES = {
    "noautocreate": {"auto.create.topics.enable": "false"},
}
# 0089_max_poll_interval subscribes two consumers to a one-partition topic 1 ms apart and expects them
# in one generation: the one that gets the partition stops polling, and the other may see a record
# only once max.poll.interval.ms (10 s) has passed. With no initial rebalance delay the first JoinGroup
# can complete alone; the second then starts a rebalance that librdkafka completes in the background
# for the idle consumer, and when the new assignment (by member id) gives the partition to the other
# consumer it reads 3.5 s in (CI, 2026-12-07: "did not expect message for at least 6580ms"). Kafka's
# default delay, 3 s, puts both joins in one generation.
UNIT_OVERRIDES = {
    "0089": {"group.initial.rebalance.delay.ms": "3000"},
}
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\(B")


# ------------------------------------------------------------------ the test table

def parse_test_table(test_c):
    """[(name, flags, scenario)] from the `struct test tests[]` table of tests/test.c."""
    text = Path(test_c).read_text()
    start = text.index("struct test tests[] = {")
    end = text.index("{NULL}};", start)
    body = text[start:end]
    out = []
    i = 0
    while True:
        i = body.find("_TEST(", i)
        if i < 0:
            break
        j, depth = i + len("_TEST("), 1
        while depth:
            depth += {"(": 1, ")": -1}.get(body[j], 0)
            j += 1
        args = body[i + len("_TEST("):j - 1]
        i = j
        name, _, rest = args.partition(",")
        name = name.strip()
        flags = rest.split(",")[0]
        scen = re.search(r'\.scenario\s*=\s*"([^"]*)"', rest)
        out.append((name, flags, scen.group(1) if scen else "default"))
    return out


def broker_units(test_c):
    """Ordered {unit: [test names]} of every test that needs a broker."""
    units = {}
    for name, flags, scenario in parse_test_table(test_c):
        if "TEST_F_LOCAL" in flags or "TEST_F_MANUAL" in flags:
            continue
        scenario = scenario.split(",")[0]  # "default,ak23": ak23 is Kafka 2.3
        unit = name[:4] if scenario == "default" else "%s-%s" % (name[:4], scenario)
        units.setdefault(unit, []).append(name)
    return units


def read_allowlist(path):
    """{unit: comment}; lines are `UNIT  # why`, blank lines and whole-line comments ignored."""
    out = {}
    for line in Path(path).read_text().splitlines():
        unit = line.split("#", 1)[0].strip()
        if unit:
            out[unit] = line.split("#", 1)[1].strip() if "#" in line else ""
    return out


# ------------------------------------------------------------------ one unit

class Nodes:
    """One node (interop/broker.py), or three (interop/quorum.py's Cluster) in racks RACK1-3."""

    def __init__(self, work, overrides, count):
        if count == 1:
            self.procs = {1: BrokerProcess(work / "broker", kind="strom", overrides=overrides)}
            self.cluster = None
        else:
            overrides = dict(overrides, **THREE_NODE_OVERRIDES)
            # No ACL test runs on three nodes, and with an authorizer the nodes' own requests (as
            # User:ANONYMOUS on PLAINTEXT) would be authorized too: leave it out.
            for key in ("authorizer.class.name", "allow.everyone.if.no.acl.found"):
                overrides.pop(key, None)
            self.cluster = Cluster(work, overrides=overrides)
            for node_id, n in self.cluster.nodes.items():
                n.overrides["broker.rack"] = "RACK%d" % node_id
            self.procs = self.cluster.nodes

    @property
    def bootstrap(self):
        return ",".join(n.bootstrap for n in self.procs.values())

    def start(self, timeout=60):
        if self.cluster is None:
            self.procs[1].start(timeout)
            return
        self.cluster.start(timeout)
        # Every node registered and unfenced, or a topic of replication factor 3 is refused.
        deadline = time.time() + timeout
        while metadata_brokers(self.procs[1].port) < len(self.procs):
            if time.time() > deadline:
                raise BrokerError("the three nodes did not all register within %ss" % timeout)
            time.sleep(0.1)

    def died(self):
        return ", ".join("node %d (exit code %s)" % (i, n.proc.poll())
                         for i, n in self.procs.items() if n.proc is not None and not n.alive())

    def stop(self):
        problems = []
        for i, n in self.procs.items():
            if n.proc is not None:
                n.stop()
            problems += ["node %d: %s" % (i, p) for p in n.problems] if len(self.procs) > 1 else n.problems
        return problems


def run_unit(unit, names, tests_dir, out_dir, timeout, verbose):
    """Runs one unit against a fresh node; returns a result dict."""
    number, _, scenario = unit.partition("-")
    scenario = scenario or "default"
    work = Path(out_dir) / unit
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    overrides = dict(BROKER_OVERRIDES)
    overrides.update(SCENARIO_OVERRIDES.get(scenario, {}))
    overrides.update(UNIT_OVERRIDES.get(unit, {}))
    started = time.time()
    result = {"unit": unit, "state": "FAILED", "seconds": 0.0, "reason": "", "tests": {}}
    nodes = Nodes(work, overrides, 3 if unit in THREE_NODE_UNITS else 1)
    try:
        nodes.start()
    except BrokerError as e:
        nodes.stop()
        result["reason"] = "strom did not start: %s" % str(e).splitlines()[0]
        result["failure"] = str(e)  # which node, and the tail of its log
        return result
    bootstrap = nodes.bootstrap
    if unit in SEPARATE_BOOTSTRAP_UNITS:
        bootstrap = bootstrap.replace("127.0.0.1:", "127.1:")
    conf = work / "test.conf"
    conf.write_text("bootstrap.servers=%s\n" % bootstrap)
    report = work / "report.json"
    env = dict(os.environ)
    for k in ("TESTS", "TESTS_SKIP", "CI"):  # TEST_DEBUG=cgrp,... and SUBTESTS=... pass through
        env.pop(k, None)
    env.update({
        "TESTS": number,
        "TEST_KAFKA_VERSION": KAFKA_VERSION,
        "RDKAFKA_TEST_CONF": str(conf),
        "TEST_REPORT": str(report),
        "TEST_SCENARIO": scenario,
        "RDKAFKA_GITVER": "debian-2.0.2",
        "KAFKA_PATH": str(KAFKA_TOOLS),
        "BROKERS": bootstrap,
    })
    # -Q quick mode, -L no local tests, -p1 the unit's variants one after another.
    # stdbuf: line-buffered stdout, or an abort() (a failed test can end in one) loses the summary.
    cmd = ["stdbuf", "-oL", "-eL", str(Path(tests_dir) / "test-runner"), "-Q", "-L", "-p1"]
    log_path = work / "test-runner.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=tests_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
    result["seconds"] = round(time.time() - started, 1)
    died = nodes.died()
    problems = nodes.stop()
    output = ANSI.sub("", log_path.read_text(errors="replace"))

    states = {}
    if report.exists():
        try:
            data = json.loads(report.read_text())
            states = {n: t["state"] for n, t in data["tests"].items() if n != "<MAIN>"}
        except (ValueError, KeyError):
            pass  # librdkafka writes that JSON by hand; the summary table below says the same
    # The summary table: | name | STATE | 1.234s | skip reason
    reasons = {}
    for m in re.finditer(r"^\|\s*(\d{4}_\S+)\s*\|\s*(\w+)\s*\|\s*[\d.]+s\s*\|[ \t]*(.*)$", output, re.M):
        states.setdefault(m.group(1), m.group(2))
        if m.group(3).strip():
            reasons[m.group(1)] = m.group(3).strip()
    # ### Test "NAME" failed at FILE:LINE:FUNC() at DATE: ###\nMESSAGE
    for m in re.finditer(r'^### Test "(\d{4}_[^"]+)" failed at (\S+?)(?:\(\))? at [^#]*###\n(.*)$', output, re.M):
        reasons.setdefault(m.group(1), "%s [%s]" % (m.group(3).strip(), m.group(2)))
    # Subtests, per test: run and passed ("[ sub: PASS (1.23s) ]") or left out by quick mode (the
    # line install-librdkafka-tests.sh adds to test.c).
    sub_passed, sub_quick = {}, {}
    for m in re.finditer(r"^\[(\d{4}_\S+?)\s*/\s*[\d.]+s\] \[ (.*) \]$", output, re.M):
        if m.group(2).endswith(": not run in quick mode"):
            sub_quick[m.group(1)] = sub_quick.get(m.group(1), 0) + 1
        elif re.search(r": PASS \([\d.]+s\)$", m.group(2)):
            sub_passed[m.group(1)] = sub_passed.get(m.group(1), 0) + 1
    # This unit's tests only: not the local variants of the number, nor another scenario's.
    result["tests"] = {}
    for n in names:
        if n not in states:
            continue
        t = {"state": states[n], "reason": reasons.get(n, ""),
             "subtests_passed": sub_passed.get(n, 0), "subtests_not_run_quick": sub_quick.get(n, 0)}
        if t["state"] == "PASSED" and t["subtests_not_run_quick"] and not t["subtests_passed"]:
            # Passed only because -Q left out every subtest: nothing was checked.
            t["state"] = "SKIPPED"
            t["reason"] = "quick mode runs none of its %d subtests" % t["subtests_not_run_quick"]
        result["tests"][n] = t

    failed = [n for n, t in result["tests"].items() if t["state"] in ("FAILED", "RUNNING")]
    passed = [n for n, t in result["tests"].items() if t["state"] == "PASSED"]
    if rc is None:
        result["reason"] = "timed out after %ds (killed)" % timeout
    elif died:
        result["reason"] = "strom exited during the test: %s" % died
    elif failed:
        result["reason"] = "; ".join("%s: %s" % (n, result["tests"][n]["reason"] or "failed") for n in failed)
    elif rc != 0 and not passed:
        sig = " (signal %d)" % -rc if rc < 0 else ""
        result["reason"] = "test-runner exited with %s%s and no result" % (rc, sig)
    elif passed:
        result["state"] = "PASSED"
    elif result["tests"]:
        result["state"] = "SKIPPED"
        result["reason"] = "; ".join("%s: %s" % (n, t["reason"]) for n, t in result["tests"].items())
    else:
        result["state"] = "SKIPPED"
        result["reason"] = "no test of this unit ran"
    if rc not in (0, None) and result["state"] == "PASSED":
        result["state"] = "FAILED"
        result["reason"] = "test-runner exited with %s after its tests passed" % rc
    if problems and result["state"] == "PASSED":
        # A node that will not stop cleanly is Strom's failure, whatever the test saw.
        result["state"] = "FAILED"
        result["reason"] = "strom: " + "; ".join(problems)
    if result["state"] == "FAILED":
        result["failure"] = failure_excerpt(output)
    if verbose or result["state"] == "FAILED":
        result["log"] = str(log_path)
    return result


def failure_excerpt(output, lines=12):
    """The first `### Test ... failed` block of the log, or its tail."""
    all_lines = output.splitlines()
    for i, line in enumerate(all_lines):
        if "### Test" in line and "failed" in line:
            return "\n".join(all_lines[max(0, i - 3):i + lines])
    return "\n".join(all_lines[-lines:])


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("units", nargs="*", help="units to run (default: the allowlist, or all with --all)")
    ap.add_argument("--all", action="store_true", help="every unit that needs a broker; never fails")
    ap.add_argument("--allowlist", default=str(HERE / "allowlist.txt"))
    ap.add_argument("--tests-dir", default=str(REPO / ".librdkafka" / "src" / "tests"))
    ap.add_argument("--out", default=str(REPO / ".librdkafka" / "runs"))
    ap.add_argument("--repeat", type=int, default=1, help="run every unit N times")
    ap.add_argument("--jobs", type=int, default=1, help="units at a time (each has its own node)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per unit")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    tests_dir = Path(args.tests_dir)
    if not (tests_dir / "test-runner").is_file():
        sys.exit("librdkafka-suite: %s/test-runner not built (scripts/install-librdkafka-tests.sh)" % tests_dir)
    all_units = broker_units(tests_dir / "test.c")
    allow = read_allowlist(args.allowlist)
    unknown = [u for u in allow if u not in all_units]
    if unknown:
        sys.exit("librdkafka-suite: %s lists units librdkafka 2.0.2 has not: %s" % (args.allowlist, " ".join(unknown)))
    if args.units:
        units = args.units
        bad = [u for u in units if u not in all_units]
        if bad:
            sys.exit("librdkafka-suite: no such unit: %s (units: %s)" % (" ".join(bad), " ".join(all_units)))
    elif args.all:
        units = list(all_units)
    else:
        units = list(allow)
    checking = not args.all and not args.units  # CI mode: listed units must pass

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    print("librdkafka-suite: %d unit(s) x %d, librdkafka 2.0.2 test-runner -Q, TEST_KAFKA_VERSION=%s, strom %s"
          % (len(units), args.repeat, KAFKA_VERSION, os.environ.get("STROM_BIN", "")), flush=True)

    jobs = [(u, r) for r in range(args.repeat) for u in units]

    def one(job):
        unit, rep = job
        sub = out_dir / ("r%d" % rep if args.repeat > 1 else "")
        res = run_unit(unit, all_units[unit], args.tests_dir, sub, args.timeout, args.verbose)
        res["repeat"] = rep
        tag = " [allowlisted]" if unit in allow and not checking else ""
        line = "%-20s %-7s %6.1fs%s" % (unit + (" #%d" % (rep + 1) if args.repeat > 1 else ""),
                                        res["state"], res["seconds"], tag)
        if res["state"] != "PASSED":
            line += "  " + res["reason"][:400]
        print(line, flush=True)
        if res["state"] == "FAILED" and (checking or args.verbose):
            print("    log: %s\n%s" % (res.get("log", ""), "\n".join("    | " + l for l in res.get("failure", "").splitlines())),
                  flush=True)
        return res

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, jobs))

    elapsed = time.time() - started
    counts = {s: sum(1 for r in results if r["state"] == s) for s in ("PASSED", "FAILED", "SKIPPED")}
    print("\nlibrdkafka-suite summary: %d passed, %d failed, %d skipped (%d unit runs in %.0f s)"
          % (counts["PASSED"], counts["FAILED"], counts["SKIPPED"], len(results), elapsed))
    if not checking:
        not_run = len(all_units) - len(set(units))
        if not_run:
            print("  (%d more units not run; every unit: --all)" % not_run)
    if args.json:
        Path(args.json).write_text(json.dumps({"kafka_version": KAFKA_VERSION, "seconds": round(elapsed),
                                               "counts": counts, "results": results}, indent=1))
    bad = [r for r in results if r["state"] != "PASSED"]
    if checking and bad:
        print("librdkafka-suite: FAILED: allowlisted units must pass: %s"
              % " ".join(sorted({r["unit"] for r in bad})))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

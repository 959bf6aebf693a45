#!/usr/bin/env python3
"""Replication soak (not part of CI): the three-node cluster of docker/compose.yaml (scripts/cluster.sh)
for --minutes, under a random fault schedule drawn from --seed, with idempotent acks=all producers of
several stock clients writing one topic (replication factor 3, min.insync.replicas=2) and a consumer
group reading it. At the end it prints the counts of acknowledged, lost, duplicated and reordered
records (interop/faults.py's analyse), what the group missed, and whether the replicas agree
(`strom dump-log` and bytes), and exits non-zero on any loss or other problem.

    .venv/bin/python scripts/soak-replication.py --minutes 5 --seed 7 --work /tmp/soak
    STROM_BIN=/path/to/strom STROM_COMPOSE=/path/to/port-shifted/compose.yaml ...

Faults, one at a time, each on a random node (or the leader of a random partition): kill -9 and a
restart after a pause, SIGSTOP then SIGCONT (sometimes past broker.session.timeout.ms), a network
partition around the node (nftables, interop/cluster.py's isolate) then heal, and a rolling SIGTERM
restart of every node. After each, the schedule waits for every replica to be back in every ISR and
for every producer to be acknowledged again; a cluster that does not recover within --recover-timeout
is a problem too. The same seed draws the same schedule (the timing of the cluster's answers still
varies). Needs root and nft (scripts/install-test-clients.sh) for partitions; --faults chooses kinds.
"""
import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "interop"))

from cluster import NODES, Cluster  # noqa: E402
from faults import (FaultError, DurabilityProducer, collect, create_topic, describe, in_sync,  # noqa: E402
                    wait_for_reports, wait_until)

FAULTS = ("kill9", "pause", "partition", "rolling")
TOPIC = "soak"
VALUE_SIZE = 100


class Member:
    """A group member without pytest (interop/groups.py's Member fails tests through pytest)."""

    def __init__(self, lib, bootstrap, workdir, group, name):
        import subprocess
        from clients import DRIVERS, VENV_PY
        base = Path(workdir) / ("member-%s" % name)
        self.name = name
        self.events_path, self.stop_path = Path(str(base) + ".events.jsonl"), Path(str(base) + ".stop")
        spec = {"bootstrap": bootstrap, "topic": TOPIC, "group": group, "client_id": "soak-" + name, "instance_id": None,
                "session_timeout_ms": 10000, "heartbeat_interval_ms": 1000, "events": str(self.events_path),
                "stop_file": str(self.stop_path), "max_records": None, "close": "close", "timeout": 24 * 3600}
        spec_path = Path(str(base) + ".spec.json")
        spec_path.write_text(json.dumps(spec))
        with open(str(base) + ".log", "wb") as log:
            self.proc = subprocess.Popen([str(VENV_PY), str(DRIVERS / "group_consumer.py"), lib, str(spec_path)],
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def events(self, kind=None):
        out = []
        try:
            for line in self.events_path.read_text(errors="replace").splitlines():
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if kind is None or e["ev"] == kind:
                    out.append(e)
        except FileNotFoundError:
            pass
        return out

    def stop(self):
        self.stop_path.touch()
        try:
            self.proc.wait(60)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait()


def say(start, text):
    print("[%7.1fs] %s" % (time.time() - start, text), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", default="/tmp/strom-soak")
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--clients", default="confluent,kafka-python,sarama")
    ap.add_argument("--faults", default=",".join(FAULTS))
    ap.add_argument("--no-group", action="store_true", help="no consumer group")
    ap.add_argument("--recover-timeout", type=float, default=180)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    kinds = [k for k in a.faults.split(",") if k]
    unknown = set(kinds) - set(FAULTS)
    if unknown:
        ap.error("unknown faults %s (known: %s)" % (sorted(unknown), ", ".join(FAULTS)))
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(work / "cluster")
    cluster.wipe()
    start = time.time()
    problems, schedule = [], []
    producers, members = [], []
    counts = {}
    try:
        cluster.start()
        cluster.wait_for_brokers(3)
        create_topic(cluster.bootstrap, TOPIC, a.partitions, work)
        say(start, "cluster up, topic %s with %d partitions" % (TOPIC, a.partitions))
        if not a.no_group:
            members = [Member(lib, cluster.bootstrap, work, "soak-group", name)
                       for lib, name in (("confluent", "m1"), ("kafka-python", "m2"))]
        producers = [DurabilityProducer(k, cluster.bootstrap, TOPIC, a.partitions, work, VALUE_SIZE,
                                        timeout=a.minutes * 60 + 3600) for k in a.clients.split(",")]
        wait_for_reports(producers, 500, 120, "at the start")
        deadline = start + a.minutes * 60
        while time.time() < deadline:
            kind = rng.choice(kinds)
            node = rng.choice(NODES)
            if rng.random() < 0.5:  # half the time the leader of a random partition
                d = describe(cluster.bootstrap, TOPIC)
                leader = d.get(rng.randrange(a.partitions), {}).get("leader", -1)
                node = leader if leader in NODES else node
            hold = round(rng.uniform(1, 20), 1)
            schedule.append({"t": round(time.time() - start, 1), "fault": kind, "node": node, "hold (s)": hold})
            say(start, "fault: %s of node %d%s" % (kind, node, "" if kind == "rolling" else " for %ss" % hold))
            if kind == "kill9":
                cluster.kill9(node)
                time.sleep(hold)
                cluster.start(node)
            elif kind == "pause":
                cluster.pause(node)
                try:
                    time.sleep(hold)
                finally:
                    cluster.resume(node)
            elif kind == "partition":
                cluster.isolate(node)
                try:
                    time.sleep(hold)
                finally:
                    cluster.heal(node)
            else:
                for n in NODES:
                    cluster.restart(n)
                    wait_until("node %d back in every ISR" % n,
                               lambda: in_sync(cluster.bootstrap, TOPIC, a.partitions), a.recover_timeout)
            t0 = time.time()
            try:
                wait_until("every replica back in every ISR", lambda: in_sync(cluster.bootstrap, TOPIC, a.partitions),
                           a.recover_timeout)
                wait_for_reports(producers, 200, a.recover_timeout, "after the fault")
            except FaultError as e:
                problems.append("after %s of node %d at %.0fs: %s" % (kind, node, schedule[-1]["t"], e))
                say(start, "NOT RECOVERED: %s" % e)
                break
            schedule[-1]["recovered after (s)"] = round(time.time() - t0, 1)
            say(start, "recovered in %.1fs; delivery reports: %s" % (
                time.time() - t0, {p.kind: p.reports() for p in producers}))
        # A long soak writes millions of records: the read-back's deadline grows with them (10,000 a second).
        reports = sum(p.reports() for p in producers)
        found, facts = collect(cluster, work, TOPIC, a.partitions, producers, members, VALUE_SIZE,
                               read_timeout=150 + reports // 10000, members_timeout=a.recover_timeout)
        problems += found
        counts = facts["counts"]
        if "consumed" in facts:
            counts["group"] = facts["consumed"]
    except Exception as e:  # noqa: BLE001 - a soak reports whatever stopped it
        problems.append("%s: %s" % (type(e).__name__, e))
    finally:
        for p in producers:
            p.kill()
        for m in members:
            if m.proc.poll() is None:
                m.proc.kill()
        cluster.close()
        problems += cluster.problems
    report = {"seed": a.seed, "minutes": a.minutes, "faults": len(schedule), "schedule": schedule, "counts": counts,
              "problems": problems}
    (work / "soak-report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "schedule"}, indent=1))
    c = counts or {}
    print("acknowledged %s lost %s duplicated %s reordered %s failed %s unflushed %s; group missed %s, processed twice %s" % (
        c.get("acknowledged"), c.get("lost"), c.get("duplicated"), c.get("reordered"), c.get("failed"), c.get("unflushed"),
        (c.get("group") or {}).get("acknowledged missed"), (c.get("group") or {}).get("processed more than once")))
    print("soak: %s (report: %s)" % ("FAILED" if problems else "ok", work / "soak-report.json"))
    return 1 if problems or not c or c.get("lost") else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())

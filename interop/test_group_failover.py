"""Group coordination across the loss of the coordinator, on the three-node cluster
(scripts/cluster.sh): __consumer_offsets has three replicas (docker/compose.yaml), and a group's
coordinator is the leader of its partition. A confluent-kafka member consumes a replicated topic
while a producer writes to it and commits synchronously after every batch; the leader of the
group's __consumer_offsets partition is killed with kill -9. The controller fences it, a follower
that replicated the partition is elected, loads the group from its own replica and coordinates it:
the member's commits succeed again, and nothing it committed before the kill is lost.

Checks, at-least-once as Kafka defines it for a consumer that commits after processing:
- no acknowledged record goes unconsumed;
- a record is consumed again only from an offset at or above the partition's last commit that was
  acknowledged before the re-consumption (a redelivery never starts below an acknowledged commit,
  so no acknowledged commit was lost in the failover);
- the committed offsets, read from the new coordinator right after the failover, are at least the
  last ones acknowledged before the kill;
- a second member (kafka-python) joining after the first one closed starts exactly at the first
  one's final commits, and the group's committed offsets end at the log ends.
"""
import json
import subprocess
import time

import pytest

from clients import CLIENTS, DRIVERS, VENV_PY
from groups import Member, Members, SteadyProducer, admin_one, produce_keys, rand
from records import produce_spec
from steps import tail

PARTITIONS = 3
OFFSETS_TOPIC = "__consumer_offsets"


@pytest.fixture
def members():
    ms = Members()
    yield ms
    ms.cleanup()


def offsets_partition(group, count):
    """Kafka's placement of a group: Utils.abs(String.hashCode) % partitions (UTF-16 code units)."""
    h = 0
    units = group.encode("utf-16-be")
    for i in range(0, len(units), 2):
        h = (h * 31 + int.from_bytes(units[i:i + 2], "big")) & 0xFFFFFFFF
    if h >= 1 << 31:
        h -= 1 << 32
    return (0 if h == -(1 << 31) else abs(h)) % count


def describe(cluster, topic):
    """{partition: {"leader", "replicas", "isrs"}} from a client's Metadata request, or None."""
    p = subprocess.run([str(VENV_PY), str(DRIVERS / "describe_topic.py"), cluster.bootstrap, topic],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return None
    out = json.loads(p.stdout)
    return None if "error" in out else {int(k): v for k, v in out.items()}


def wait_until(what, predicate, timeout, members=None):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        for m in (members.all if members else []):
            m.check_alive()
        last = predicate()
        if last:
            return last
        time.sleep(0.25)
    pytest.fail("%s within %ss (last: %r)%s" % (what, timeout, last, "\nmembers:\n" + members.describe() if members else ""))


def acknowledged_commits(member, before=None):
    """{partition: offset} of the member's last successful commit per partition (up to time `before`)."""
    out = {}
    for e in member.events("commit"):
        if e.get("error") or (before is not None and e["t"] > before):
            continue
        for p, o in e["offsets"].items():
            out[int(p)] = max(out.get(int(p), 0), o)
    return out


def redelivery_problems(member):
    """Records consumed again below the last commit acknowledged before they were consumed again."""
    committed, seen, problems = {}, set(), []
    for e in member.events():
        if e["ev"] == "commit" and not e.get("error"):
            for p, o in e["offsets"].items():
                committed[int(p)] = max(committed.get(int(p), 0), o)
        elif e["ev"] == "record":
            r = (e["p"], e["o"])
            if r in seen and e["o"] < committed.get(e["p"], 0):
                problems.append("p%d@%d consumed again below the acknowledged commit %d" % (e["p"], e["o"], committed[e["p"]]))
            seen.add(r)
    return problems


@pytest.mark.timeout(480)
def test_a_killed_group_coordinator_hands_the_group_over_with_its_offsets(cluster, workdir, members):
    cluster.start()
    cluster.wait_for_brokers(3)

    def offsets_topic_ready():
        d = describe(cluster, OFFSETS_TOPIC)
        return d if d and all(sorted(v["replicas"]) == [1, 2, 3] and v["leader"] > 0 for v in d.values()) else None

    offsets = wait_until("__consumer_offsets, three replicas per partition", offsets_topic_ready, 60)
    topic, group = rand("gf"), rand("g-failover")
    spec = produce_spec(cluster.bootstrap, topic, [], "none", True, create_partitions=PARTITIONS)
    spec["create"] = {"partitions": PARTITIONS, "replication_factor": 3, "configs": {"min.insync.replicas": "2"}}
    rc, result, log = CLIENTS["confluent-venv"].run("produce", spec, workdir, "create")
    assert rc == 0 and result is not None, "creating %s failed:\n%s" % (topic, tail(log))

    facts = {"offsets partition": offsets_partition(group, len(offsets))}
    producer = SteadyProducer(cluster, topic, PARTITIONS, workdir, rate=100)
    try:
        a = members.add(Member("confluent-venv", cluster, workdir, topic, group, "A", session_timeout_ms=30000,
                               heartbeat_interval_ms=1000, timeout=420))
        wait_until("member A consuming and committing", lambda: len(a.records()) > 300 and len(acknowledged_commits(a)) == PARTITIONS,
                   90, members)
        described = admin_one("confluent", cluster, workdir, "describe-before", {"op": "describe", "groups": [group]})[group]
        victim = describe(cluster, OFFSETS_TOPIC)[facts["offsets partition"]]["leader"]
        facts.update({"coordinator (FindCoordinator)": described.get("coordinator"), "killed": victim})
        assert described.get("coordinator") == victim, "FindCoordinator names %s, the offsets partition's leader is %s" % (
            described.get("coordinator"), victim)

        cluster.kill9(victim)
        t_kill = time.time()
        before = acknowledged_commits(a, before=t_kill)
        consumed_at_kill = len(a.records())
        # The controller fences the dead node (broker.session.timeout.ms) and elects a follower from the ISR.

        def new_leader():
            d = describe(cluster, OFFSETS_TOPIC)
            leader = d[facts["offsets partition"]]["leader"] if d else -1
            return leader if leader not in (-1, victim) else None

        new = wait_until("a new leader of the group's offsets partition", new_leader, 60, members)
        facts["new coordinator"] = new
        # The group goes on there: new records consumed, and commits beyond those before the kill acknowledged.
        wait_until("member A committing through the new coordinator",
                   lambda: len(a.records()) > consumed_at_kill + 300 and all(
                       acknowledged_commits(a).get(p, 0) > before.get(p, 0) for p in range(PARTITIONS)), 120, members)
        facts["failover (s)"] = round(min(e["t"] for e in a.events("commit") if e["t"] > t_kill and not e.get("error")) - t_kill, 2)
        after = admin_one("confluent", cluster, workdir, "offsets-after", {"op": "offsets", "group": group})
        lost = {p: (o, after.get("%s:%d" % (topic, p))) for p, o in before.items() if (after.get("%s:%d" % (topic, p)) or 0) < o}
        assert not lost, "commits acknowledged before the kill are gone from the new coordinator: %s" % lost
        described = admin_one("confluent", cluster, workdir, "describe-after", {"op": "describe", "groups": [group]})[group]
        assert described.get("coordinator") == new and described.get("state") == "STABLE", described

        cluster.start(victim)
        acked, summary = producer.stop()
        wait_until("every acknowledged record consumed", lambda: set(acked) <= set(a.records()), 90, members)
        a.stop()
    finally:
        producer.cleanup()
    final_a = acknowledged_commits(a)

    # A second member, another client, resumes exactly at A's final commits.
    more = produce_keys(cluster, topic, PARTITIONS, 900000, 30, workdir, "after")
    b = members.add(Member("kafka-python-venv", cluster, workdir, topic, group, "B", session_timeout_ms=30000,
                           heartbeat_interval_ms=1000, timeout=200))
    wait_until("member B consuming what was produced after A closed", lambda: set(more) <= set(b.records()), 90, members)
    b.stop()

    problems = redelivery_problems(a)
    below = [r for r in b.records() if r[1] < final_a.get(r[0], 0)]
    if below:
        problems.append("B consumed %d records below A's final commits %s, first: %s" % (len(below), final_a, below[:8]))
    missing = sorted(set(acked) - set(a.records()))
    if missing:
        problems.append("%d acknowledged records never consumed, first: %s" % (len(missing), missing[:10]))
    fatal = ["%s: %s" % (m.name, e) for m in (a, b) for e in m.errors() if "fatal" in e]
    problems += fatal
    ends = {}
    for p, o in list(acked) + list(more):
        ends[p] = max(ends.get(p, 0), o + 1)
    committed = admin_one("confluent", cluster, workdir, "offsets-end", {"op": "offsets", "group": group})
    want = {"%s:%d" % (topic, p): o for p, o in ends.items()}
    if committed != want:
        problems.append("committed offsets at the end %s, expected the log ends %s" % (committed, want))
    facts.update({"produced": summary["produced"], "consumed by A": len(a.records()),
                  "A's errors": a.errors()[:6], "B's errors": b.errors()[:6],
                  "re-consumed by A": len(a.records()) - len(set(a.records()))})
    (workdir / "facts.json").write_text(json.dumps(facts, indent=1, default=str))
    print("group failover facts:", facts)
    assert not problems, "%s\nfacts: %s\nmembers:\n%s" % ("\n".join(problems), facts, members.describe())

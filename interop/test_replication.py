"""Partition replication on the three-node cluster (scripts/cluster.sh): a topic with replication
factor 3 and min.insync.replicas=2, written by an idempotent acks=all producer (confluent-kafka)
while a partition leader is killed with kill -9. Afterwards every acknowledged record must be in
the log exactly once, at its acknowledged offset, with its value, in produce order (the checks of
test_durability.analyse), and the producer, which retries across the failover, must have every
record acknowledged. The killed node then comes back, catches up and rejoins the ISR."""
import json
import subprocess
import time

import pytest

from clients import CLIENTS, DRIVERS, VENV_PY
from cluster import Cluster
from dumplog import compare_replicas
from records import produce_spec, read_spec
from replicas import compare
from steps import tail
from test_durability import analyse, count_lines, wait_for_acks

PARTITIONS = 3
TOPIC = "replicated"


@pytest.fixture
def cluster(workdir):
    c = Cluster(workdir / "cluster")
    yield c
    c.close()
    if c.problems:
        pytest.fail("cluster: %s" % "; ".join(c.problems))


def describe(cluster, topic, via=None):
    """{partition: {"leader", "replicas", "isrs"}} as a client's Metadata request sees it (through
    node `via` only, when given); None while the node answering does not know the topic yet."""
    bootstrap = "127.0.0.1:%d" % cluster.client_port(via) if via else cluster.bootstrap
    p = subprocess.run([str(VENV_PY), str(DRIVERS / "describe_topic.py"), bootstrap, topic],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, "describe_topic.py failed: %s" % p.stderr[-1500:]
    out = json.loads(p.stdout)
    if "error" in out:
        return None
    return {int(k): v for k, v in out.items()}


def wait_until(what, predicate, timeout):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail("%s within %ss (last: %r)" % (what, timeout, last))


def create_replicated_topic(cluster, workdir):
    client = CLIENTS["confluent-venv"]
    spec = produce_spec(cluster.bootstrap, TOPIC, [], "none", True, create_partitions=PARTITIONS)
    spec["create"] = {"partitions": PARTITIONS, "replication_factor": 3, "configs": {"min.insync.replicas": "2"}}
    rc, result, log = client.run("produce", spec, workdir, "create")
    assert rc == 0 and result is not None, "creating %s failed:\n%s" % (TOPIC, tail(log))
    # Every node replays the topic's records on its own: wait until each one answers with it.
    for n in (1, 2, 3):
        partitions = wait_until("node %d knows %s" % (n, TOPIC), lambda: describe(cluster, TOPIC, via=n), 30)
    assert sorted(partitions) == list(range(PARTITIONS))
    for p, d in partitions.items():
        assert sorted(d["replicas"]) == [1, 2, 3], "partition %d: replicas %s" % (p, d["replicas"])
        assert sorted(d["isrs"]) == [1, 2, 3], "partition %d: ISR %s" % (p, d["isrs"])
    return partitions


def start_producer(cluster, workdir):
    paths = {k: workdir / v for k, v in (("acks", "acks.txt"), ("stop", "stop"), ("summary", "producer-summary.json"),
                                          ("progress", "progress.txt"), ("log", "producer.log"))}
    with open(paths["log"], "wb") as plog:
        producer = subprocess.Popen(
            [str(VENV_PY), str(DRIVERS / "durability_producer.py"), "--bootstrap", cluster.bootstrap,
             "--topic", TOPIC, "--partitions", str(PARTITIONS), "--value-size", "100",
             "--max-in-flight", "2000", "--acks-file", str(paths["acks"]), "--stop-file", str(paths["stop"]),
             "--summary-file", str(paths["summary"]), "--progress-file", str(paths["progress"]), "--timeout", "360"],
            stdout=plog, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return producer, paths


def leaders_moved_off(cluster, victim):
    # Asked of another node: a paused one accepts connections but never answers.
    d = describe(cluster, TOPIC, via=next(n for n in (1, 2, 3) if n != victim))
    return d if d and all(v["leader"] not in (-1, victim) and victim not in v["isrs"] for v in d.values()) else None


def all_in_sync(cluster):
    d = describe(cluster, TOPIC)
    return d if d and all(sorted(v["isrs"]) == [1, 2, 3] and v["leader"] > 0 for v in d.values()) else None


def run_with_fault(cluster, workdir, fault):
    """Starts the cluster, creates the topic, runs the producer; after 3000 delivery reports calls
    fault(cluster, victim, acks_path, producer, facts) with the leader of partition 0 as the victim;
    once every replica is back in every ISR, stops the producer, reads everything back and checks it."""
    cluster.start()
    cluster.wait_for_brokers(3)
    victim = create_replicated_topic(cluster, workdir)[0]["leader"]
    producer, paths = start_producer(cluster, workdir)
    facts = {"victim": victim}
    try:
        wait_for_acks(paths["acks"], 3000, producer, 120, "before the fault")
        fault(cluster, victim, paths["acks"], producer, facts)
        wait_until("every replica back in every ISR", lambda: all_in_sync(cluster), 120)
        at_end = count_lines(paths["acks"])
        wait_for_acks(paths["acks"], at_end + 1000, producer, 120, "after the cluster healed")
        paths["stop"].touch()
        producer.wait(180)
    finally:
        if producer.poll() is None:
            producer.kill()
            producer.wait()
    producer_log = paths["log"].read_text(errors="replace")
    if not paths["summary"].exists():
        pytest.fail("producer left no summary (exit %s); its log:\n%s" % (producer.returncode, tail(producer_log)))
    summary = json.loads(paths["summary"].read_text())
    rc, result, read_log = CLIENTS["confluent-venv"].run(
        "read", read_spec(cluster.bootstrap, TOPIC, range(PARTITIONS), timeout=150, digest=True), workdir, "verify")
    if result is None:
        pytest.fail("reading back: driver exited %s; its log:\n%s" % (rc, tail(read_log)))
    problems, checked = analyse(paths["acks"], summary, result, 100)
    facts.update(checked)
    # Offline, after a clean stop: the three replicas hold the same batches below the high watermark,
    # byte for byte and as `strom dump-log` prints them (with leader epochs that match their batches).
    cluster.stop()
    for p in range(PARTITIONS):
        dirs = [cluster.data_dir(n) for n in (1, 2, 3)]
        found, hw = compare(dirs, TOPIC, p)
        facts.setdefault("checkpointed high watermarks", {})[p] = hw
        problems += found + compare_replicas(dirs, TOPIC, p)[0]
    (workdir / "facts.json").write_text(json.dumps(facts, indent=1))
    print("replication fault facts:", facts)
    assert not problems, "%s\nfacts: %s\nproducer log:\n%s" % ("\n".join(problems), facts, tail(producer_log, 25))


@pytest.mark.timeout(420)
def test_kill9_of_a_partition_leader_loses_no_acknowledged_record(cluster, workdir):
    def fault(cluster, victim, acks, producer, facts):
        cluster.kill9(victim)
        at_kill = count_lines(acks)
        t0 = time.time()
        # The partitions the victim led get a new leader from the ISR; the producer carries on there.
        wait_for_acks(acks, at_kill + 1, producer, 60, "after the kill")
        facts["first delivery report after the kill (s)"] = round(time.time() - t0, 2)
        wait_until("new leaders elected, the killed node out of every ISR", lambda: leaders_moved_off(cluster, victim), 60)
        wait_for_acks(acks, at_kill + 3000, producer, 120, "on the new leaders")
        facts["delivery reports at kill"] = at_kill
        # It restarts, truncates what it had beyond the new leaders' logs, catches up and rejoins.
        cluster.start(victim)

    run_with_fault(cluster, workdir, fault)


@pytest.mark.timeout(420)
def test_a_leader_paused_past_its_session_loses_no_acknowledged_record(cluster, workdir):
    def fault(cluster, victim, acks, producer, facts):
        cluster.pause(victim)
        try:
            at_pause = count_lines(acks)
            # Past broker.session.timeout.ms (9 s) the controller fences it and moves its leaderships.
            wait_until("new leaders elected, the paused node out of every ISR", lambda: leaders_moved_off(cluster, victim), 60)
            wait_for_acks(acks, at_pause + 2000, producer, 120, "while the old leader is paused")
            facts["delivery reports at pause"] = at_pause
        finally:
            cluster.resume(victim)

    run_with_fault(cluster, workdir, fault)


@pytest.mark.timeout(600)
def test_a_rolling_restart_loses_no_acknowledged_record(cluster, workdir):
    def fault(cluster, victim, acks, producer, facts):
        for node in (1, 2, 3):
            before = count_lines(acks)
            cluster.restart(node)  # SIGTERM, a clean start, back answering
            wait_until("node %d back in every ISR" % node, lambda: all_in_sync(cluster), 120)
            wait_for_acks(acks, before + 500, producer, 120, "after restarting node %d" % node)

    run_with_fault(cluster, workdir, fault)

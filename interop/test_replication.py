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
from records import produce_spec, read_spec
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


def describe(cluster, topic):
    """{partition: {"leader", "replicas", "isrs"}} as a client's Metadata request sees it."""
    p = subprocess.run([str(VENV_PY), str(DRIVERS / "describe_topic.py"), cluster.bootstrap, topic],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, "describe_topic.py failed: %s" % p.stderr[-1500:]
    out = json.loads(p.stdout)
    assert "error" not in out, out
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
    partitions = describe(cluster, TOPIC)
    assert sorted(partitions) == list(range(PARTITIONS))
    for p, d in partitions.items():
        assert sorted(d["replicas"]) == [1, 2, 3], "partition %d: replicas %s" % (p, d["replicas"])
        assert sorted(d["isrs"]) == [1, 2, 3], "partition %d: ISR %s" % (p, d["isrs"])
    return partitions


@pytest.mark.timeout(420)
def test_kill9_of_a_partition_leader_loses_no_acknowledged_record(cluster, workdir):
    cluster.start()
    cluster.wait_for_brokers(3)
    before = create_replicated_topic(cluster, workdir)
    victim = before[0]["leader"]

    acks_path, stop, summary_path = workdir / "acks.txt", workdir / "stop", workdir / "producer-summary.json"
    progress_path = workdir / "progress.txt"
    with open(workdir / "producer.log", "wb") as plog:
        producer = subprocess.Popen(
            [str(VENV_PY), str(DRIVERS / "durability_producer.py"), "--bootstrap", cluster.bootstrap,
             "--topic", TOPIC, "--partitions", str(PARTITIONS), "--value-size", "100",
             "--max-in-flight", "2000", "--acks-file", str(acks_path), "--stop-file", str(stop),
             "--summary-file", str(summary_path), "--progress-file", str(progress_path)],
            stdout=plog, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    facts = {"victim": victim}
    try:
        wait_for_acks(acks_path, 3000, producer, 120, "before the kill")
        cluster.kill9(victim)
        at_kill = count_lines(acks_path)
        t0 = time.time()
        # The partitions the victim led get a new leader from the ISR; the producer carries on there.
        wait_for_acks(acks_path, at_kill + 1, producer, 60, "after the kill")
        facts["first delivery report after the kill (s)"] = round(time.time() - t0, 2)
        after = wait_until("new leaders elected", lambda: (lambda d: d if all(
            v["leader"] not in (-1, victim) for v in d.values()) else None)(describe(cluster, TOPIC)), 60)
        for p, d in after.items():
            assert victim not in d["isrs"], "partition %d: the killed node is still in the ISR %s" % (p, d["isrs"])
        wait_for_acks(acks_path, at_kill + 3000, producer, 120, "on the new leaders")
        facts["delivery reports at kill"] = at_kill

        # The killed node restarts, truncates what it had beyond the new leaders' logs, catches up and
        # rejoins every ISR.
        cluster.start(victim)
        wait_until("the restarted node back in every ISR", lambda: all(
            victim in d["isrs"] for d in describe(cluster, TOPIC).values()), 120)
        stop.touch()
        producer.wait(180)
    finally:
        if producer.poll() is None:
            producer.kill()
            producer.wait()
    producer_log = (workdir / "producer.log").read_text(errors="replace")
    if not summary_path.exists():
        pytest.fail("producer left no summary (exit %s); its log:\n%s" % (producer.returncode, tail(producer_log)))
    summary = json.loads(summary_path.read_text())
    rc, result, read_log = CLIENTS["confluent-venv"].run(
        "read", read_spec(cluster.bootstrap, TOPIC, range(PARTITIONS), timeout=150, digest=True), workdir, "verify")
    if result is None:
        pytest.fail("reading back: driver exited %s; its log:\n%s" % (rc, tail(read_log)))
    problems, checked = analyse(acks_path, summary, result, 100)
    facts.update(checked)
    (workdir / "facts.json").write_text(json.dumps(facts, indent=1))
    print("replication kill -9 facts:", facts)
    assert not problems, "%s\nfacts: %s\nproducer log:\n%s" % ("\n".join(problems), facts, tail(producer_log, 25))

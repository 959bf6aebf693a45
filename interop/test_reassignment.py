"""Partition reassignment (KIP-455) on the three-node cluster (scripts/cluster.sh): a topic created
with replication factor 1 and written by confluent-kafka gets three replicas online through
kafka-python's AlterPartitionReassignments; once ListPartitionReassignments is empty and every ISR
holds three replicas, DescribeLogDirs must show the same partition sizes on every node. Then the
original leader of partition 0 is killed with kill -9, and every record must still be read back
exactly as produced, from the replicas the reassignment added. A second test moves each partition to
another node: the old node must delete its log, and the records must be read back from the new one."""
import json
import subprocess

import pytest

from clients import CLIENTS, DRIVERS, VENV_PY
from records import make_records
from steps import produce_and_check, read_and_check
from faults import wait_until
from test_replication import describe

PARTITIONS = 3
TOPIC = "reassigned"


def admin(cluster, *args):
    p = subprocess.run([str(VENV_PY), str(DRIVERS / "reassign.py"), cluster.bootstrap] + list(args),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "reassign.py %s failed: %s" % (args[0], p.stderr[-1500:])
    out = json.loads(p.stdout)
    assert not (isinstance(out, dict) and "error" in out and isinstance(out["error"], str)), out
    return out


def reassigned(cluster):
    """The topic's partitions once nothing is moving and every ISR holds all three nodes."""
    if admin(cluster, "list", TOPIC):
        return None
    d = describe(cluster, TOPIC)
    done = all(sorted(v["replicas"]) == [1, 2, 3] and sorted(v["isrs"]) == [1, 2, 3] and v["leader"] > 0 for v in d.values())
    return d if done else None


@pytest.mark.timeout(300)
def test_raising_the_replication_factor_online_survives_a_kill9_of_the_original_leader(cluster, workdir):
    cluster.start()
    cluster.wait_for_brokers(3)
    records = make_records("reassign", partitions=PARTITIONS)
    offsets = produce_and_check(CLIENTS["confluent-venv"], cluster, TOPIC, records, "none", True, workdir,
                                create_partitions=PARTITIONS)
    before = describe(cluster, TOPIC)
    assert all(len(v["replicas"]) == 1 for v in before.values()), before
    victim = before[0]["leader"]

    # Every partition to all three nodes, its current replica first (it keeps the leadership).
    targets = {"%s:%d" % (TOPIC, p): [v["leader"]] + [n for n in (1, 2, 3) if n != v["leader"]] for p, v in before.items()}
    results = admin(cluster, "alter", json.dumps(targets))
    assert results == {k: None for k in targets}, results
    after = wait_until("the reassignment completed (nothing listed, ISR of 3 everywhere)", lambda: reassigned(cluster), 120)
    for p, v in after.items():
        assert v["replicas"] == targets["%s:%d" % (TOPIC, p)], "partition %d: replicas %s" % (p, v["replicas"])
        assert v["leader"] == before[p]["leader"], "partition %d: the leader moved to %s" % (p, v["leader"])

    # Each node now holds each partition, with the same bytes.
    dirs = admin(cluster, "log-dirs", TOPIC)
    assert sorted(dirs) == ["1", "2", "3"], dirs
    sizes = {}
    for broker, entries in dirs.items():
        assert len(entries) == 1 and entries[0]["error_code"] == 0, entries
        assert entries[0]["total_bytes"] > 0 and 0 < entries[0]["usable_bytes"] <= entries[0]["total_bytes"], entries
        parts = entries[0]["partitions"]
        assert sorted(parts) == [str(p) for p in range(PARTITIONS)], "broker %s holds %s" % (broker, sorted(parts))
        for p, info in parts.items():
            assert info["offset_lag"] == 0 and not info["is_future_key"], info
            sizes.setdefault(p, {})[broker] = info["size"]
    for p, by_broker in sizes.items():
        assert len(set(by_broker.values())) == 1 and min(by_broker.values()) > 0, "partition %s sizes %s" % (p, by_broker)

    # The node that held the data alone before is killed: the added replicas serve everything.
    cluster.kill9(victim)
    # Every surviving node's own metadata, not just the first to answer: the reader may bootstrap from
    # either, and one still naming the dead leader sends its ListOffsets there.
    for n in (m for m in (1, 2, 3) if m != victim):
        wait_until("node %d's metadata naming new leaders without the killed node" % n,
                   lambda: all(v["leader"] not in (-1, victim) for v in (describe(cluster, TOPIC, via=n) or {0: {"leader": -1}}).values()), 60)
    problems = read_and_check(CLIENTS["confluent-venv"], cluster, TOPIC, range(PARTITIONS), records, offsets, workdir,
                              tag="after-kill")
    assert not problems, "\n".join(problems)


@pytest.mark.timeout(300)
def test_moving_every_partition_to_another_node_deletes_the_old_logs(cluster, workdir):
    """Each single-replica partition moves to the next node: the new replica copies the log, the move
    completes with a new leader, and the old node stops the replica and deletes its directory."""
    cluster.start()
    cluster.wait_for_brokers(3)
    topic = "moved"
    records = make_records("moved", partitions=PARTITIONS)
    offsets = produce_and_check(CLIENTS["confluent-venv"], cluster, topic, records, "none", True, workdir,
                                create_partitions=PARTITIONS)
    before = describe(cluster, topic)
    old = {p: v["leader"] for p, v in before.items()}
    new = {p: n % 3 + 1 for p, n in old.items()}
    for p, n in old.items():
        assert (cluster.data_dir(n) / ("%s-%d" % (topic, p))).is_dir(), "partition %d not on node %d" % (p, n)

    results = admin(cluster, "alter", json.dumps({"%s:%d" % (topic, p): [n] for p, n in new.items()}))
    assert results == {"%s:%d" % (topic, p): None for p in new}, results

    def moved():
        if admin(cluster, "list", topic):
            return None
        d = describe(cluster, topic)
        return d if all(v["replicas"] == [new[p]] and v["isrs"] == [new[p]] and v["leader"] == new[p] for p, v in d.items()) else None

    wait_until("every partition on its new node alone", moved, 120)
    for p in range(PARTITIONS):
        gone = cluster.data_dir(old[p]) / ("%s-%d" % (topic, p))
        wait_until("node %d deleted %s" % (old[p], gone.name), lambda: not gone.exists(), 30)
        assert (cluster.data_dir(new[p]) / ("%s-%d" % (topic, p))).is_dir()
    problems = read_and_check(CLIENTS["confluent-venv"], cluster, topic, range(PARTITIONS), records, offsets, workdir,
                              tag="after-move")
    assert not problems, "\n".join(problems)

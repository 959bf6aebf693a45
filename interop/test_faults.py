"""Jepsen-style faults on the three-node cluster (scripts/cluster.sh), beyond test_replication's
kill -9, SIGSTOP and rolling restart: a network partition around a partition leader, and group
consumers reading through a leader's crash. The topic has replication factor 3 and
min.insync.replicas=2; the producers are idempotent acks=all ones of three stock clients
(interop/faults.py: confluent-kafka, kafka-python 3.x, sarama), each with its own keys.

Afterwards every acknowledged record must be in the log exactly once, at its acknowledged offset,
with its value, each producer's records in produce order per partition (faults.analyse), and no
record of confluent-kafka or kafka-python may fail (sarama 1.22's may: see faults.py); group
members must together have processed every acknowledged record (duplicates across a rebalance
are counted, not failures); and after a clean stop the three replicas must hold the same batches
below the high watermark, as `strom dump-log` prints them and byte for byte (dumplog.py,
replicas.py). Every wait is on an
event (a metadata change, delivery reports, consumed offsets) with a deadline, never a sleep.
"""
import time

import pytest

from cluster import NODES
from faults import (FaultError, DurabilityProducer, bootstrap_without, create_topic, describe, divergent_truncations,
                    finish, in_sync, moved_off, wait_for_reports, wait_until, write_uncommitted_tail)
from groups import Member

TOPIC = "faults"
PARTITIONS = 3
VALUE_SIZE = 100


def log_bytes(cluster, node, partition):
    """The size of node N's segments of the topic's partition."""
    return sum(f.stat().st_size for f in (cluster.data_dir(node) / ("%s-%d" % (TOPIC, partition))).glob("*.log"))


@pytest.mark.timeout(540)
def test_an_isolated_leader_is_fenced_and_truncates_its_divergent_tail(cluster, workdir):
    """Node V, the leader of partition 0, is first cut off from the other nodes only (nftables drops
    their packets): clients still reach it, and it appends and acknowledges 20 acks=1 records its
    followers can no longer fetch, a tail it can never commit. Then the clients are cut off too. Past
    broker.session.timeout.ms the controller fences it, its partitions get new leaders from the ISR,
    and the three producers carry on there. After the partition heals, V learns of the newer leader
    epochs, truncates that tail (none of those records may be left), fetches what it missed and
    rejoins every ISR."""
    cluster.start()
    cluster.wait_for_brokers(3)
    victim = create_topic(cluster.bootstrap, TOPIC, PARTITIONS, workdir)[0]["leader"]
    rest = bootstrap_without(cluster, victim)
    facts = {"victim": victim}
    producers = []
    try:
        producers = [DurabilityProducer(k, cluster.bootstrap, TOPIC, PARTITIONS, workdir, VALUE_SIZE)
                     for k in ("confluent", "kafka-python", "sarama")]
        wait_for_reports(producers, 1500, 120, "before the partition")
        log_mark = cluster.log_path(victim).stat().st_size
        cluster.isolate(victim, from_clients=False)
        # Cut off from its followers, the leader still takes acks=1 records: a tail it can never commit
        # (the acks=all producers' requests there just wait). It must be gone after the heal.
        at_cut = log_bytes(cluster, victim, 0)
        tail = write_uncommitted_tail("127.0.0.1:%d" % cluster.client_port(victim), TOPIC, 0, 20)
        facts["acks=1 records the isolated leader acknowledged"] = tail
        facts["bytes it appended past the cut"] = log_bytes(cluster, victim, 0) - at_cut
        if tail == 0:
            pytest.fail("the leader cut off from its followers acknowledged none of 20 acks=1 records")
        cluster.isolate(victim)
        t0 = time.time()
        # Fenced: the others stop listing it as a broker, and no partition keeps it as leader or in its ISR.
        survivor = next(n for n in NODES if n != victim)
        wait_until("the isolated node fenced (node %d lists 2 brokers)" % survivor,
                   lambda: cluster.brokers_seen_by(survivor) == 2, 90)
        facts["fenced after (s)"] = round(time.time() - t0, 1)
        wait_until("new leaders elected, the isolated node out of every ISR", lambda: moved_off(rest, TOPIC, victim), 60)
        facts["leaders moved after (s)"] = round(time.time() - t0, 1)
        wait_for_reports(producers, 1000, 180, "from the new leaders while the old one is isolated")
        facts["isolated for (s)"] = round(time.time() - t0, 1)
        cluster.heal(victim)
        t1 = time.time()
        # Asked of the other nodes: the healed one answers from its stale image (itself leader, every
        # replica in sync) until it has caught up on the metadata log.
        wait_until("every replica back in every ISR", lambda: in_sync(rest, TOPIC, PARTITIONS), 120)
        facts["back in every ISR after (s)"] = round(time.time() - t1, 1)
        # The healed node answers as a follower now: its own metadata names another leader for partition 0.
        own = wait_until("the healed node's own metadata naming the new leaders",
                         lambda: (lambda d: d if d and d[0]["leader"] not in (-1, victim) else None)(
                             describe("127.0.0.1:%d" % cluster.client_port(victim), TOPIC)), 60)
        facts["leader of partition 0 after healing"] = own[0]["leader"]
        wait_for_reports(producers, 500, 120, "after healing")
        # The truncation is logged when the healed node's first fetch from the new leader comes back
        # with the diverging epoch, which may be just after its metadata named that leader: wait for it.
        def tail_truncated():
            found = divergent_truncations(cluster.log_since(victim, log_mark, max_lines=100000))
            return found if any(p == "%s-0" % TOPIC and (end is None or end > to) for p, end, to in found) else None
        try:
            truncations = wait_until("node %d truncating its tail of %s-0" % (victim, TOPIC), tail_truncated, 60)
            missing = []
        except FaultError:
            truncations = divergent_truncations(cluster.log_since(victim, log_mark, max_lines=100000))
            missing = ["node %d logged no truncation of the tail of %s-0 it appended while cut off" % (victim, TOPIC)]
        facts["truncations on the healed node (partition, log end, truncated to)"] = truncations
        finish(cluster, workdir, TOPIC, PARTITIONS, producers, facts, problems=missing)
    finally:
        for p in producers:
            p.kill()


def coordinator_group(cluster, node, prefix="faults-group-"):
    """A group id whose coordinator (the leader of its __consumer_offsets partition, by Kafka's
    hash of the id) is `node`."""
    offsets = describe(cluster.bootstrap, "__consumer_offsets")
    if not offsets:
        raise FaultError("no __consumer_offsets metadata")
    for i in range(10000):
        group = "%s%d" % (prefix, i)
        h = 0
        for ch in group.encode("utf-16-be").decode("utf-16-be"):
            h = (31 * h + ord(ch)) & 0xFFFFFFFF
        if offsets[(h & 0x7FFFFFFF) % len(offsets)]["leader"] == node:
            return group
    raise FaultError("no group id found whose coordinator is node %d" % node)


@pytest.mark.timeout(540)
def test_group_consumers_miss_no_acknowledged_record_when_the_leader_and_coordinator_die(cluster, workdir):
    """Two group members (confluent-kafka and kafka-python) read the topic while sarama and
    kafka-python producers write it; node V, the leader of partition 0 and the group's
    coordinator, is killed with kill -9 and restarted. Every acknowledged record must be
    processed by a member at least once."""
    cluster.start()
    cluster.wait_for_brokers(3)
    victim = create_topic(cluster.bootstrap, TOPIC, PARTITIONS, workdir)[0]["leader"]
    rest = bootstrap_without(cluster, victim)
    group = coordinator_group(cluster, victim)
    facts = {"victim": victim, "group": group}
    producers, members = [], []
    try:
        members = [Member(client, cluster, workdir, TOPIC, group, name, session_timeout_ms=10000, timeout=480)
                   for client, name in (("confluent-venv", "m1"), ("kafka-python-venv", "m2"))]
        wait_until("both members holding partitions",
                   lambda: all(m.assignment() for m in members) and
                   sorted(p for m in members for p in m.assignment()) == list(range(PARTITIONS)), 90)
        producers = [DurabilityProducer(k, cluster.bootstrap, TOPIC, PARTITIONS, workdir, VALUE_SIZE)
                     for k in ("kafka-python", "sarama")]
        wait_for_reports(producers, 1500, 120, "before the kill")
        wait_until("the members processing records", lambda: all(m.records() for m in members), 60)
        cluster.kill9(victim)
        t0 = time.time()
        wait_until("new leaders elected, the killed node out of every ISR", lambda: moved_off(rest, TOPIC, victim), 60)
        facts["leaders moved after (s)"] = round(time.time() - t0, 1)
        wait_for_reports(producers, 1000, 150, "on the new leaders")
        cluster.start(victim)
        wait_until("every replica back in every ISR", lambda: in_sync(cluster.bootstrap, TOPIC, PARTITIONS), 120)
        wait_for_reports(producers, 500, 120, "after the restart")
        for m in members:
            m.check_alive()
        finish(cluster, workdir, TOPIC, PARTITIONS, producers, facts, members)
    finally:
        for p in producers:
            p.kill()
        for m in members:
            m.cleanup()

"""Partition replication on the three-node cluster (scripts/cluster.sh): a topic with replication
factor 3 and min.insync.replicas=2, written by idempotent acks=all producers of three stock clients
(confluent-kafka, kafka-python, sarama; interop/faults.py's DurabilityProducer) while a partition
leader is killed with kill -9, paused past its session with SIGSTOP, or every node is restarted in
turn. Afterwards every acknowledged record must be in the log exactly once, at its acknowledged
offset, with its value, in produce order (faults.analyse), and the replicas must hold the same
batches below the high watermark (faults.finish). The victim comes back, catches up and rejoins
every ISR."""
import time

import pytest

from faults import (DurabilityProducer, bootstrap_without, create_topic, finish, in_sync, moved_off, wait_for_reports,
                    wait_until)
from faults import describe as describe_via

PARTITIONS = 3
TOPIC = "replicated"
VALUE_SIZE = 100
KINDS = ("confluent", "kafka-python", "sarama")


def describe(cluster, topic, via=None):
    """{partition: {"leader", "replicas", "isrs"}} as a client's Metadata request sees it (through
    node `via` only, when given); None while the node answering does not know the topic yet."""
    bootstrap = "127.0.0.1:%d" % cluster.client_port(via) if via else cluster.bootstrap
    return describe_via(bootstrap, topic) or None


def all_in_sync(cluster):
    return in_sync(cluster.bootstrap, TOPIC, PARTITIONS)


def run_with_fault(cluster, workdir, fault):
    """Starts the cluster, creates the topic, runs the three producers; after 1500 delivery reports
    each calls fault(cluster, victim, producers, facts) with the leader of partition 0 as the victim;
    once every replica is back in every ISR and each producer has 500 more reports, stops them and
    runs every check."""
    cluster.start()
    cluster.wait_for_brokers(3)
    victim = create_topic(cluster.bootstrap, TOPIC, PARTITIONS, workdir)[0]["leader"]
    facts = {"victim": victim}
    producers = []
    try:
        producers = [DurabilityProducer(k, cluster.bootstrap, TOPIC, PARTITIONS, workdir, VALUE_SIZE) for k in KINDS]
        wait_for_reports(producers, 1500, 120, "before the fault")
        fault(cluster, victim, producers, facts)
        wait_until("every replica back in every ISR", lambda: all_in_sync(cluster), 120)
        wait_for_reports(producers, 500, 120, "after the cluster healed")
        finish(cluster, workdir, TOPIC, PARTITIONS, producers, facts, value_size=VALUE_SIZE)
    finally:
        for p in producers:
            p.kill()


@pytest.mark.timeout(480)
def test_kill9_of_a_partition_leader_loses_no_acknowledged_record(cluster, workdir):
    def fault(cluster, victim, producers, facts):
        cluster.kill9(victim)
        t0 = time.time()
        # The partitions the victim led get a new leader from the ISR; the producers carry on there.
        wait_for_reports(producers, 1, 60, "after the kill")
        facts["first delivery report of every producer after the kill (s)"] = round(time.time() - t0, 2)
        wait_until("new leaders elected, the killed node out of every ISR",
                   lambda: moved_off(bootstrap_without(cluster, victim), TOPIC, victim), 60)
        wait_for_reports(producers, 2000, 120, "on the new leaders")
        # It restarts, truncates what it had beyond the new leaders' logs, catches up and rejoins.
        cluster.start(victim)

    run_with_fault(cluster, workdir, fault)


@pytest.mark.timeout(480)
def test_a_leader_paused_past_its_session_loses_no_acknowledged_record(cluster, workdir):
    def fault(cluster, victim, producers, facts):
        cluster.pause(victim)
        t0 = time.time()
        try:
            # Past broker.session.timeout.ms (9 s) the controller fences it and moves its leaderships.
            wait_until("new leaders elected, the paused node out of every ISR",
                       lambda: moved_off(bootstrap_without(cluster, victim), TOPIC, victim), 60)
            facts["leaders moved after (s)"] = round(time.time() - t0, 1)
            wait_for_reports(producers, 1500, 120, "while the old leader is paused")
        finally:
            cluster.resume(victim)

    run_with_fault(cluster, workdir, fault)


@pytest.mark.timeout(660)
def test_a_rolling_restart_loses_no_acknowledged_record(cluster, workdir):
    def fault(cluster, victim, producers, facts):
        for node in (1, 2, 3):
            cluster.restart(node)  # SIGTERM, a clean start, back answering
            wait_until("node %d back in every ISR" % node, lambda: all_in_sync(cluster), 120)
            wait_for_reports(producers, 500, 120, "after restarting node %d" % node)

    run_with_fault(cluster, workdir, fault)

"""Fetching from the closest replica (KIP-392) on the three-node cluster: node N runs with
broker.rack rN, and every node with replica.selector.class = Kafka's RackAwareReplicaSelector.

A topic with one partition and three replicas is written by an acks=all producer (confluent-kafka).
A consumer (confluent-kafka, librdkafka) whose client.rack is the rack of a follower must read every
record exactly once, in order, from that follower: the leader answers its first Fetch with
PreferredReadReplica and no records, and librdkafka fetches from the follower from then on.
librdkafka's own statistics show it (rack_consumer.py): the partition's fetch broker is the
follower, the follower sent it all the record bytes, the leader next to nothing. Consumers without
client.rack, or in the leader's rack, read everything from the leader and send no Fetch elsewhere."""
import json
import subprocess

import pytest

from clients import CLIENTS, DRIVERS, VENV_PY
from cluster import NODES, Cluster
from records import Rec, produce_spec
from steps import tail
from faults import wait_until
from test_replication import describe

RACK_AWARE = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
TOPIC = "closest"
COUNT = 300
VALUE_SIZE = 1000
PAYLOAD = COUNT * VALUE_SIZE


@pytest.fixture
def cluster(workdir):
    c = Cluster(workdir / "cluster", overrides={"replica.selector.class": RACK_AWARE},
                node_overrides={n: {"broker.rack": "r%d" % n} for n in NODES})
    yield c
    c.close()
    if c.problems:
        pytest.fail("cluster: %s" % "; ".join(c.problems))


def value(i):
    return ("record %05d " % i).ljust(VALUE_SIZE, "x")


def in_sync(cluster):
    """Partition 0 of the topic once it has a leader and all three replicas in its ISR, else None."""
    d = describe(cluster, TOPIC)
    p = d.get(0) if d else None
    return p if p and p["leader"] > 0 and sorted(p["isrs"]) == [1, 2, 3] else None


def consume(cluster, workdir, rack, tag):
    """rack_consumer.py's result for a consumer in `rack` (None: no client.rack); its stderr and a
    summary (without the records) are kept in the work directory."""
    args = [str(VENV_PY), str(DRIVERS / "rack_consumer.py"), cluster.bootstrap, TOPIC, "0", str(COUNT)]
    p = subprocess.run(args + ([rack] if rack is not None else []), capture_output=True, text=True, timeout=120)
    (workdir / ("%s.log" % tag)).write_text(p.stderr)
    assert p.returncode == 0, "rack_consumer.py (%s) exited %d:\n%s" % (tag, p.returncode, tail(p.stderr))
    out = json.loads(p.stdout)
    summary = {k: v for k, v in out.items() if k != "records"}
    summary["records read"] = len(out["records"])
    (workdir / ("%s.json" % tag)).write_text(json.dumps(summary, indent=1))
    print("%s consumer:" % tag, summary)
    assert out["error"] is None, "%s consumer: %s" % (tag, out["error"])
    return out, summary


@pytest.mark.timeout(300)
def test_a_consumer_reads_from_the_follower_in_its_rack(cluster, workdir):
    cluster.start()
    cluster.wait_for_brokers(3)
    spec = produce_spec(cluster.bootstrap, TOPIC, [Rec(0, None, value(i).encode()) for i in range(COUNT)], "none", True)
    spec["create"] = {"partitions": 1, "replication_factor": 3}
    rc, result, log = CLIENTS["confluent-venv"].run("produce", spec, workdir, "produce")
    assert rc == 0 and result is not None, "producing failed:\n%s" % tail(log)
    assert not result["errors"] and len(result["acks"]) == COUNT, "producer: %s" % result["errors"][:5]
    partition = wait_until("all three replicas in the ISR", lambda: in_sync(cluster), 60)
    leader = partition["leader"]
    follower = next(n for n in partition["replicas"] if n != leader)
    expected = [[i, value(i)] for i in range(COUNT)]

    near, facts = consume(cluster, workdir, "r%d" % follower, "follower-rack")
    assert near["records"] == expected, "every record once, in order"
    assert (near["leader"], near["fetching_from"]) == (leader, follower), facts
    # The leader answered with the follower's id (at least one Fetch went there) but sent no records.
    assert near["fetch_requests"].get(str(leader), 0) >= 1, facts
    assert near["fetch_requests"].get(str(follower), 0) >= 1, facts
    assert near["rx_bytes"].get(str(follower), 0) >= PAYLOAD, facts
    assert near["rx_bytes"].get(str(leader), 0) < PAYLOAD // 10, facts

    for rack, tag in ((None, "no-rack"), ("r%d" % leader, "leader-rack")):
        out, facts = consume(cluster, workdir, rack, tag)
        assert out["records"] == expected, "%s: every record once, in order" % tag
        assert (out["leader"], out["fetching_from"]) == (leader, leader), facts
        assert out["rx_bytes"].get(str(leader), 0) >= PAYLOAD, facts
        assert all(n == 0 for node, n in out["fetch_requests"].items() if int(node) != leader), facts

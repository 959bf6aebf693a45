"""scripts/cluster.sh (through cluster.py): docker/compose.yaml's three nodes on loopback, with the
compose environment mapped by strom itself: each node starts from compose.yaml's settings, the
three form one quorum (every node lists all three brokers), each survives kill -9 and restart with
its data, and is wiped and re-formatted.
"""
import pytest

from broker import metadata_brokers
from cluster import NODES

COMPOSE_CLUSTER_ID = "c3Ryb20tY2x1c3Rlci0xMQ"
# docker/compose.yaml's client ports; a copy named by $STROM_COMPOSE shifts them all by one offset.
COMPOSE_CLIENT_PORTS = {1: 9092, 2: 19092, 3: 29092}


def client_ports(cluster):
    """The client ports of the compose file in use, checked to be compose.yaml's shifted by one offset."""
    ports = {n: cluster.client_port(n) for n in NODES}
    shift = ports[1] - COMPOSE_CLIENT_PORTS[1]
    assert ports == {n: p + shift for n, p in COMPOSE_CLIENT_PORTS.items()}, ports
    return ports


def test_nodes_run_the_compose_environment(cluster):
    cluster.start()
    ports = client_ports(cluster)
    assert cluster.bootstrap == ",".join("127.0.0.1:%d" % ports[n] for n in NODES)
    for n in NODES:
        env = cluster.environment(n)
        assert env["KAFKA_NODE_ID"] == str(n)
        assert env["CLUSTER_ID"] == COMPOSE_CLUSTER_ID
        props = cluster.server_properties(n)
        assert props["node.id"] == str(n)
        assert props["process.roles"] == "broker,controller"
        assert props["controller.quorum.voters"] == ",".join("%d@127.0.0.1:%d" % (m, ports[m] + 1) for m in NODES)
        assert props["offsets.topic.replication.factor"] == "3"
        port = ports[n]
        assert props["listeners"] == "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d,INTERNAL://127.0.0.1:%d" % (
            port, port + 1, port + 2)
        assert props["inter.broker.listener.name"] == "INTERNAL"
        assert props["log.dirs"] == str(cluster.data_dir(n))
        meta = cluster.meta_properties(n)
        assert meta["cluster.id"] == COMPOSE_CLUSTER_ID and meta["node.id"] == str(n)
        assert cluster.alive(n)
    cluster.wait_for_brokers(3)
    for n in NODES:
        assert metadata_brokers(ports[n]) == 3, "node %d does not see the whole cluster" % n
    assert cluster.status() == {n: (True, True) for n in NODES}


def test_kill9_restart_and_wipe(cluster):
    cluster.start()
    directory_id = cluster.meta_properties(2)["directory.id"]

    cluster.kill9(2)
    assert not cluster.alive(2)
    assert cluster.status() == {1: (True, True), 2: (False, False), 3: (True, True)}

    cluster.restart(2)
    assert cluster.alive(2)
    assert cluster.meta_properties(2)["directory.id"] == directory_id, "restart must keep node 2's data"
    assert metadata_brokers(client_ports(cluster)[2]) >= 1

    old3 = cluster.meta_properties(3)["directory.id"]
    cluster.wipe(3)
    assert not cluster.alive(3) and not cluster.node_dir(3).exists()
    cluster.start(3)
    meta = cluster.meta_properties(3)
    assert meta["cluster.id"] == COMPOSE_CLUSTER_ID and meta["directory.id"] != old3

    # Read everything each node logged after the stop began: a node that resigns many partitions
    # logs more than a fixed tail holds after its "shutting down" line.
    marks = {n: cluster.log_path(n).stat().st_size for n in NODES}
    cluster.stop()
    assert cluster.status() == {n: (False, False) for n in NODES}
    for n in NODES:
        log = cluster.log_since(n, marks[n], max_lines=100000)
        assert "shutting down" in log, "node %d did not shut down on SIGTERM" % n


def test_a_refused_configuration_fails_start_and_names_the_key(cluster):
    cluster.overrides = {"num.partitions": "0"}
    with pytest.raises(Exception) as failure:
        cluster.start(1)
    assert "num.partitions" in str(failure.value)
    assert not cluster.alive(1)

"""Three `strom` processes form a KRaft quorum on loopback (issue 5): clients work through any node,
the active controller can be killed with SIGKILL and metadata operations resume under a new one, a
fenced broker's partitions lose their leader until it returns, a wiped node rebuilds its metadata
from the quorum, and a full restart keeps everything. Timings are printed (run with -s to see them)."""
import shutil
import subprocess
import time

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from kcat import binary as kcat_binary
from quorum import Cluster, describe_quorum

# Short broker sessions so fencing is observable quickly; the quorum keeps Kafka's timers.
FAST = {"broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500",
        # Snapshot every few KB of metadata, so a handful of topics produces snapshots.
        "metadata.log.max.record.bytes.between.snapshots": "3000"}


@pytest.fixture
def cluster(workdir):
    c = Cluster(workdir, overrides=FAST)
    c.start()
    yield c
    problems = c.stop()
    if problems:
        pytest.fail("cluster: %s" % "; ".join(problems))


def create_topic(bootstrap, name, partitions, timeout=30):
    """CreateTopics through `bootstrap`, retried while no controller answers; returns the seconds it took."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    t0 = time.time()
    last = None
    while time.time() - t0 < timeout:
        f = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)], request_timeout=5)[name]
        try:
            f.result()
            return time.time() - t0
        except Exception as e:  # retriable until the deadline: NOT_CONTROLLER, timeouts
            if "TOPIC_ALREADY_EXISTS" in str(e):
                return time.time() - t0
            last = e
            time.sleep(0.05)
    raise AssertionError("CreateTopics %s did not succeed in %ss: %s" % (name, timeout, last))


def partition_leaders(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    md = admin.list_topics(topic, timeout=10)
    return {p.id: p.leader for p in md.topics[topic].partitions.values()}


def produce(bootstrap, topic, count, prefix):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    delivered = []
    for i in range(count):
        p.produce(topic, key=b"%s-%d" % (prefix.encode(), i), value=b"v%d" % i,
                  on_delivery=lambda err, msg: delivered.append(err))
    assert p.flush(30) == 0
    assert delivered == [None] * count, [e for e in delivered if e][:3]


def consume_all(bootstrap, topic, expected, group, timeout=40):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.subscribe([topic])
    seen = set()
    t0 = time.time()
    try:
        while time.time() - t0 < timeout and len(seen) < expected:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                seen.add(m.key())
        if seen:
            c.commit(asynchronous=False)
    finally:
        c.close()
    return seen


def test_three_nodes_serve_clients_through_any_node(cluster):
    leader, epoch = cluster.leader()
    # Every node knows the same leader and epoch, and every voter has the leader's log end offset.
    for i in (1, 2, 3):
        error, l, e, hw, voters = describe_quorum(cluster.nodes[i].port)
        assert (error, l, e) == (0, leader, epoch)
        assert sorted(voters) == [1, 2, 3]
    follower = next(i for i in (1, 2, 3) if i != leader)
    # CreateTopics sent to a follower is forwarded to the active controller.
    create_topic(cluster.bootstrap(follower), "spread", 6)
    leaders = partition_leaders(cluster.bootstrap(follower), "spread")
    assert sorted(leaders) == list(range(6))
    assert set(leaders.values()) == {1, 2, 3}, "partitions are spread over the three brokers: %s" % leaders
    # kcat produces through one node, a confluent-kafka group consumes through another.
    lines = "".join("k%d:v%d\n" % (i, i) for i in range(300))
    subprocess.run([kcat_binary(), "-b", cluster.bootstrap(1), "-P", "-t", "spread", "-K:"], input=lines.encode(),
                   check=True, timeout=60)
    produce(cluster.bootstrap(2), "spread", 300, "py")
    seen = consume_all(cluster.bootstrap(3), "spread", 600, "g-spread")
    assert len(seen) == 600
    # The group's offsets were committed to its coordinator, wherever it is: a new consumer reads nothing.
    assert consume_all(cluster.bootstrap(1), "spread", 1, "g-spread", timeout=8) == set()


def test_kill9_active_controller_then_metadata_resumes(cluster):
    create_topic(cluster.bootstrap(), "before", 3)
    produce(cluster.bootstrap(), "before", 90, "b")
    leader, epoch = cluster.leader()
    survivors = [i for i in (1, 2, 3) if i != leader]
    cluster.nodes[leader].kill9()
    t0 = time.time()
    new_leader, new_epoch = None, None
    while time.time() - t0 < 30:
        for s in survivors:
            try:
                error, l, e, _, _ = describe_quorum(cluster.nodes[s].port, timeout=0.5)
            except (OSError, ConnectionError):
                continue  # forwarded to the dead leader: no answer yet
            if error == 0 and l in survivors:
                new_leader, new_epoch = l, e
        if new_leader:
            break
        time.sleep(0.02)
    elected = time.time() - t0
    assert new_leader in survivors and new_epoch > epoch
    created = create_topic(cluster.bootstrap(*survivors), "after-kill", 2)
    print("\nkill -9 of controller %d: new leader %d after %.2f s; CreateTopics succeeded %.2f s after the kill"
          % (leader, new_leader, elected, time.time() - t0))
    # The killed broker's partitions lose their leader once its session expires (leader -1).
    deadline = time.time() + 20
    while time.time() < deadline:
        leaders = partition_leaders(cluster.bootstrap(*survivors), "before")
        if leader not in leaders.values():
            break
        time.sleep(0.2)
    assert leader not in leaders.values(), leaders
    assert -1 in leaders.values() or all(l in survivors for l in leaders.values())
    # It comes back: registered again, unfenced, its partitions led by it again, its data intact.
    cluster.nodes[leader].start()
    deadline = time.time() + 30
    while time.time() < deadline:
        leaders = partition_leaders(cluster.bootstrap(), "before")
        if -1 not in leaders.values():
            break
        time.sleep(0.2)
    assert -1 not in leaders.values(), leaders
    assert len(consume_all(cluster.bootstrap(), "before", 90, "g-before")) == 90
    assert created < 30


def checkpoints(node):
    return sorted(p.name for p in (node.data_dir / "__cluster_metadata-0").glob("*.checkpoint"))


def test_wiped_node_rebuilds_metadata_from_a_snapshot(cluster):
    create_topic(cluster.bootstrap(), "kept", 3)
    for i in range(6):
        create_topic(cluster.bootstrap(), "filler-%d" % i, 4)
    leader, _ = cluster.leader()
    assert checkpoints(cluster.nodes[leader]), "the leader took no snapshot"
    victim = next(i for i in (1, 2, 3) if i != leader)
    node = cluster.nodes[victim]
    node.stop()
    shutil.rmtree(node.data_dir)
    cluster.format(victim)
    log_mark = node.log_size()
    node.start()
    assert "installed the leader's metadata snapshot" in node.log_since(log_mark, max_lines=100000)
    assert checkpoints(node), "the wiped node keeps no snapshot"
    # The wiped node catches up: it lists the topic created before the wipe and serves new admin calls.
    md = AdminClient({"bootstrap.servers": node.bootstrap}).list_topics(timeout=10)
    assert "kept" in md.topics and len(md.topics["kept"].partitions) == 3
    create_topic(node.bootstrap, "after-wipe", 1)
    _, _, _, hw, voters = describe_quorum(node.port)
    assert voters.get(victim, -1) > 0


def test_restart_all_three_keeps_metadata_and_data(cluster):
    create_topic(cluster.bootstrap(), "durable", 4)
    produce(cluster.bootstrap(), "durable", 200, "d")
    assert cluster.stop() == []
    for node_id, n in cluster.nodes.items():
        n.launch()
    for n in cluster.nodes.values():
        n.wait_ready(60)
    leaders = partition_leaders(cluster.bootstrap(), "durable")
    assert sorted(leaders) == [0, 1, 2, 3] and -1 not in leaders.values()
    assert len(consume_all(cluster.bootstrap(), "durable", 200, "g-durable")) == 200


def retry_timed_out(call, timeout=30):
    """Calls until the answer is not REQUEST_TIMED_OUT; returns it and whether an earlier call timed out
    (such a call may still have taken effect, so a retry can find the change already made)."""
    deadline = time.time() + timeout
    timed_out = False
    while True:
        error, message = call()
        if error != 7 or time.time() > deadline:
            return error, message, timed_out
        timed_out = True
        time.sleep(0.2)


def test_replace_a_controller_without_downtime(cluster, workdir):
    """KIP-853: a fourth node joins through controller.quorum.bootstrap.servers as an observer, is made a
    voter with AddRaftVoter, then node 1 is removed with RemoveRaftVoter and stopped; the quorum of
    2, 3 and 4 keeps serving metadata and survives losing its leader."""
    from broker import BrokerProcess
    from quorum import add_raft_voter, directory_id_bytes, remove_raft_voter

    create_topic(cluster.bootstrap(), "before-replace", 2)
    bootstrap_controllers = ",".join("127.0.0.1:%d" % n.controller_port for n in cluster.nodes.values())
    node4 = BrokerProcess(workdir / "node4")
    node4.overrides.update(FAST)
    node4.overrides.update({"node.id": "4", "controller.quorum.voters": "",
                            "controller.quorum.bootstrap.servers": bootstrap_controllers})
    subprocess.run([str(__import__("broker").strom_binary()), "format", "-t", cluster.cluster_id] + node4.command()[1:],
                   check=True, stdout=subprocess.DEVNULL)
    node4.start()
    try:
        _, _, _, _, voters = describe_quorum(cluster.nodes[1].port)
        assert sorted(voters) == [1, 2, 3], "node 4 starts as an observer"
        # The observer catches up, registers as a broker and lists the topic created before it joined.
        md = AdminClient({"bootstrap.servers": node4.bootstrap}).list_topics(timeout=10)
        assert "before-replace" in md.topics

        dir4 = directory_id_bytes((node4.data_dir / "meta.properties").read_text())
        # REQUEST_TIMED_OUT (7) is retriable: the leader takes one voter change at a time, and voters
        # recording their directory ids (UpdateRaftVoter) are changes too.
        error, message, retried = retry_timed_out(
            lambda: add_raft_voter(cluster.nodes[2].port, 4, dir4, "127.0.0.1", node4.controller_port))
        assert error == 0 or (retried and error == 126), "AddRaftVoter: error %d %s" % (error, message)  # 126: DUPLICATE_VOTER
        _, _, _, _, voters = describe_quorum(node4.port)
        assert sorted(voters) == [1, 2, 3, 4]

        dir1 = directory_id_bytes((cluster.nodes[1].data_dir / "meta.properties").read_text())
        error, message, retried = retry_timed_out(lambda: remove_raft_voter(node4.port, 1, dir1))
        assert error == 0 or (retried and error == 127), "RemoveRaftVoter: error %d %s" % (error, message)  # 127: VOTER_NOT_FOUND
        cluster.nodes[1].stop()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                error, leader, _, _, voters = describe_quorum(node4.port, timeout=1)
                if error == 0 and sorted(voters) == [2, 3, 4] and leader in (2, 3, 4):
                    break
            except (OSError, ConnectionError):
                pass
            time.sleep(0.1)
        assert sorted(voters) == [2, 3, 4] and leader in (2, 3, 4), (leader, voters)
        create_topic(",".join([cluster.bootstrap(2, 3), node4.bootstrap]), "after-replace", 2)

        # Without node 1, the three remaining voters still elect a new leader when theirs dies.
        victim = node4 if leader == 4 else cluster.nodes[leader]
        victim.kill9()
        survivors = [n for n in (cluster.nodes[2], cluster.nodes[3], node4) if n is not victim]
        deadline = time.time() + 30
        new_leader = None
        while time.time() < deadline and new_leader is None:
            for n in survivors:
                try:
                    error, l, _, _, _ = describe_quorum(n.port, timeout=0.5)
                except (OSError, ConnectionError):
                    continue
                if error == 0 and l in (2, 3, 4) and l != leader:
                    new_leader = l
            time.sleep(0.05)
        assert new_leader is not None
        create_topic(",".join(n.bootstrap for n in survivors), "after-replace-kill", 1)
        victim.start()
    finally:
        node4.stop()
        cluster.nodes[1].start() if not cluster.nodes[1].alive() else None

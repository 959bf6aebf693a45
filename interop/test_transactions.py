"""Transactions with stock clients: the transactional producers of confluent-kafka (librdkafka 2.16
from PyPI and 2.0.2 from Debian), kafka-python 3 and aiokafka commit and abort transactions over
three partitions; the read_committed consumers of all four must see every committed record exactly
once, in order, and no aborted one, and their read_uncommitted consumers must see the aborted records
too (so the abort really wrote them). Then exactly-once consume-transform-produce across a client
crash and across kill -9 of the transaction coordinator's node and of a partition leader."""
import json
import subprocess

import pytest

from clients import DRIVERS, SYS_PY, VENV_PY
from faults import wait_until
from records import b64
from steps import tail

PARTITIONS = 3
# Each client's transactional driver, with the Python that runs it: the same actions and files.
CLIENTS = {"confluent-venv": (VENV_PY, "confluent_txn.py"), "confluent-debian": (SYS_PY, "confluent_txn.py"),
           "kafka-python": (VENV_PY, "kafka_python_txn.py"), "aiokafka": (VENV_PY, "aiokafka_txn.py")}


def run(python, action, spec, workdir, tag, driver="confluent_txn.py"):
    base = workdir / ("%s-%s" % (tag, action))
    spec_path, out_path, log_path = (base.with_suffix(s) for s in (".spec.json", ".out.json", ".log"))
    spec_path.write_text(json.dumps(spec))
    with open(log_path, "wb") as log:
        rc = subprocess.run([str(python), str(DRIVERS / driver), action, str(spec_path), str(out_path)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            timeout=spec["timeout"] + 30).returncode
    result = json.loads(out_path.read_text()) if out_path.exists() else None
    return rc, result, log_path.read_text(errors="replace")


def transactions(prefix):
    """Five transactions over the three partitions: the second and fourth abort."""
    txns = []
    for t in range(5):
        commit = t not in (1, 3)
        records = [{"partition": i % PARTITIONS, "value": b64(("%s-%d-%d-%s" % (prefix, t, i, "c" if commit else "a")).encode())}
                   for i in range(12)]
        txns.append({"commit": commit, "records": records})
    return txns


def values_by_partition(result):
    out = {}
    for r in result["records"]:
        out.setdefault(r["partition"], []).append(r["value"])
    return out


@pytest.mark.parametrize("producer", sorted(CLIENTS))
def test_committed_records_are_read_once_and_aborted_ones_never(broker, workdir, producer):
    """Each client's transactional producer commits and aborts; every client's read_committed
    consumer reads each committed record once, in order, and no aborted one; its read_uncommitted
    consumer reads the aborted ones too."""
    topic = "txn-" + producer
    txns = transactions(producer)
    create = {"bootstrap": broker.bootstrap, "topic": topic, "partitions": PARTITIONS, "count": 0, "timeout": 60,
              "create": {"partitions": PARTITIONS, "replication_factor": 1}}
    rc, result, log = run(VENV_PY, "seed", create, workdir, "create")
    assert rc == 0, "creating %s failed: %s\n%s" % (topic, result, tail(log))
    spec = {"bootstrap": broker.bootstrap, "topic": topic, "transactional_id": "interop-" + producer, "timeout": 60,
            "transactions": txns}
    python, driver = CLIENTS[producer]
    rc, result, log = run(python, "produce", spec, workdir, "produce", driver)
    assert rc == 0, "transactional producer (%s) failed: %s\n%s" % (producer, result, tail(log))

    committed = {p: [r["value"] for t in txns if t["commit"] for r in t["records"] if r["partition"] == p]
                 for p in range(PARTITIONS)}
    everything = {p: [r["value"] for t in txns for r in t["records"] if r["partition"] == p] for p in range(PARTITIONS)}
    for reader in sorted(CLIENTS):
        for isolation, expected in (("read_committed", committed), ("read_uncommitted", everything)):
            read_spec = {"bootstrap": broker.bootstrap, "topic": topic, "partitions": list(range(PARTITIONS)),
                         "isolation": isolation, "timeout": 60}
            python, driver = CLIENTS[reader]
            rc, got, log = run(python, "read", read_spec, workdir, "read-%s-%s" % (reader, isolation), driver)
            assert rc == 0, "%s consumer (%s) failed: %s\n%s" % (isolation, reader, got and got.get("error"), tail(log))
            by_partition = values_by_partition(got)
            for p in range(PARTITIONS):
                assert by_partition.get(p, []) == expected[p], \
                    "%s read by %s, partition %d: %d records, expected %d (aborted read: %d)" % (
                        isolation, reader, p, len(by_partition.get(p, [])), len(expected[p]),
                        sum(1 for v in by_partition.get(p, []) if v not in committed[p]))


def test_transactions_span_the_three_node_cluster(cluster, workdir):
    """The same transactions on the three-node cluster: six partitions with three replicas and
    `min.insync.replicas=2`, so the coordinator (whichever node leads the id's `__transaction_state`
    partition, itself with three replicas) sends most markers to other nodes."""
    cluster.start()
    topic = "txn-cluster"
    partitions = 6
    txns = transactions("cluster")
    for t in txns:
        for i, r in enumerate(t["records"]):
            r["partition"] = i % partitions
    spec = {"bootstrap": cluster.bootstrap, "topic": topic, "transactional_id": "interop-cluster", "timeout": 90,
            "create": {"partitions": partitions, "replication_factor": 3, "configs": {"min.insync.replicas": "2"}},
            "transactions": txns}
    rc, result, log = run(VENV_PY, "produce", spec, workdir, "produce")
    assert rc == 0, "transactional producer failed: %s\n%s" % (result, tail(log))
    for isolation, include_aborted in (("read_committed", False), ("read_uncommitted", True)):
        read_spec = {"bootstrap": cluster.bootstrap, "topic": topic, "partitions": list(range(partitions)),
                     "isolation": isolation, "timeout": 60}
        rc, got, log = run(VENV_PY, "read", read_spec, workdir, "read-" + isolation)
        assert rc == 0, "%s consumer failed: %s\n%s" % (isolation, got and got.get("error"), tail(log))
        by_partition = values_by_partition(got)
        for p in range(partitions):
            expected = [r["value"] for t in txns if t["commit"] or include_aborted for r in t["records"] if r["partition"] == p]
            assert by_partition.get(p, []) == expected, "%s, partition %d: %d records, expected %d" % (
                isolation, p, len(by_partition.get(p, [])), len(expected))


def check_pipeline_output(bootstrap, workdir, partitions, count):
    """The output topic read_committed holds "out-" + each input record exactly once, in input order per
    partition (no aborted read, no lost or duplicated write, no offset moving backwards); read_uncommitted
    holds more (the zombie's aborted records are in the log). Returns the read_uncommitted count."""
    expected = {p: [b64(("out-in-%d-%d" % (p, i)).encode()) for i in range(count)] for p in range(partitions)}
    seen = {}
    for isolation in ("read_committed", "read_uncommitted"):
        spec = {"bootstrap": bootstrap, "topic": "eos-out", "partitions": list(range(partitions)), "isolation": isolation, "timeout": 60}
        rc, got, log = run(VENV_PY, "read", spec, workdir, "read-out-" + isolation)
        assert rc == 0, "%s read of the output failed: %s\n%s" % (isolation, got and got.get("error"), tail(log))
        seen[isolation] = values_by_partition(got)
    for p in range(partitions):
        got = seen["read_committed"].get(p, [])
        lost = [v for v in expected[p] if v not in got]
        duplicated = len(got) - len(set(got))
        assert got == expected[p], "partition %d: %d records read_committed, expected %d: %d lost, %d duplicated, first lost %s" % (
            p, len(got), len(expected[p]), len(lost), duplicated, lost[:3])
    return sum(len(v) for v in seen["read_uncommitted"].values())


def run_pipeline(bootstrap, workdir, partitions, crash_after, tag):
    spec = {"bootstrap": bootstrap, "input": "eos-in", "output": "eos-out", "partitions": partitions, "group": "eos",
            "instance": "pipeline-1", "transactional_id": "eos-pipeline", "batch": 40, "crash_after": crash_after, "timeout": 90}
    return run(VENV_PY, "pipeline", spec, workdir, tag)


def exactly_once_across_a_crash(bootstrap, workdir, replication_factor):
    partitions, count = 3, 200
    for topic, n in (("eos-in", count), ("eos-out", 0)):
        spec = {"bootstrap": bootstrap, "topic": topic, "partitions": partitions, "count": n, "timeout": 60,
                "create": {"partitions": partitions, "replication_factor": replication_factor}}
        rc, result, log = run(VENV_PY, "seed", spec, workdir, "seed-" + topic)
        assert rc == 0, "seeding %s failed: %s\n%s" % (topic, result, tail(log))
    # The first run dies with SIGKILL inside its third transaction, its records delivered.
    rc, result, log = run_pipeline(bootstrap, workdir, partitions, 2, "pipeline-crash")
    assert rc == -9, "the first pipeline run should have killed itself in transaction 2 (rc %s): %s\n%s" % (rc, result, tail(log))
    rc, result, log = run_pipeline(bootstrap, workdir, partitions, None, "pipeline-resume")
    assert rc == 0, "the second pipeline run failed: %s\n%s" % (result, tail(log))
    assert result["committed"] == {str(p): count for p in range(partitions)}, "the group's committed offsets: %s" % result["committed"]
    uncommitted = check_pipeline_output(bootstrap, workdir, partitions, count)
    assert uncommitted > partitions * count, "the zombie's aborted records should be in the log (read_uncommitted: %d)" % uncommitted


def test_consume_transform_produce_is_exactly_once_across_a_crash(broker, workdir):
    """confluent-kafka's consume-transform-produce loop (send_offsets_to_transaction, read_committed):
    the process is killed with SIGKILL inside a transaction, after its records were written; the next
    run's init_transactions aborts that transaction, the group resumes from the offsets committed
    with the last committed transaction, and the output holds each input record exactly once."""
    exactly_once_across_a_crash(broker.bootstrap, workdir, 1)


def group_node(cluster, group):
    """The node leading `group`'s `__consumer_offsets` partition: its coordinator."""
    from test_group_failover import describe, offsets_partition
    placement = describe(cluster, "__consumer_offsets")
    return placement[offsets_partition(group, len(placement))]["leader"] if placement else None


def spare_group(cluster, workdir, describe, offsets_partition):
    """A group id whose coordinator is a node the two-fault test never kills: a node that is not the
    transactional id's coordinator and that is its `__consumer_offsets` partition's preferred leader
    (so a leader rebalance cannot move it). librdkafka (2.10 to at least 2.16) hangs in
    send_offsets_to_transaction when the group coordinator it cached is killed and leaves the
    metadata (confluentinc/librdkafka#5511, open; Kafka omits fenced brokers from Metadata as Strom
    does), so the faults stay away from the group's coordinator; the coordinator failover of groups
    has its own tests (test_group_failover.py)."""
    # InitProducerId of a throwaway id creates __transaction_state, so the coordinator is known now.
    rc, result, log = run(VENV_PY, "produce", {"bootstrap": cluster.bootstrap, "topic": "eos-out", "transactional_id": "eos-warmup",
                                               "transactions": [], "timeout": 60}, workdir, "warmup")
    assert rc == 0, "a transactional producer could not start: %s\n%s" % (result, tail(log))
    state = wait_until("__transaction_state described", lambda: describe(cluster, "__transaction_state"), 60)
    txn_node = state[offsets_partition("eos-pipeline", len(state))]["leader"]
    offsets = wait_until("__consumer_offsets described", lambda: describe(cluster, "__consumer_offsets"), 60)
    for i in range(1000):
        candidate = "eos-%d" % i
        p = offsets[offsets_partition(candidate, len(offsets))]
        if p["leader"] != txn_node and p["replicas"][0] == p["leader"]:
            return candidate
    raise AssertionError("no group id has a coordinator other than node %d: %s" % (txn_node, offsets))


def test_consume_transform_produce_survives_kill9_of_the_coordinators_node_and_a_partition_leader(cluster, workdir, capsys):
    """The same pipeline on the three-node cluster (replication factor 3, min.insync.replicas 2), with
    two faults while it runs: kill -9 of the node leading the transactional id's `__transaction_state`
    partition (another node takes the coordination over from its replica), then, once that node is
    back in every ISR, kill -9 of a node leading output partitions (the coordinator's node only when
    it leads them all). The run is paced by a limit file, so three transactions commit before the
    first fault and three while each node is down. The group's coordinator is on the third node
    (`spare_group`: librdkafka#5511). The output holds each input record exactly once, in order."""
    from test_group_failover import describe, offsets_partition

    cluster.start()
    partitions, count = 3, 400
    for topic, n in (("eos-in", count), ("eos-out", 0)):
        spec = {"bootstrap": cluster.bootstrap, "topic": topic, "partitions": partitions, "count": n, "timeout": 60,
                "create": {"partitions": partitions, "replication_factor": 3, "configs": {"min.insync.replicas": "2"}}}
        rc, result, log = run(VENV_PY, "seed", spec, workdir, "seed-" + topic)
        assert rc == 0, "seeding %s failed: %s\n%s" % (topic, result, tail(log))
    group = spare_group(cluster, workdir, describe, offsets_partition)
    progress, limit = workdir / "pipeline.progress", workdir / "pipeline.limit"
    limit.write_text("3")
    spec = {"bootstrap": cluster.bootstrap, "input": "eos-in", "output": "eos-out", "partitions": partitions, "group": group,
            "instance": "pipeline-1", "transactional_id": "eos-pipeline", "batch": 20, "crash_after": None, "timeout": 240,
            "progress": str(progress), "limit": str(limit)}
    spec_path, out_path, log_path = (workdir / ("pipeline" + s) for s in (".spec.json", ".out.json", ".log"))
    spec_path.write_text(json.dumps(spec))

    def committed():
        return int(progress.read_text()) if progress.exists() else 0

    def coordinator():
        placement = describe(cluster, "__transaction_state")
        return placement[offsets_partition("eos-pipeline", len(placement))]["leader"] if placement else None

    def fully_replicated():
        """Every partition the pipeline writes has all three nodes in its ISR."""
        for topic, key in (("eos-out", None), ("__transaction_state", "eos-pipeline"), ("__consumer_offsets", group)):
            placement = describe(cluster, topic)
            if placement is None:
                return False
            chosen = [placement[offsets_partition(key, len(placement))]] if key else placement.values()
            if any(len(p["isrs"]) != 3 for p in chosen):
                return False
        return True

    faults = []
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(VENV_PY), str(DRIVERS / "confluent_txn.py"), "pipeline", str(spec_path), str(out_path)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            for fault in ("coordinator", "partition leader"):
                # The pipeline waits at its limit (3 transactions at first) while the fault is set up.
                if fault == "coordinator":
                    wait_until("3 transactions committed", lambda: committed() >= 3 or proc.poll() is not None, 90)
                    victim = coordinator()
                else:
                    wait_until("every node back in the ISRs", fully_replicated, 90)
                    # Never the group coordinator's node (see spare_group).
                    leaders = {p["leader"] for p in describe(cluster, "eos-out").values()} - {group_node(cluster, group)}
                    assert leaders, "the group coordinator's node leads every output partition"
                    victim = min(leaders - {coordinator()} or leaders)
                assert proc.poll() is None, "the pipeline ended before the fault: %s" % tail(log_path.read_text(errors="replace"))
                cluster.kill9(victim)
                faults.append((fault, victim, committed()))
                limit.write_text(str(committed() + 3))
                wait_until("3 more transactions with node %d down" % victim,
                           lambda: committed() >= faults[-1][2] + 3 or proc.poll() is not None, 120)
                cluster.start(victim)
            limit.unlink()
            rc = proc.wait(timeout=240)
        finally:
            if proc.poll() is None:
                proc.kill()
    result = json.loads(out_path.read_text()) if out_path.exists() else None
    assert rc == 0, "the pipeline failed (rc %s) after faults %s: %s\n%s" % (rc, faults, result, tail(log_path.read_text(errors="replace")))
    assert result["committed"] == {str(p): count for p in range(partitions)}, "the group's committed offsets: %s" % result["committed"]
    uncommitted = check_pipeline_output(cluster.bootstrap, workdir, partitions, count)
    with capsys.disabled():
        print("\n[eos-faults] %s; %d transactions, %d input records each read_committed once in the output "
              "(0 aborted reads, 0 lost, 0 duplicated, 0 out of order); %d records read_uncommitted"
              % (", ".join("kill -9 of node %d (%s) after %d transactions" % (v, f, n) for f, v, n in faults),
                 result["transactions"], partitions * count, uncommitted))


def test_transaction_version_2_by_hand_across_three_nodes(cluster, workdir):
    """Transaction version 2 (KIP-890 part 2) as a Kafka 4.x producer speaks it, by hand (no client
    here speaks it; see txn_v2.py), on the three-node cluster with the transaction coordinator on
    another node than the partition's leader and the group's coordinator: Produce v12 and
    TxnOffsetCommit v5 make those leaders add their partitions over the inter-broker listener
    (AddPartitionsToTxn v5), EndTxn v5 bumps the epoch at every end, the next transaction starts at
    the bumped epoch (retried while the coordinator answers CONCURRENT_TRANSACTIONS), and a zombie at
    the old epoch is fenced. confluent-kafka's read_committed consumer then reads the committed
    records only, its read_uncommitted one the aborted one too, and the group's offset is the one
    committed in a transaction."""
    import txn_v2
    from test_group_failover import describe, offsets_partition

    cluster.start()
    spec = {"bootstrap": cluster.bootstrap, "topic": "tv2", "partitions": 3, "count": 0, "timeout": 60,
            "create": {"partitions": 3, "replication_factor": 3, "configs": {"min.insync.replicas": "2"}}}
    rc, result, log = run(VENV_PY, "seed", spec, workdir, "seed-tv2")
    assert rc == 0, "creating tv2 failed: %s\n%s" % (result, tail(log))
    port = {n: cluster.client_port(n) for n in (1, 2, 3)}
    txn_id = "tv2-app"

    def coordinator():
        error, node = txn_v2.find_coordinator(port[1], txn_id, 1)
        if error != 0:
            txn_v2.init_producer_id(port[1], txn_id)  # creates __transaction_state (NOT_COORDINATOR here is fine)
        return node if error == 0 else None

    txn_node = wait_until("a transaction coordinator for %s" % txn_id, coordinator, 60)
    leaders = {p: v["leader"] for p, v in describe(cluster, "tv2").items()}
    partition = min(p for p, leader in leaders.items() if leader != txn_node)
    leader = port[leaders[partition]]
    offsets = wait_until("__consumer_offsets described", lambda: describe(cluster, "__consumer_offsets"), 60)
    group = next(g for g in ("tv2-group-%d" % i for i in range(1000))
                 if offsets[offsets_partition(g, len(offsets))]["leader"] not in (txn_node, None))
    group_port = port[offsets[offsets_partition(group, len(offsets))]["leader"]]

    def initialized():
        error, pid, epoch = txn_v2.init_producer_id(port[txn_node], txn_id)
        return (pid, epoch) if error == 0 else None

    pid, epoch = wait_until("InitProducerId for %s" % txn_id, initialized, 60)
    assert epoch >= 0

    def produce(epoch, sequence, value, retriable=(51, 19)):
        """Sends like a producer: CONCURRENT_TRANSACTIONS (51) and NOT_ENOUGH_REPLICAS (19) are
        retried. The answer is a one-element list, so that 0 is an answer for wait_until."""
        batch = txn_v2.transactional_batch(pid, epoch, sequence, [value])
        error = txn_v2.produce_v12(leader, txn_id, "tv2", partition, batch)
        return [error] if error not in retriable else None

    def end(epoch, commit):
        result = txn_v2.end_txn_v5(port[txn_node], txn_id, pid, epoch, commit)
        return result if result[0] not in (14, 15, 16, 51) else None

    assert wait_until("Produce v12 of a", lambda: produce(epoch, 0, b"a"), 60) == [0], "the leader did not add the partition"
    # Retried as a client retries: the group's coordinator may still be loading its partition.
    assert wait_until("TxnOffsetCommit v5", lambda: (lambda e: [e] if e not in (14, 15, 16, 51) else None)(
        txn_v2.txn_offset_commit_v5(group_port, txn_id, group, pid, epoch, "tv2", partition, 7)), 60) == [0]
    assert wait_until("EndTxn v5 commit", lambda: end(epoch, True), 60) == (0, pid, epoch + 1)
    # The next transaction starts at the bumped epoch, from sequence 0; the zombie's epoch is fenced.
    assert wait_until("Produce v12 of b", lambda: produce(epoch + 1, 0, b"b"), 60) == [0]
    assert produce(epoch, 1, b"zombie", retriable=()) == [47], "a batch at the old epoch is INVALID_PRODUCER_EPOCH"
    assert wait_until("EndTxn v5 abort", lambda: end(epoch + 1, False), 60) == (0, pid, epoch + 2)
    assert wait_until("Produce v12 of c", lambda: produce(epoch + 2, 0, b"c"), 60) == [0]
    assert wait_until("EndTxn v5 commit", lambda: end(epoch + 2, True), 60) == (0, pid, epoch + 3)

    def values(isolation):
        read_spec = {"bootstrap": cluster.bootstrap, "topic": "tv2", "partitions": [partition], "isolation": isolation, "timeout": 60}
        rc, got, log = run(VENV_PY, "read", read_spec, workdir, "read-tv2-" + isolation)
        assert rc == 0 and got["complete"], "%s consumer failed: %s\n%s" % (isolation, got, tail(log))
        return [r["value"] for r in got["records"]]

    # EndTxn is answered before the markers are written: read_committed stops at the last stable
    # offset until the last COMMIT marker is in, so the read is repeated until it has passed "c"
    # (and an aborted "b" read at any point fails at once).
    def committed_read():
        got = values("read_committed")
        assert b64(b"b") not in got and b64(b"zombie") not in got, "an aborted record read_committed: %s" % got
        return got if b64(b"c") in got else None

    assert wait_until("read_committed reaches c", committed_read, 60) == [b64(b"a"), b64(b"c")]
    assert values("read_uncommitted") == [b64(b"a"), b64(b"b"), b64(b"c")]
    assert wait_until("the group's offset committed in the transaction",
                      lambda: txn_v2.committed_offset(group_port, group, "tv2", partition) == (0, 7), 60)

"""Failover of the active controller, measured: a fresh three-node cluster, then kill -9 of the quorum
leader; reports the time until a survivor names a new leader (DescribeQuorum) and until CreateTopics
succeeds again through a survivor. Repeats with the killed node restarted in between, and prints
the medians. Run through scripts/bench-quorum.sh."""
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "interop"))
from quorum import Cluster, describe_quorum  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402


def create_topic(bootstrap, name, deadline):
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    while time.time() < deadline:
        f = admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)], request_timeout=5)[name]
        try:
            f.result()
            return True
        except Exception:
            time.sleep(0.02)
    return False


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    work = Path(tempfile.mkdtemp(prefix="strom-bench-quorum-"))
    cluster = Cluster(work)
    cluster.start()
    elected, resumed = [], []
    try:
        for run in range(runs):
            leader, epoch = cluster.leader()
            survivors = [i for i in (1, 2, 3) if i != leader]
            create_topic(cluster.bootstrap(*survivors), "warm-%d" % run, time.time() + 30)
            cluster.nodes[leader].kill9()
            t0 = time.time()
            new = None
            while new is None and time.time() - t0 < 30:
                for s in survivors:
                    try:
                        error, l, e, _, _ = describe_quorum(cluster.nodes[s].port, timeout=0.5)
                    except (OSError, ConnectionError):
                        continue
                    if error == 0 and l in survivors and e > epoch:
                        new = l
                time.sleep(0.01)
            t1 = time.time()
            ok = create_topic(cluster.bootstrap(*survivors), "after-%d" % run, t0 + 60)
            t2 = time.time()
            if new is None or not ok:
                raise SystemExit("run %d: no new leader or CreateTopics failed" % run)
            elected.append(t1 - t0)
            resumed.append(t2 - t0)
            print("run %d: killed %d, new leader %d after %.2f s, CreateTopics after %.2f s" % (run, leader, new, t1 - t0, t2 - t0),
                  flush=True)
            cluster.nodes[leader].start()
    finally:
        cluster.stop()
    print("median over %d runs: new leader %.2f s (min %.2f, max %.2f); CreateTopics %.2f s (min %.2f, max %.2f)" % (
        runs, statistics.median(elected), min(elected), max(elected), statistics.median(resumed), min(resumed), max(resumed)))


if __name__ == "__main__":
    main()

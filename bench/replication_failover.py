"""Partition leader failover, measured on a running three-node cluster (scripts/cluster.sh; run by
scripts/bench-replication.sh, which starts the cluster and creates the topic).

Each run: every replica in every ISR and every leader on its preferred replica; an idempotent acks=all
producer (bench/rdbench, 1 KiB at a fixed rate, events=FILE: one line per delivery report) writes to
every partition; after a few seconds of acknowledgements the leader of one partition is killed with
SIGKILL. Measured from that instant, on the wall clock:

  ack      the producer's first acknowledged record on that partition from its new leader
  stall    the longest gap between acknowledgements on that partition, and on the partitions the
           victim did not lead (acks=all waits for every ISR member, so they stall until the victim
           leaves their ISR)
  fenced   the active controller's log line fencing the victim (broker.session.timeout.ms)
  elected  a new metadata quorum leader's log line (only when the victim was the active controller)
  visible  a survivor's Metadata answer (raw v1, polled every 50 ms) naming the new leader

Node logs are read with the wall-clock prefix bench-replication.sh's wrapper puts on every line
(`@<unix seconds.ms> `). Then the producer stops, the victim restarts and the next run waits for it
to rejoin every ISR and take back its preferred leaderships (the cluster runs with a short
leader.imbalance.check.interval.seconds for that).

With --trace each run also leaves the producer's librdkafka debug log and a loopback pcap of the
cluster's ports (tcpdump) in the work dir, for a packet-level timeline.

Two kinds of victim: `leader`, a partition leader that is not the active controller, and
`controller`, the partition leader that is also the active controller (quorum election plus a new
controller's full broker session before it fences anyone).

    replication_failover.py --cluster-dir D --compose F --strom BIN --rdbench BIN --topic T
        --partitions 3 --runs 5 [--kinds leader,controller] [--rate 1000] [--results FILE]
        [--producer-arg X.key=value ...] [--trace]

Appends one `phase=failover-<kind>-<n> ...` line per run and one `phase=failover-<kind> ...` line of
medians to --results; prints a line per run on stderr.
"""
import argparse
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "interop"))
from quorum import describe_quorum  # noqa: E402  (stdlib only)

REPO = Path(__file__).resolve().parent.parent
NODES = (1, 2, 3)


def say(msg):
    print("failover: " + msg, file=sys.stderr, flush=True)


# ---- raw Metadata v1 ------------------------------------------------------------------------

def _recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed")
        out += chunk
    return out


def _string(buf, pos):
    (n,) = struct.unpack_from(">h", buf, pos)
    pos += 2
    if n < 0:
        return None, pos
    return buf[pos:pos + n].decode(), pos + n


def _ints(buf, pos):
    (n,) = struct.unpack_from(">i", buf, pos)
    pos += 4
    return list(struct.unpack_from(">%di" % n, buf, pos)), pos + 4 * n


def partitions(port, topic, timeout=1.0):
    """{partition: (leader, replicas, isr)} from a Metadata v1 request for `topic` to 127.0.0.1:port."""
    client = b"bench-failover"
    t = topic.encode()
    body = struct.pack(">hhih", 3, 1, 5, len(client)) + client + struct.pack(">ih", 1, len(t)) + t
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">i", len(body)) + body)
        resp = _recv_exact(s, struct.unpack(">i", _recv_exact(s, 4))[0])
    pos = 4
    (nb,) = struct.unpack_from(">i", resp, pos)
    pos += 4
    for _ in range(nb):
        pos += 4
        _, pos = _string(resp, pos)
        pos += 4
        _, pos = _string(resp, pos)
    pos += 4  # controller id
    (nt,) = struct.unpack_from(">i", resp, pos)
    pos += 4
    out = {}
    for _ in range(nt):
        (err,) = struct.unpack_from(">h", resp, pos)
        pos += 2
        name, pos = _string(resp, pos)
        pos += 1  # is_internal
        (np_,) = struct.unpack_from(">i", resp, pos)
        pos += 4
        for _ in range(np_):
            _, index, leader = struct.unpack_from(">hii", resp, pos)
            pos += 10
            replicas, pos = _ints(resp, pos)
            isr, pos = _ints(resp, pos)
            if name == topic and err == 0:
                out[index] = (leader, replicas, isr)
    return out


# ---- the cluster ----------------------------------------------------------------------------

class Cluster:
    def __init__(self, directory, compose, strom):
        self.dir = Path(directory)
        self.env = dict(os.environ, STROM_BIN=str(strom), STROM_CLUSTER_DIR=str(directory), STROM_COMPOSE=str(compose))
        self.ports = {n: self._client_port(n) for n in NODES}
        self.controller_ports = {n: self._controller_port(n) for n in NODES}

    def script(self, *args):
        return subprocess.run(["bash", str(REPO / "scripts" / "cluster.sh")] + [str(a) for a in args], env=self.env,
                              check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout

    def _env_of(self, n):
        return dict(line.split("=", 1) for line in self.script("env", n).splitlines() if "=" in line)

    def _client_port(self, n):
        return int(re.search(r"PLAINTEXT://[^,]*:(\d+)", self._env_of(n)["KAFKA_ADVERTISED_LISTENERS"]).group(1))

    def _controller_port(self, n):
        return int(re.search(r"CONTROLLER://[^,]*:(\d+)", self._env_of(n)["KAFKA_LISTENERS"]).group(1))

    def pid(self, n):
        try:
            pid = int((self.dir / str(n) / "strom.pid").read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def log(self, n):
        return self.dir / str(n) / "strom.log"

    def quorum_leader(self, alive):
        for n in alive:
            try:
                err, leader, _, _, _ = describe_quorum(self.ports[n], timeout=1.0)
                if err == 0 and leader in NODES:
                    return leader
            except (OSError, ConnectionError, AssertionError, struct.error):
                continue
        return None

    def partitions(self, topic, alive):
        for n in alive:
            try:
                p = partitions(self.ports[n], topic)
                if p:
                    return p
            except (OSError, ConnectionError, struct.error):
                continue
        return {}


def wait_balanced(cluster, topic, timeout=180):
    """Every replica in every ISR, every leader its preferred (first) replica, and a quorum leader."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        parts = cluster.partitions(topic, NODES)
        last = parts
        if parts and all(sorted(isr) == sorted(reps) and leader == reps[0] for leader, reps, isr in parts.values()):
            q = cluster.quorum_leader(NODES)
            if q:
                return parts, q
        time.sleep(0.25)
    raise SystemExit("failover: cluster not balanced within %ds: %s" % (timeout, last))


# ---- node logs ------------------------------------------------------------------------------

STAMP = re.compile(r"^@(\d+\.\d+) ")


def log_events(path, since, patterns):
    """{name: first wall time >= since of a line matching patterns[name]} from a wrapper-stamped log."""
    found = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = STAMP.match(line)
                if not m:
                    continue
                t = float(m.group(1))
                if t < since:
                    continue
                for name, rx in patterns.items():
                    if name not in found and rx.search(line):
                        found[name] = t
    except FileNotFoundError:
        pass
    return found


# ---- one run --------------------------------------------------------------------------------

class Prober(threading.Thread):
    """Polls the survivors' Metadata every 50 ms: when a new leader of `partition` is visible, and
    when the victim left every ISR."""

    def __init__(self, cluster, topic, partition, victim, survivors):
        super().__init__(daemon=True)
        self.cluster, self.topic, self.partition, self.victim, self.survivors = cluster, topic, partition, victim, survivors
        self.leader_seen = self.isr_shrunk = None
        self.new_leader = None
        self.stop = False

    def run(self):
        while not self.stop and (self.leader_seen is None or self.isr_shrunk is None):
            for n in self.survivors:
                try:
                    parts = partitions(self.cluster.ports[n], self.topic, timeout=0.5)
                except (OSError, ConnectionError, struct.error):
                    continue
                now = time.time()
                leader = parts.get(self.partition, (-1, [], []))[0]
                if self.leader_seen is None and leader not in (-1, self.victim):
                    self.leader_seen, self.new_leader = now, leader
                if self.isr_shrunk is None and parts and all(self.victim not in isr for _, _, isr in parts.values()):
                    self.isr_shrunk = now
            time.sleep(0.05)


def read_events(path):
    """[(wall seconds, partition, offset, broker, error)] from rdbench's events file."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 5:
                    out.append((int(parts[0]) / 1e9, int(parts[1]), int(parts[2]), int(parts[3]), int(parts[4])))
    except FileNotFoundError:
        pass
    return out


def longest_gap(times, start, end):
    """The longest interval without an acknowledgement in [start, end] (times sorted)."""
    prev, gap = start, 0.0
    for t in times:
        if t < start:
            continue
        if t > end:
            break
        gap = max(gap, t - prev)
        prev = t
    return max(gap, end - prev) if times else end - start


def one_run(cluster, args, kind, n, work):
    parts, quorum = wait_balanced(cluster, args.topic)
    if kind == "controller":
        choices = [p for p, (leader, _, _) in sorted(parts.items()) if leader == quorum]
    else:
        choices = [p for p, (leader, _, _) in sorted(parts.items()) if leader != quorum]
    if not choices:
        raise SystemExit("failover: no partition led by %s the active controller (%d): %s"
                         % ("" if kind == "controller" else "other than", quorum, parts))
    partition = choices[n % len(choices)]
    victim = parts[partition][0]
    survivors = [x for x in NODES if x != victim]
    events = work / ("events-%s-%d.txt" % (kind, n))
    plog = open(work / ("producer-%s-%d.log" % (kind, n)), "w")
    tracer = None
    extra = list(args.producer_arg)
    if args.trace:
        # The producer's own account (librdkafka debug contexts) and every packet between it and the nodes,
        # and between the nodes, on loopback.
        extra.append("X.debug=broker,topic,metadata,eos,msg,protocol")
        ports = sorted(list(cluster.ports.values()) + list(cluster.controller_ports.values()))
        expr = " or ".join("tcp port %d" % p for p in ports + [p + 2 for p in cluster.ports.values()])
        tracer = subprocess.Popen(["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-s", "256", "-w",
                                   str(work / ("failover-%s-%d.pcap" % (kind, n))), expr],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    producer = subprocess.Popen(
        [args.rdbench, "produce", "brokers=" + ",".join("127.0.0.1:%d" % cluster.ports[x] for x in NODES),
         "topic=" + args.topic, "partitions=%d" % args.partitions, "size=1024", "rate=%d" % args.rate,
         "max_seconds=600", "max_bytes=1000000000000", "acks=all", "idempotent=1", "linger_ms=1",
         "events=%s" % events] + extra,
        stdout=subprocess.PIPE, stderr=plog, text=True)
    try:
        # A few seconds of acknowledgements first.
        deadline = time.time() + 30
        while time.time() < deadline and sum(1 for e in read_events(events) if e[4] == 0) < args.rate * 3:
            if producer.poll() is not None:
                raise SystemExit("failover: producer exited early (%s)" % (work / plog.name))
            time.sleep(0.1)
        pid = cluster.pid(victim)
        prober = Prober(cluster, args.topic, partition, victim, survivors)
        t_kill = time.time()
        os.kill(pid, signal.SIGKILL)
        prober.start()
        with open(cluster.log(victim), "a") as f:
            f.write("\n==== bench-replication: kill -9 at @%.3f\n" % t_kill)
        # Until the partition is acknowledged by its new leader (and for a second more).
        ack = None
        deadline = t_kill + args.timeout
        while time.time() < deadline:
            for t, p, _, broker, err in read_events(events):
                if t > t_kill and p == partition and err == 0 and broker != victim:
                    ack = t
                    break
            if ack:
                break
            time.sleep(0.05)
        time.sleep(1.5)
        prober.stop = True
    finally:
        producer.send_signal(signal.SIGTERM)
        out, _ = producer.communicate(timeout=180)
        plog.close()
        if tracer:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(30)
    result = dict(kv.split("=", 1) for kv in (out.split("RESULT ", 1)[-1].split() if "RESULT " in out else []))
    evs = read_events(events)
    end = ack + 1.0 if ack else t_kill + args.timeout
    mine = sorted(t for t, p, _, _, err in evs if p == partition and err == 0)
    others = {q: sorted(t for t, p, _, _, err in evs if p == q and err == 0) for q in parts if q != partition}
    stall_others = max((longest_gap(ts, t_kill, end) for ts in others.values()), default=0.0)
    first_any = min((t for t, _, _, _, err in evs if t > t_kill + 0.05 and err == 0), default=None)
    patterns = {
        "fenced": re.compile(r"fencing a broker whose session expired.*kafka\.broker=%d\b|kafka\.broker=%d\b.*fencing a broker whose session expired" % (victim, victim)),
        "elected": re.compile(r"elected leader of the metadata quorum"),
    }
    logged = {}
    for x in survivors:
        for name, t in log_events(cluster.log(x), t_kill, patterns).items():
            logged[name] = min(t, logged.get(name, t))
    rel = lambda t: "%.2f" % (t - t_kill) if t else "none"  # noqa: E731
    row = {
        "phase": "failover-%s-%d" % (kind, n), "kind": kind, "victim": victim, "partition": partition,
        "controller": quorum, "ack_s": rel(ack), "stall_s": "%.2f" % longest_gap(mine, t_kill, end),
        "others_stall_s": "%.2f" % stall_others, "first_any_ack_s": rel(first_any),
        "fenced_s": rel(logged.get("fenced")), "elected_s": rel(logged.get("elected")) if kind == "controller" else "-",
        "visible_s": rel(prober.leader_seen), "isr_shrunk_s": rel(prober.isr_shrunk), "new_leader": prober.new_leader,
        "delivered": result.get("delivered", "?"), "failed": result.get("failed", "?"),
    }
    say("run %s-%d: killed node %d (leader of partition %d%s) -> %s" % (
        kind, n, victim, partition, ", the active controller" if victim == quorum else "",
        ", ".join("%s %s" % (k, row[k]) for k in ("ack_s", "stall_s", "others_stall_s", "fenced_s", "elected_s",
                                                   "visible_s", "isr_shrunk_s", "failed"))))
    if producer.returncode != 0:
        say("producer exited %s (see %s)" % (producer.returncode, work / ("producer-%s-%d.log" % (kind, n))))
    for attempt in range(12):
        try:
            cluster.script("start", victim)
            break
        except subprocess.CalledProcessError:
            # A shifted port in the ephemeral range may be held for a while by some connection's local end
            # (see bench-replication.sh); it is released within a minute.
            if attempt == 11:
                raise
            time.sleep(5)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cluster-dir", required=True)
    ap.add_argument("--compose", required=True)
    ap.add_argument("--strom", required=True)
    ap.add_argument("--rdbench", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kinds", default="leader,controller")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("--results")
    ap.add_argument("--workdir", default=".")
    ap.add_argument("--producer-arg", action="append", default=[])
    ap.add_argument("--trace", action="store_true",
                    help="librdkafka debug log and a loopback pcap (tcpdump) per run, in the work dir")
    args = ap.parse_args()
    cluster = Cluster(args.cluster_dir, args.compose, args.strom)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    lines = []
    for kind in args.kinds.split(","):
        rows = [one_run(cluster, args, kind, n, work) for n in range(args.runs)]
        lines += [" ".join("%s=%s" % kv for kv in r.items()) for r in rows]

        def med(key):
            vals = [float(r[key]) for r in rows if r[key] not in ("none", "-")]
            return "%.2f" % statistics.median(vals) if vals else "none"

        def span(key):
            vals = [float(r[key]) for r in rows if r[key] not in ("none", "-")]
            return "%.2f-%.2f" % (min(vals), max(vals)) if vals else "none"

        summary = {"phase": "failover-%s" % kind, "runs": len(rows), "rate": args.rate}
        for key in ("ack_s", "stall_s", "others_stall_s", "first_any_ack_s", "fenced_s", "elected_s", "visible_s", "isr_shrunk_s"):
            summary[key] = med(key)
            summary[key.replace("_s", "_range")] = span(key)
        summary["failed"] = sum(int(r["failed"]) for r in rows if str(r["failed"]).isdigit())
        lines.append(" ".join("%s=%s" % kv for kv in summary.items()))
    wait_balanced(cluster, args.topic)
    if args.results:
        with open(args.results, "a") as f:
            f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""What the fault tests (interop/test_faults.py) and the soak (scripts/soak-replication.py) share:
long-running idempotent acks=all producers of three stock clients, the checks of what they were
told against what the log holds, and the checks of what group consumers read.

Producers: DurabilityProducer(kind, ...) with kind "confluent" (confluent-kafka 2.16), "kafka-python"
(kafka-python 3.x, both interop/drivers/durability_producer.py) or "sarama" (sarama 1.22.1,
`sarama-interop durability`). Each writes its keys with its own prefix (c, p, s + a 9-digit
sequence number), so several share one topic; every delivery report lands in its acks file as
"ok KEY PARTITION OFFSET" or "err KEY PARTITION ERROR".

analyse(producers, read_result, value_size) counts, over every producer:
  acknowledged  delivery reports that said ok
  lost          acknowledged records not at their acknowledged offset with their key and value
  duplicated    extra copies of a key anywhere in the log (an idempotent producer writes each once)
  reordered     adjacent records of one producer in one partition whose sequence numbers go down
  failed        delivery reports that said err (a client's verdict, not a loss; `strict` producers
                may have none) and unflushed: records never reported at all

sarama 1.22.1 is not strict, and the waits for delivery reports do not wait for it: when a
connection dies with a batch in flight it re-batches the records it retries, so the retry's
sequence range differs from the batch the old leader may have written; Kafka finds duplicates
only by an exact range, so it answers OUT_OF_ORDER_SEQUENCE_NUMBER (as Strom does), and sarama,
with no epoch bump, would then fail every later record of the partition (the driver opens a new
producer when that happens). Across leader changes it also sends a partition's records out of
sequence order, and it can stall for good on its own "message out of sequence added to a batch"
(records it never reports: unflushed). Its failures are counted; what it was acknowledged is
checked like the others'. One record a request (`--batch-records 1`) avoids none of this.

It does avoid sarama 1.22.1's crash, and the fault tests ask for it: a record that a batch refuses
as out of sequence (above) is reported as failed but stays in the batch, which reports it again
when its answer comes, so the producer's in-flight count goes below zero ("panic: sync: negative
WaitGroup counter" in returnSuccesses). Plain Kafka behaviour sets it up: during a rolling restart
a leader answers NOT_LEADER_OR_FOLLOWER, metadata still names it for a moment, sarama sends the
re-batched retry back to it, the connection then closes, and the retried records come back behind
newer ones of the new leader's batch. A batch of one record holds no older record.
"""
import hashlib
import json
import re
import subprocess
import time
from pathlib import Path

from clients import CLIENTS, DRIVERS, SARAMA_BIN, VENV_PY
from cluster import NODES
from dumplog import compare_replicas
from replicas import compare as compare_bytes
from records import read_spec, unb64

PREFIX = {"confluent": "c", "kafka-python": "p", "sarama": "s"}
# Keys of write_uncommitted_tail's acks=1 records, which no replica but an isolated leader ever holds.
TAIL_PREFIX = "t"
MAX_IN_FLIGHT = {"confluent": 2000, "kafka-python": 1000, "sarama": 1000}


class FaultError(AssertionError):
    """A fault test's expectation that did not hold (a wait that timed out, a check that failed)."""


def durability_value(key, size):
    """As drivers/durability_producer.py and sarama-interop make it: "KEY|" repeated, cut to size."""
    unit = key + b"|"
    return (unit * (size // len(unit) + 1))[:size]


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def tail_text(path, lines=25):
    try:
        rows = Path(path).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(rows[-lines:])


def wait_until(what, predicate, timeout, interval=0.2):
    """Polls predicate() until it returns something true, and returns that; FaultError after timeout."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise FaultError("%s within %ss (last: %r)" % (what, timeout, last))


class DurabilityProducer:
    """One long-running producer process; its files live in workdir, named after its kind."""

    def __init__(self, kind, bootstrap, topic, partitions, workdir, value_size=100, timeout=600):
        self.kind, self.prefix, self.strict = kind, PREFIX[kind], kind != "sarama"
        base = Path(workdir) / ("producer-%s" % kind)
        self.paths = {k: Path("%s.%s" % (base, k)) for k in ("acks", "stop", "summary", "progress", "log")}
        for p in self.paths.values():
            if p.exists():
                p.unlink()
        flags = ["--bootstrap", bootstrap, "--topic", topic, "--partitions", str(partitions),
                 "--value-size", str(value_size), "--max-in-flight", str(MAX_IN_FLIGHT[kind]),
                 "--key-prefix", self.prefix, "--timeout", str(timeout)]
        for k in ("acks", "stop", "summary", "progress"):
            flags += ["--%s-file" % k, str(self.paths[k])]
        if kind == "sarama":
            cmd = [str(SARAMA_BIN), "durability", "--flush-timeout", "30", "--batch-records", "1"] + flags
        else:
            cmd = [str(VENV_PY), str(DRIVERS / "durability_producer.py"), "--client", kind] + flags
        if not Path(cmd[0]).exists():
            raise FaultError("%s is missing; run scripts/install-test-clients.sh" % cmd[0])
        with open(self.paths["log"], "wb") as log:
            log.write(("$ " + " ".join(cmd) + "\n").encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def reports(self):
        """Delivery reports so far (ok and err)."""
        return count_lines(self.paths["acks"])

    def check_running(self, what):
        if self.proc.poll() is not None:
            raise FaultError("the %s producer exited (code %s) after %d delivery reports, %s; its log:\n%s" % (
                self.kind, self.proc.returncode, self.reports(), what, tail_text(self.paths["log"])))

    def stop(self, timeout=200):
        """Stop file, then wait for its summary (it flushes what is outstanding first)."""
        self.paths["stop"].touch()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise FaultError("the %s producer did not stop within %ss; its log:\n%s" % (
                self.kind, timeout, tail_text(self.paths["log"])))
        return self.summary()

    def summary(self):
        if not self.paths["summary"].exists():
            raise FaultError("the %s producer left no summary (exit %s); its log:\n%s" % (
                self.kind, self.proc.returncode, tail_text(self.paths["log"])))
        return json.loads(self.paths["summary"].read_text())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def parse_acks(self):
        """([(key, partition, offset)] acknowledged, [(key, partition, error)] failed)."""
        acked, failed = [], []
        for line in self.paths["acks"].read_text().splitlines():
            kind, key, partition, rest = line.split(" ", 3)
            if kind == "ok":
                acked.append((key, int(partition), int(rest)))
            else:
                failed.append((key, int(partition), rest))
        return acked, failed


def wait_for_reports(producers, more, timeout, what):
    """Waits until every strict producer has `more` delivery reports beyond what it had when
    called (and the others are still running: sarama may stall on its own, see above)."""
    targets = {p.kind: p.reports() + more for p in producers if p.strict}
    deadline = time.time() + timeout
    while True:
        behind = {p.kind: "%d/%d" % (p.reports(), targets[p.kind]) for p in producers
                  if p.strict and p.reports() < targets[p.kind]}
        if not behind:
            return
        for p in producers:
            p.check_running("waiting for %d more %s" % (more, what))
        if time.time() > deadline:
            raise FaultError("delivery reports %s within %ss: behind: %s" % (what, timeout, behind))
        time.sleep(0.05)


def describe(bootstrap, topic):
    """{partition: {"leader", "replicas", "isrs"}} as a client's Metadata request sees it."""
    p = subprocess.run([str(VENV_PY), str(DRIVERS / "describe_topic.py"), bootstrap, topic],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise FaultError("describe_topic.py failed: %s" % p.stderr[-1500:])
    out = json.loads(p.stdout)
    if "error" in out:
        return {}
    return {int(k): v for k, v in out.items()}


def create_topic(bootstrap, topic, partitions, workdir, replication_factor=3, min_isr=2):
    """Creates the topic (confluent-kafka's admin client) and waits until every partition has a
    leader and a full ISR."""
    spec = {"bootstrap": bootstrap, "topic": topic, "codec": "none", "idempotent": True, "timeout": 60,
            "records": [], "create": {"partitions": partitions, "replication_factor": replication_factor,
                                      "configs": {"min.insync.replicas": str(min_isr)}}}
    rc, result, log = CLIENTS["confluent-venv"].run("produce", spec, workdir, "create-" + topic)
    if rc != 0 or result is None:
        raise FaultError("creating %s failed:\n%s" % (topic, log[-2000:]))
    return wait_until("%s with a leader and %d in-sync replicas per partition" % (topic, replication_factor),
                      lambda: in_sync(bootstrap, topic, partitions, replication_factor), 60)


def in_sync(bootstrap, topic, partitions, replication_factor=3):
    d = describe(bootstrap, topic)
    ok = sorted(d) == list(range(partitions)) and all(
        v["leader"] > 0 and len(v["isrs"]) == replication_factor for v in d.values())
    return d if ok else None


def moved_off(bootstrap, topic, victim):
    """The topic's metadata once no partition is led by `victim` nor has it in its ISR."""
    d = describe(bootstrap, topic)
    ok = d and all(v["leader"] not in (-1, victim) and victim not in v["isrs"] for v in d.values())
    return d if ok else None


def read_back(bootstrap, topic, partitions, workdir, tag="verify", timeout=150):
    """Everything in the topic up to the high watermarks (confluent-kafka, values as digests)."""
    rc, result, log = CLIENTS["confluent-venv"].run(
        "read", read_spec(bootstrap, topic, range(partitions), timeout=timeout, digest=True), workdir, tag)
    if result is None:
        raise FaultError("reading %s back: driver exited %s; its log:\n%s" % (topic, rc, log[-2000:]))
    return result


def _key(r):
    k = unb64(r["key"])
    return None if k is None else k.decode("utf-8", "replace")


def _split(key):
    m = re.fullmatch(r"([a-z]+)(\d+)", key or "")
    return (m.group(1), int(m.group(2))) if m else (None, None)


def analyse(producers, result, value_size):
    """(problems, counts): the checks of the module doc over every producer's acks file and
    summary against `result` (read_back's)."""
    problems = []
    log = {}
    for r in result.get("records") or []:
        log.setdefault(r["partition"], {})[r["offset"]] = r
    counts = {"acknowledged": 0, "lost": 0, "duplicated": 0, "reordered": 0, "failed": 0, "unflushed": 0,
              "records in log": sum(len(v) for v in log.values()), "high watermarks": result.get("high")}
    if result.get("error") or not result.get("complete"):
        problems.append("reading the log back: %s" % result.get("error"))

    sha_cache = {}

    def value_ok(key, r):
        if key not in sha_cache:
            sha_cache[key] = hashlib.sha256(durability_value(key.encode(), value_size)).hexdigest()
        return r["value_sha256"] == sha_cache[key]

    # The log on its own: offsets contiguous, values intact, each key once, each producer in order.
    where = {}
    for p, recs in sorted(log.items()):
        offsets = sorted(recs)
        if offsets and offsets != list(range(offsets[0], offsets[0] + len(offsets))):
            gaps = [(a, b) for a, b in zip(offsets, offsets[1:]) if b != a + 1]
            problems.append("partition %d: offsets not contiguous, gaps after %s" % (p, gaps[:8]))
        last = {}
        inversions = []
        for o in offsets:
            key = _key(recs[o])
            where.setdefault(key, []).append((p, o))
            prefix, seq = _split(key)
            if prefix == TAIL_PREFIX:
                counts["tail records left"] = counts.get("tail records left", 0) + 1
                problems.append("partition %d offset %d: %s, written with acks=1 to an isolated leader, survived" % (p, o, key))
                continue
            if prefix not in PREFIX.values():
                problems.append("partition %d offset %d: a key no producer writes: %r" % (p, o, key))
                continue
            if not value_ok(key, recs[o]):
                problems.append("partition %d offset %d (%s): value corrupted (%s bytes)" % (p, o, key, recs[o]["value_len"]))
            if prefix in last and seq <= last[prefix][1]:
                inversions.append((o, last[prefix][0], key))
            last[prefix] = (key, seq)
        if inversions:
            counts["reordered"] += len(inversions)
            problems.append("partition %d: %d records out of produce order, first (offset, previous key, key): %s" % (
                p, len(inversions), inversions[:6]))
    dups = {k: v for k, v in where.items() if len(v) > 1}
    if dups:
        counts["duplicated"] = sum(len(v) - 1 for v in dups.values())
        problems.append("%d keys appear more than once (idempotence lost), first: %s" % (
            len(dups), "; ".join("%s at %s" % (k, dups[k]) for k in sorted(dups)[:8])))

    # Each producer: what it was told against the log.
    per_producer = {}
    for prod in producers:
        summary = prod.summary()
        acked, failed = prod.parse_acks()
        lost = []
        for key, p, o in acked:
            r = log.get(p, {}).get(o)
            if r is None:
                lost.append("%s acked at %d@%d: no record there (found at %s)" % (key, p, o, where.get(key)))
            elif _key(r) != key:
                lost.append("%s acked at %d@%d: the log holds %s there (%s is at %s)" % (key, p, o, _key(r), key, where.get(key)))
            elif not value_ok(key, r):
                lost.append("%s acked at %d@%d: value differs" % (key, p, o))
        unflushed = summary.get("unflushed") or 0
        counts["acknowledged"] += len(acked)
        counts["lost"] += len(lost)
        counts["failed"] += len(failed)
        counts["unflushed"] += unflushed
        per_producer[prod.kind] = {"produced": summary.get("produced"), "acknowledged": len(acked),
                                   "failed": len(failed), "unflushed": unflushed, "lost": len(lost)}
        if summary.get("restarts"):
            per_producer[prod.kind]["restarts"] = summary["restarts"]
        if failed:
            reasons = {}
            for _k, _p, error in failed:
                reasons[error] = reasons.get(error, 0) + 1
            per_producer[prod.kind]["failures"] = reasons
        if lost:
            problems.append("%s: %d acknowledged records lost or changed, first: %s" % (prod.kind, len(lost), "; ".join(lost[:6])))
        if summary.get("fatal"):
            problems.append("%s: fatal producer error: %s" % (prod.kind, summary["fatal"]))
        if len(acked) + len(failed) + unflushed != summary.get("produced"):
            problems.append("%s: %s produced but %d reports and %d unflushed" % (
                prod.kind, summary.get("produced"), len(acked) + len(failed), unflushed))
        if prod.strict and (failed or unflushed):
            problems.append("%s: of %s produced records %d failed and %d were never reported; first failures: %s" % (
                prod.kind, summary.get("produced"), len(failed), unflushed, failed[:5]))
    counts["producers"] = per_producer
    return problems, counts


def write_uncommitted_tail(bootstrap, topic, partition, count, timeout=60):
    """Writes `count` records (keys t000000000...) to one partition through `bootstrap` alone with
    acks=1 (confluent-kafka): a leader cut off from its followers appends and acknowledges them,
    a tail no follower can fetch. Returns how many were acknowledged."""
    code = (
        "import sys\n"
        "from confluent_kafka import Producer\n"
        "p = Producer({'bootstrap.servers': sys.argv[1], 'acks': 1, 'enable.idempotence': False, 'linger.ms': 0})\n"
        "ok = []\n"
        "for i in range(int(sys.argv[4])):\n"
        "    k = b'%s%%09d' %% i\n"
        "    p.produce(sys.argv[2], key=k, value=k, partition=int(sys.argv[3]),\n"
        "              on_delivery=lambda e, m: ok.append(1) if e is None else print('failed', e))\n"
        "p.flush(float(sys.argv[5]))\n"
        "print(len(ok))\n" % TAIL_PREFIX)
    r = subprocess.run([str(VENV_PY), "-c", code, bootstrap, topic, str(partition), str(count), str(timeout)],
                       capture_output=True, text=True, timeout=timeout + 30)
    if r.returncode != 0:
        raise FaultError("the acks=1 tail writer failed: %s" % r.stderr[-1500:])
    return int(r.stdout.split()[-1])


def check_consumed(members, producers, result):
    """(problems, counts) for group consumers: every acknowledged record was processed by some
    member (at least once), and each processed record is the one the log holds at that offset.
    Processed twice (across a rebalance) is counted, not a problem."""
    problems = []
    log = {(r["partition"], r["offset"]): _key(r) for r in result.get("records") or []}
    seen = {}
    wrong = []
    for m in members:
        for e in m.events("record"):
            po = (e["p"], e["o"])
            seen[po] = seen.get(po, 0) + 1
            if log.get(po) != e["k"]:
                wrong.append("%s read %s at %d@%d, the log holds %s" % (m.name, e["k"], e["p"], e["o"], log.get(po)))
    acked = [a for prod in producers for a in prod.parse_acks()[0]]
    missed = [(k, p, o) for k, p, o in acked if (p, o) not in seen]
    counts = {"records processed": sum(seen.values()), "distinct offsets processed": len(seen),
              "processed more than once": sum(c - 1 for c in seen.values()), "acknowledged missed": len(missed)}
    if wrong:
        problems.append("%d records read differ from the log, first: %s" % (len(wrong), wrong[:6]))
    if missed:
        problems.append("%d acknowledged records no group member processed, first: %s" % (len(missed), missed[:8]))
    return problems, counts


def consumers_caught_up(members, producers):
    """True once the members together processed every acknowledged offset."""
    seen = {(e["p"], e["o"]) for m in members for e in m.events("record")}
    return all((p, o) in seen for prod in producers for _k, p, o in prod.parse_acks()[0])


def divergent_truncations(log_text):
    """[(partition, log end offset or None, truncated to)] from a node's log lines where its replica
    fetcher truncated a follower's log: 'the leader says this log diverged' (a diverging epoch, KafkaBroker's
    ReplicaFetcher)."""
    out = []
    for line in log_text.splitlines():
        if "the leader says this log diverged" not in line:
            continue
        part = re.search(r"kafka\.partition=(\S+)", line)
        end = re.search(r"log\.end_offset=(\d+)", line)
        to = re.search(r"log\.truncate_to=(\d+)", line)
        if part and to:
            out.append((part.group(1), int(end.group(1)) if end else None, int(to.group(1))))
    return out


def bootstrap_without(cluster, node):
    """The client listeners of every node but `node` (a paused node accepts connections but never answers)."""
    return ",".join("127.0.0.1:%d" % cluster.client_port(n) for n in NODES if n != node)


def collect(cluster, workdir, topic, partitions, producers, members=(), value_size=100, read_timeout=150, members_timeout=120):
    """Stops the producers (and members, once they have processed every acknowledged record), reads
    the topic back, runs every check, stops the cluster and compares the replicas offline (`strom
    dump-log` and bytes). Returns (problems, facts): facts["counts"] from analyse, facts["consumed"]
    from check_consumed, facts["checkpointed high watermarks"] per partition."""
    for p in producers:
        p.stop()
    facts = {}
    result = read_back(cluster.bootstrap, topic, partitions, workdir, timeout=read_timeout)
    problems, facts["counts"] = analyse(producers, result, value_size)
    if members:
        try:
            wait_until("group members processing every acknowledged record",
                       lambda: consumers_caught_up(members, producers), members_timeout)
        except FaultError as e:
            problems.append(str(e))
        for m in members:
            m.stop()
        found, facts["consumed"] = check_consumed(members, producers, result)
        problems += found
    cluster.stop()
    for p in range(partitions):
        dirs = [cluster.data_dir(n) for n in NODES]
        found, hw = compare_replicas(dirs, topic, p)
        facts.setdefault("checkpointed high watermarks", {})[p] = hw
        problems += found + compare_bytes(dirs, topic, p)[0]
    return problems, facts


def finish(cluster, workdir, topic, partitions, producers, facts, members=(), problems=(), value_size=100):
    """`collect`, then fails with everything found, `problems` included (facts go to facts.json)."""
    found, collected = collect(cluster, workdir, topic, partitions, producers, members, value_size)
    facts.update(collected)
    problems = list(problems) + found
    (Path(workdir) / "facts.json").write_text(json.dumps(facts, indent=1))
    print("fault facts:", json.dumps(facts))
    logs = "\n".join("%s producer log: %s" % (p.kind, p.paths["log"]) for p in producers)
    assert not problems, "%s\nfacts: %s\n%s" % ("\n".join(problems), json.dumps(facts), logs)

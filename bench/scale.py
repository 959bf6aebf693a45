"""The client side of scripts/bench-scale.sh: creating many partitions, producing across all of them,
and timing Metadata requests on the raw wire. Each command prints one line `RESULT key=value ...`
(MB = 10^6 bytes) that the script parses, and diagnostics on stderr.

  scale.py create   BOOTSTRAP PREFIX TOPICS PER_TOPIC [--per-request N]
      CreateTopics (confluent-kafka's admin client), N topics per request; times every request so
      that a cost growing with the partitions already held shows (first, median, last request).
  scale.py produce  BOOTSTRAP PREFIX TOPICS PER_TOPIC RECORDS [--size S] [--max-seconds D] [--acks all]
      One librdkafka producer (confluent-kafka), record i to partition i mod (TOPICS x PER_TOPIC),
      topic by topic: round robin over every partition. Throughput = delivered value bytes /
      (last delivery report - first produce()). Also the process's own CPU (the client's).
  scale.py wire-produce BOOTSTRAP PREFIX TOPICS PER_TOPIC [--per-request P] [--records R] [--acks -1|1]
      Produce v8 on the raw wire, one request at a time on one connection: every partition once per
      pass, P partitions per request, one batch of R records each (the same bytes for every
      partition); the broker's time per request and per partition, without a client library's
      per-partition bookkeeping (librdkafka's grows with the partitions it produces to).
  scale.py wait     BOOTSTRAP PARTITIONS
      Polls all-topics Metadata until it lists PARTITIONS partitions or more, every one with a leader.
  scale.py metadata BOOTSTRAP TOPIC [--repeat N]
      Metadata v12 on one connection: all topics (null list), then TOPIC alone, N times each after
      one warm-up; p50/p99/max, the response size, and the topic and partition counts it holds.
"""
import argparse
import resource
import socket
import struct
import sys
import time


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    i = int(round(p / 100.0 * (len(sorted_values) - 1)))
    return sorted_values[i]


def topic_names(prefix, topics):
    return ["%s-%05d" % (prefix, i) for i in range(topics)]


# ---- create ----------------------------------------------------------------------------------

def create(a):
    from confluent_kafka.admin import AdminClient, NewTopic
    # librdkafka times out any request in flight after socket.timeout.ms (60 s by default, 300 s at most), whatever
    # request_timeout says: a CreateTopics request may take longer than that on a node that holds
    # tens of thousands of partitions already.
    admin = AdminClient({"bootstrap.servers": a.bootstrap, "socket.timeout.ms": 300000})
    names = topic_names(a.prefix, a.topics)
    times = []
    t0 = time.monotonic()
    for start in range(0, len(names), a.per_request):
        batch = [NewTopic(n, num_partitions=a.per_topic, replication_factor=1) for n in names[start:start + a.per_request]]
        t = time.monotonic()
        futures = admin.create_topics(batch, request_timeout=600, operation_timeout=600)
        for name, f in futures.items():
            f.result(timeout=900)  # raises on any error
        times.append(time.monotonic() - t)
        done = start + len(batch)
        print("created %d of %d topics (%d partitions), this request %.2f s" % (
            done, len(names), done * a.per_topic, times[-1]), file=sys.stderr)
    total = time.monotonic() - t0
    s = sorted(times)
    print("RESULT mode=create topics=%d partitions=%d requests=%d secs=%.2f first_req_s=%.3f median_req_s=%.3f last_req_s=%.3f"
          " partitions_per_s=%.0f" % (len(names), len(names) * a.per_topic, len(times), total, times[0], pct(s, 50), times[-1],
                                      len(names) * a.per_topic / total))


# ---- produce ---------------------------------------------------------------------------------

def produce(a):
    from confluent_kafka import Producer
    names = topic_names(a.prefix, a.topics)
    partitions = a.topics * a.per_topic
    conf = {
        "bootstrap.servers": a.bootstrap, "acks": a.acks, "enable.idempotence": False,
        "linger.ms": a.linger_ms, "batch.size": 1000000, "batch.num.messages": 100000,
        "queue.buffering.max.messages": 2000000, "queue.buffering.max.kbytes": 1048576,
        "compression.codec": "none", "message.timeout.ms": int(a.max_seconds * 1000) + 120000,
        "max.in.flight": a.max_in_flight, "log_level": 4, "statistics.interval.ms": 0,
    }
    p = Producer(conf)
    state = {"ok": 0, "bytes": 0, "failed": 0, "first_error": None, "last": 0.0}

    def dr(err, msg):
        state["last"] = time.monotonic()
        if err is not None:
            if state["failed"] == 0:
                state["first_error"] = str(err)
            state["failed"] += 1
        else:
            state["ok"] += 1
            state["bytes"] += len(msg.value())

    # Metadata for every topic first, so that the clock does not start with it.
    md = p.list_topics(timeout=120)
    missing = [n for n in names if n not in md.topics or len(md.topics[n].partitions) != a.per_topic]
    if missing:
        print("produce: %d topics missing or short, e.g. %s" % (len(missing), missing[:3]), file=sys.stderr)
        sys.exit(1)
    payload = bytes((ord("a") + i % 26) for i in range(a.size))
    cpu0 = cpu_seconds()
    t0 = time.monotonic()
    deadline = t0 + a.max_seconds
    sent = 0
    for i in range(a.records):
        k = i % partitions
        while True:
            try:
                p.produce(names[k // a.per_topic], payload, partition=k % a.per_topic, on_delivery=dr)
                break
            except BufferError:
                p.poll(0.05)
        sent += 1
        if sent % 10000 == 0:
            p.poll(0)
            if time.monotonic() > deadline:
                print("produce: max-seconds reached after %d records" % sent, file=sys.stderr)
                break
    left = p.flush(a.max_seconds + 120)
    secs = (state["last"] or time.monotonic()) - t0
    cpu = cpu_seconds() - cpu0
    print("RESULT mode=produce partitions=%d sent=%d delivered=%d failed=%d undelivered=%d bytes=%d secs=%.3f MBps=%.2f"
          " records_per_s=%.0f client_cpu_s=%.2f first_error=%s" % (
              partitions, sent, state["ok"], state["failed"], left, state["bytes"], secs, state["bytes"] / secs / 1e6,
              state["ok"] / secs, cpu, (state["first_error"] or "none").replace(" ", "_")))
    sys.exit(0 if state["failed"] == 0 and left == 0 else 1)


# ---- metadata (raw wire, v12) ----------------------------------------------------------------

def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def metadata_v12(corr, topic):
    """A Metadata v12 request frame (header v2): all topics when topic is None."""
    client = b"strom-bench-scale"
    header = struct.pack(">hhih", 3, 12, corr, len(client)) + client + b"\x00"
    if topic is None:
        topics = b"\x00"  # null: every topic
    else:
        name = topic.encode()
        topics = uvarint(2) + b"\x00" * 16 + uvarint(len(name) + 1) + name + b"\x00"
    body = topics + b"\x00\x00\x00"  # allow auto-creation false, no authorized operations, no tags
    msg = header + body
    return struct.pack(">i", len(msg)) + msg


class Reader:
    def __init__(self, buf):
        self.b, self.p = buf, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.p)
        self.p += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def uvarint(self):
        shift = n = 0
        while True:
            x = self.b[self.p]
            self.p += 1
            n |= (x & 0x7F) << shift
            if not x & 0x80:
                return n
            shift += 7

    def cstring(self):
        n = self.uvarint()
        if n == 0:
            return None
        s = self.b[self.p:self.p + n - 1].decode()
        self.p += n - 1
        return s

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            size = self.uvarint()  # read before `self.p +=` evaluates self.p
            self.p += size

    def array(self):
        n = self.uvarint()
        return max(n - 1, 0)


def parse_metadata_v12(resp):
    """(topics, partitions, partitions with an error or no leader) of a Metadata v12 response body."""
    r = Reader(resp)
    r.take(">i")  # correlation id
    r.tags()
    r.take(">i")  # throttle
    for _ in range(r.array()):
        r.take(">i"); r.cstring(); r.take(">i"); r.cstring(); r.tags()
    r.cstring(); r.take(">i")  # cluster id, controller id
    topics = parts = bad = 0
    for _ in range(r.array()):
        topics += 1
        err = r.take(">h"); r.cstring(); r.p += 16; r.take(">b")
        bad += err != 0
        for _ in range(r.array()):
            parts += 1
            perr, _, leader, _ = r.take(">hiii")
            for _ in range(3):  # replicas, ISR, offline replicas
                n = r.array()
                r.p += 4 * n
            r.tags()
            bad += perr != 0 or leader < 0
        r.take(">i"); r.tags()
    return topics, parts, bad


def recv_exact(s, n):
    chunks, got = [], 0
    while got < n:
        c = s.recv(min(n - got, 1 << 20))
        if not c:
            raise ConnectionError("closed after %d of %d bytes" % (got, n))
        chunks.append(c)
        got += len(c)
    return b"".join(chunks)


def metadata(a):
    host, port = a.bootstrap.rsplit(":", 1)
    out = {}
    with socket.create_connection((host, int(port)), timeout=a.timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(a.timeout)
        corr = 0
        for label, topic in (("all", None), ("one", a.topic)):
            lat = []
            for i in range(a.repeat + 1):
                corr += 1
                frame = metadata_v12(corr, topic)
                t = time.monotonic()
                s.sendall(frame)
                size = struct.unpack(">i", recv_exact(s, 4))[0]
                resp = recv_exact(s, size)
                dt = time.monotonic() - t
                if i == 0:
                    topics, parts, bad = parse_metadata_v12(resp)  # the warm-up's answer is checked, not timed
                    out[label + "_bytes"] = size + 4
                    out[label + "_topics"], out[label + "_partitions"], out[label + "_bad"] = topics, parts, bad
                else:
                    lat.append(dt * 1000)
            lat.sort()
            out[label + "_p50_ms"], out[label + "_p99_ms"], out[label + "_max_ms"] = pct(lat, 50), pct(lat, 99), lat[-1]
    print("RESULT mode=metadata repeat=%d " % a.repeat + " ".join(
        "%s=%s" % (k, ("%.2f" % v) if isinstance(v, float) else v) for k, v in out.items()))


def wait(a):
    """Polls all-topics Metadata until it lists at least `partitions` partitions, all with a leader."""
    host, port = a.bootstrap.rsplit(":", 1)
    t0 = time.monotonic()
    corr = 0
    while True:
        with socket.create_connection((host, int(port)), timeout=a.timeout) as s:
            s.settimeout(a.timeout)
            corr += 1
            s.sendall(metadata_v12(corr, None))
            resp = recv_exact(s, struct.unpack(">i", recv_exact(s, 4))[0])
        topics, parts, bad = parse_metadata_v12(resp)
        if parts >= a.partitions and bad == 0:
            print("RESULT mode=wait secs=%.2f topics=%d partitions=%d polls=%d" % (time.monotonic() - t0, topics, parts, corr))
            return
        if time.monotonic() - t0 > a.timeout:
            print("wait: %d partitions (%d without a leader) after %.0f s" % (parts, bad, a.timeout), file=sys.stderr)
            sys.exit(1)
        time.sleep(0.2)


# ---- produce on the raw wire ------------------------------------------------------------------

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def zigzag(n):
    return uvarint((n << 1) ^ (n >> 63))


def record_batch(count, size):
    """A magic 2 batch of `count` records with `size`-byte values, no key, no producer id. Its CRC
    covers neither the base offset nor the leader epoch, so one batch serves every partition."""
    value = bytes((ord("a") + i % 26) for i in range(size))
    records = b""
    for i in range(count):
        body = b"\x00" + zigzag(0) + zigzag(i) + zigzag(-1) + zigzag(size) + value + zigzag(0)
        records += zigzag(len(body)) + body
    now = int(time.time() * 1000)
    after_crc = struct.pack(">hiqqqhii", 0, count - 1, now, now, -1, -1, -1, count) + records
    crc = crc32c(after_crc)
    after_length = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


def kstring(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def produce_v8(corr, acks, topics, batch):
    """Produce v8 (the last before flexible versions): topics = [(name, [partition, ...]), ...], the same
    batch for each partition."""
    body = struct.pack(">hhi", 0, 8, corr) + kstring("strom-bench-scale")
    body += struct.pack(">hhii", -1, acks, 60000, len(topics))
    for name, parts in topics:
        body += kstring(name) + struct.pack(">i", len(parts))
        for p in parts:
            body += struct.pack(">ii", p, len(batch)) + batch
    return struct.pack(">i", len(body)) + body


def parse_produce_v8(resp):
    """The error codes of a Produce v8 response, {code: count}."""
    r = Reader(resp)
    r.take(">i")  # correlation id
    codes = {}
    for _ in range(r.take(">i")):
        n = r.take(">h")
        r.p += n
        for _ in range(r.take(">i")):
            _, err, _, _, _ = r.take(">ihqqq")
            codes[err] = codes.get(err, 0) + 1
            for _ in range(max(r.take(">i"), 0)):  # record errors: index, nullable message
                r.take(">i")
                m = r.take(">h")
                r.p += max(m, 0)
            m = r.take(">h")
            r.p += max(m, 0)
    return codes


def wire_produce(a):
    """Every partition of the topics once per pass, `per_request` partitions per Produce request,
    `records` records each, one request at a time on one connection; times every request."""
    names = topic_names(a.prefix, a.topics)
    everything = [(n, p) for n in names for p in range(a.per_topic)]
    batch = record_batch(a.records, a.size)
    host, port = a.bootstrap.rsplit(":", 1)
    lat, errors, corr = [], {}, 0
    with socket.create_connection((host, int(port)), timeout=120) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.monotonic()
        for _ in range(a.passes):
            for start in range(0, len(everything), a.per_request):
                chunk = everything[start:start + a.per_request]
                topics = []
                for name, p in chunk:
                    if not topics or topics[-1][0] != name:
                        topics.append((name, []))
                    topics[-1][1].append(p)
                corr += 1
                frame = produce_v8(corr, a.acks, topics, batch)
                t = time.monotonic()
                s.sendall(frame)
                resp = recv_exact(s, struct.unpack(">i", recv_exact(s, 4))[0])
                lat.append(time.monotonic() - t)
                for code, n in parse_produce_v8(resp).items():
                    errors[code] = errors.get(code, 0) + n
        total = time.monotonic() - t0
    busy = sum(lat)
    lat.sort()
    parts = len(everything) * a.passes
    value_bytes = parts * a.records * a.size
    print("RESULT mode=wire-produce acks=%d partitions_per_request=%d records_per_partition=%d requests=%d partitions=%d"
          " secs=%.3f in_requests_s=%.3f MBps=%.2f req_p50_ms=%.2f req_p99_ms=%.2f us_per_partition=%.1f errors=%s" % (
              a.acks, a.per_request, a.records, len(lat), parts, total, busy, value_bytes / busy / 1e6,
              pct(lat, 50) * 1000, pct(lat, 99) * 1000, busy / parts * 1e6,
              ",".join("%d:%d" % kv for kv in sorted(errors.items())) or "none"))
    sys.exit(0 if set(errors) <= {0} else 1)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create")
    c.add_argument("bootstrap"); c.add_argument("prefix"); c.add_argument("topics", type=int); c.add_argument("per_topic", type=int)
    c.add_argument("--per-request", type=int, default=5)
    p = sub.add_parser("produce")
    p.add_argument("bootstrap"); p.add_argument("prefix"); p.add_argument("topics", type=int); p.add_argument("per_topic", type=int)
    p.add_argument("records", type=int)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--acks", default="all")
    p.add_argument("--linger-ms", type=int, default=5)
    p.add_argument("--max-in-flight", type=int, default=2)
    p.add_argument("--max-seconds", type=float, default=300)
    m = sub.add_parser("metadata")
    m.add_argument("bootstrap"); m.add_argument("topic")
    m.add_argument("--repeat", type=int, default=20)
    m.add_argument("--timeout", type=float, default=120)
    r = sub.add_parser("wire-produce")
    r.add_argument("bootstrap"); r.add_argument("prefix"); r.add_argument("topics", type=int); r.add_argument("per_topic", type=int)
    r.add_argument("--per-request", type=int, default=1000)
    r.add_argument("--records", type=int, default=1)
    r.add_argument("--size", type=int, default=1024)
    r.add_argument("--acks", type=int, default=-1)
    r.add_argument("--passes", type=int, default=1)
    w = sub.add_parser("wait")
    w.add_argument("bootstrap"); w.add_argument("partitions", type=int)
    w.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    {"create": create, "produce": produce, "metadata": metadata, "wait": wait, "wire-produce": wire_produce}[a.cmd](a)


if __name__ == "__main__":
    main()

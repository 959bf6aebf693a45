"""The hostile-input suite's tools (test_hostile.py): raw Kafka frames built by hand, a memory
watch on the broker process, the records written before a probe and the check that they survived,
and the fuzzer that sends generated and mutated frames.

Everything here talks to 127.0.0.1 only. Layouts follow Kafka's message schemas
(../shared/kafka-protocol/message); which versions are flexible (header v2, compact strings and
tagged fields) comes from the repository's own Protocol/message/*Request.def files.

Replay saved frames by hand (one JSON line per frame: label, api, version, payload in hex, note;
frames labelled `controller:` go to CONTROLLER_PORT), e.g. interop/hostile-repro/*.frames or the
fuzzer's fuzz-hangs.frames / fuzz-suspects.frames in a test's work directory:

    .venv/bin/python interop/hostile.py replay FILE.frames PORT [CONTROLLER_PORT]
"""
import json
import re
import socket
import struct
import sys
import threading
import time
import zlib
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLIENT_ID = b"interop-hostile"
METADATA_TOPIC = "__cluster_metadata"
METADATA_TOPIC_ID = bytes(15) + b"\x01"  # Kafka's fixed id of __cluster_metadata
MIB = 1 << 20

# The memory bound every hostile test holds the broker to: peak resident set (VmHWM, the kernel's
# own high-water mark, and VmRSS polled every 50 ms) over the process's whole life, restarts included.
#   ~40 MiB   the idle node (debug build; measured 38 MiB)
#  100 MiB    Kafka's socket.request.max.bytes: the most a node ever needs to hold for one request
#   20 MiB    the rest of what these tests do legitimately (measured peak of the probes that are
#             refused cleanly: under 50 MiB in all)
# Inflating compressed records to validate them is capped per Produce request at 64 x
# message.max.bytes, at least 64 MiB (ProduceHandler.requestInflateBudget): within the 100 MiB.
# Memory that grows with what a request *claims* (an inflated size, a partition count, a length
# field) rather than with its bytes on the wire goes over it: the gzip probe's wrappers are
# ~200 KB each and inflate to 200 MiB, so a node that inflates even one of them in full needs
# more than 40 + 200 MiB (before the fix, all four peaked at 1.68 GB).
RSS_BOUND_MIB = 160

# ---------------------------------------------------------------------------------------- wire


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def varint(n):  # zigzag, for record fields
    return uvarint((n << 1) ^ (n >> 63))


class W:
    """A request body writer; `flex` selects compact strings/arrays (flexible versions)."""

    def __init__(self, flex=False):
        self.flex = flex
        self.b = bytearray()

    def raw(self, data):
        self.b += data
        return self

    def i8(self, v):
        return self.raw(struct.pack(">b", v))

    def i16(self, v):
        return self.raw(struct.pack(">h", v))

    def u16(self, v):
        return self.raw(struct.pack(">H", v))

    def i32(self, v):
        return self.raw(struct.pack(">i", v))

    def i64(self, v):
        return self.raw(struct.pack(">q", v))

    def bool(self, v):
        return self.i8(1 if v else 0)

    def uuid(self, v):
        assert len(v) == 16
        return self.raw(v)

    def string(self, s):
        if s is None:
            return self.raw(uvarint(0)) if self.flex else self.i16(-1)
        b = s.encode() if isinstance(s, str) else s
        return self.raw(uvarint(len(b) + 1) + b) if self.flex else self.raw(struct.pack(">h", len(b)) + b)

    def bytes_(self, b):
        if b is None:
            return self.raw(uvarint(0)) if self.flex else self.i32(-1)
        return self.raw(uvarint(len(b) + 1) + b) if self.flex else self.raw(struct.pack(">i", len(b)) + b)

    def array(self, items, each):
        if items is None:
            return self.raw(uvarint(0)) if self.flex else self.i32(-1)
        self.raw(uvarint(len(items) + 1)) if self.flex else self.i32(len(items))
        for it in items:
            each(self, it)
        return self

    def tags(self, fields=()):
        """A tagged-field section (flexible only): fields = [(tag, bytes)] in ascending tag order."""
        if not self.flex:
            return self
        self.raw(uvarint(len(fields)))
        for tag, data in fields:
            self.raw(uvarint(tag) + uvarint(len(data)) + data)
        return self

    def done(self):
        return bytes(self.b)


class R:
    """A response reader."""

    def __init__(self, data, pos=0, flex=False):
        self.d = data
        self.p = pos
        self.flex = flex

    def _take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)[0]
        self.p += struct.calcsize(fmt)
        return v

    def i8(self):
        return self._take(">b")

    def i16(self):
        return self._take(">h")

    def i32(self):
        return self._take(">i")

    def i64(self):
        return self._take(">q")

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.d[self.p]
            self.p += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def string(self):
        n = self.uvarint() - 1 if self.flex else self.i16()
        if n < 0:
            return None
        s = self.d[self.p:self.p + n].decode("utf-8", "replace")
        self.p += n
        return s

    def count(self):
        return self.uvarint() - 1 if self.flex else self.i32()

    def skip_tags(self):
        if self.flex:
            for _ in range(self.uvarint()):
                self.uvarint()
                size = self.uvarint()  # (not `self.p += self.uvarint()`: that adds to p from before the read)
                self.p += size


def _load_flexible():
    """{api key: lowest flexible version or None, listeners} from Protocol/message/*Request.def."""
    out = {}
    for path in sorted((REPO / "Protocol" / "message").glob("*Request.def")):
        first = path.read_text().splitlines()[0]
        m = re.match(r"request (\w+) key=(\d+) valid=(\S+) flexible=(\S+)", first)
        if not m:
            continue
        flex = m.group(4)
        out[int(m.group(2))] = (m.group(1), None if flex == "none" else int(flex.rstrip("+")))
    if len(out) < 60:
        raise RuntimeError("only %d request definitions under Protocol/message" % len(out))
    return out


REQUESTS = _load_flexible()


def api_name(key):
    return REQUESTS.get(key, ("api-%d" % key, None))[0].replace("Request", "")


def is_flexible(key, version):
    low = REQUESTS.get(key, (None, None))[1]
    return low is not None and version >= low


def header(api_key, version, corr, flexible=None, client_id=CLIENT_ID):
    """Request header v1, or v2 (v1 + an empty tagged-field section) for flexible versions."""
    if flexible is None:
        flexible = is_flexible(api_key, version)
    h = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    return h + (b"\x00" if flexible else b"")


def recv_exact(s, n):
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(min(n - len(out), 1 << 20))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return bytes(out)


def call(port, api_key, version, body, timeout=10.0, corr=4242, flexible=None):
    """Sends one request; returns an R positioned after the response header (ApiVersions answers
    always use header v0). Raises ConnectionError if the broker closes instead of answering."""
    if flexible is None:
        flexible = is_flexible(api_key, version)
    payload = header(api_key, version, corr, flexible) + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">i", len(payload)) + payload)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        resp = recv_exact(s, size)
    r = R(resp, 0, flexible)
    got = r.i32()
    if got != corr:
        raise AssertionError("%s v%d: correlation id %d in the answer, sent %d" % (api_name(api_key), version, got, corr))
    if flexible and api_key != 18:
        r.skip_tags()
    return r


# --------------------------------------------------------------------------- records and batches

_CRC32C = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    table = _CRC32C
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def record_batch(records, timestamp=None):
    """A magic-2 batch, uncompressed: records = [(key bytes|None, value bytes|None)]."""
    ts = int(time.time() * 1000) if timestamp is None else timestamp
    body = bytearray()
    for i, (k, v) in enumerate(records):
        rec = bytes([0]) + varint(0) + varint(i)
        rec += varint(-1) if k is None else varint(len(k)) + k
        rec += varint(-1) if v is None else varint(len(v)) + v
        rec += varint(0)
        body += varint(len(rec)) + rec
    after_crc = struct.pack(">hiqqqhii", 0, len(records) - 1, ts, ts, -1, -1, -1, len(records)) + bytes(body)
    crc = crc32c(after_crc)
    after_length = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


def legacy_message_v1(value, attributes=0, key=None, offset=0, timestamp=0):
    """A magic-1 message (legacy message set entry), CRC-32 over magic..value."""
    content = struct.pack(">bbq", 1, attributes, timestamp)
    content += struct.pack(">i", -1) if key is None else struct.pack(">i", len(key)) + key
    content += struct.pack(">i", len(value)) + value
    msg = struct.pack(">I", zlib.crc32(content)) + content
    return struct.pack(">qi", offset, len(msg)) + msg


_ZERO_GZIP = {}


def gzip_of_zeros(n_bytes):
    """gzip of n_bytes zero bytes, built in 1 MiB steps (200 MiB gives ~200 KB)."""
    if n_bytes not in _ZERO_GZIP:
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        chunk = bytes(MIB)
        parts = [c.compress(chunk) for _ in range(n_bytes // MIB)]
        parts.append(c.compress(bytes(n_bytes % MIB)))
        parts.append(c.flush())
        _ZERO_GZIP[n_bytes] = b"".join(parts)
    return _ZERO_GZIP[n_bytes]


_MESSAGE_GZIP = {}


def gzip_of_one_message_of_zeros(n_bytes):
    """gzip of one valid magic-1 message (null key) whose value is zeros, n_bytes in all once
    inflated: a parser that takes it apart finds a well-formed inner message and goes on to the
    next wrapper, so only a bound on what it inflates in total stops it."""
    if n_bytes not in _MESSAGE_GZIP:
        value_len = n_bytes - 34  # offset 8, size 4, crc 4, magic 1, attributes 1, timestamp 8, key 4, value length 4
        content_head = struct.pack(">bbqii", 1, 0, 0, -1, value_len)
        crc = zlib.crc32(content_head)
        chunk = bytes(MIB)
        left = value_len
        while left:
            crc = zlib.crc32(chunk[:min(left, MIB)], crc)
            left -= min(left, MIB)
        head = struct.pack(">qiI", 0, 4 + len(content_head) + value_len, crc) + content_head
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [c.compress(head)]
        left = value_len
        while left:
            parts.append(c.compress(chunk[:min(left, MIB)]))
            left -= min(left, MIB)
        parts.append(c.flush())
        _MESSAGE_GZIP[n_bytes] = b"".join(parts)
    return _MESSAGE_GZIP[n_bytes]


def produce_body(version, topic, partition, records_bytes, acks=-1, timeout_ms=30000):
    """Produce v0-v8 (not flexible): one topic, one partition."""
    w = W()
    if version >= 3:
        w.string(None)  # transactional id
    w.i16(acks).i32(timeout_ms)
    w.i32(1).string(topic).i32(1).i32(partition).bytes_(records_bytes)
    return w.done()


def produce(port, version, topic, partition, records_bytes, timeout=30.0):
    """(error code, base offset) of the one partition of a Produce v2-v8 answer."""
    r = call(port, 0, version, produce_body(version, topic, partition, records_bytes), timeout=timeout)
    assert r.count() == 1
    r.string()
    assert r.count() == 1
    r.i32()
    error = r.i16()
    base = r.i64()
    return error, base


# ------------------------------------------------------------------------------------ the quorum


def cluster_id(broker):
    for line in (broker.data_dir / "meta.properties").read_text().splitlines():
        if line.startswith("cluster.id="):
            return line.split("=", 1)[1].strip()
    raise AssertionError("no cluster.id in %s" % (broker.data_dir / "meta.properties"))


@dataclass
class Quorum:
    error: int
    leader: int
    epoch: int
    high_watermark: int
    voters: dict  # id -> log end offset
    observers: dict


def describe_quorum(port, timeout=5.0):
    """DescribeQuorum v0, voters and observers (sent to a controller listener it is answered there)."""
    w = W(flex=True)
    w.array([METADATA_TOPIC], lambda w, t: w.string(t).array([0], lambda w, p: w.i32(p).tags()).tags()).tags()
    r = call(port, 55, 0, w.done(), timeout=timeout)
    error = r.i16()
    if r.count() < 1:
        return Quorum(error, -1, -1, -1, {}, {})
    r.string()
    r.count()
    r.i32()
    perr, leader, epoch, hw = r.i16(), r.i32(), r.i32(), r.i64()
    lists = []
    for _ in range(2):
        d = {}
        for _ in range(r.count()):
            rid, leo = r.i32(), r.i64()
            r.skip_tags()
            d[rid] = leo
        lists.append(d)
    return Quorum(error or perr, leader, epoch, hw, lists[0], lists[1])


def wait_for_leader(port, timeout=30.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            q = describe_quorum(port)
            if q.error == 0 and q.leader >= 0:
                return q
            last = q
        except (OSError, ConnectionError, AssertionError, struct.error, IndexError) as e:
            last = "%s: %s" % (type(e).__name__, e)
        time.sleep(0.05)
    raise AssertionError("no quorum leader on port %d after %ss (last: %s)" % (port, timeout, last))


def vote_body(cluster, candidate_epoch, candidate_id, last_offset_epoch, last_offset, version=0, pre_vote=False,
              voter_id=-1):
    """Vote v0-v2 (always flexible)."""
    w = W(flex=True)
    w.string(cluster)
    if version >= 1:
        w.i32(voter_id)

    def partition(w, _):
        w.i32(0).i32(candidate_epoch).i32(candidate_id)
        if version >= 1:
            w.uuid(bytes(16)).uuid(bytes(16))
        w.i32(last_offset_epoch).i64(last_offset)
        if version >= 2:
            w.bool(pre_vote)
        w.tags()

    w.array([METADATA_TOPIC], lambda w, t: w.string(t).array([0], partition).tags())
    return w.tags().done()


def first_partition_answer(r):
    """(top-level error, partition error, leader id, leader epoch, rest reader) of a Vote /
    BeginQuorumEpoch / EndQuorumEpoch answer."""
    top = r.i16()
    assert r.count() >= 1, "no topic in the answer"
    r.string()
    assert r.count() >= 1, "no partition in the answer"
    r.i32()
    return top, r.i16(), r.i32(), r.i32(), r


def vote(port, cluster, candidate_epoch, candidate_id, last_offset_epoch, last_offset, timeout=10.0):
    """(top error, partition error, leader, epoch, granted) of a Vote v0."""
    r = call(port, 52, 0, vote_body(cluster, candidate_epoch, candidate_id, last_offset_epoch, last_offset),
             timeout=timeout)
    top, perr, leader, epoch, r = first_partition_answer(r)
    return top, perr, leader, epoch, r.i8() != 0


def begin_quorum_epoch_body(cluster, leader_id, leader_epoch, version=0):
    w = W(flex=version >= 1)
    w.string(cluster)
    if version >= 1:
        w.i32(-1)  # voter id

    def partition(w, _):
        w.i32(0)
        if version >= 1:
            w.uuid(bytes(16))
        w.i32(leader_id).i32(leader_epoch).tags()

    w.array([METADATA_TOPIC], lambda w, t: w.string(t).array([0], partition).tags())
    if version >= 1:
        w.array([("CONTROLLER", "127.0.0.1", 1)], lambda w, e: w.string(e[0]).string(e[1]).u16(e[2]).tags())
    return w.tags().done()


def end_quorum_epoch_body(cluster, leader_id, leader_epoch, version=0, successors=()):
    w = W(flex=version >= 1)
    w.string(cluster)

    def partition(w, _):
        w.i32(0).i32(leader_id).i32(leader_epoch)
        if version == 0:
            w.array(list(successors), lambda w, s: w.i32(s))
        else:
            w.array(list(successors), lambda w, s: w.i32(s).uuid(bytes(16)).tags())
        w.tags()

    w.array([METADATA_TOPIC], lambda w, t: w.string(t).array([0], partition).tags())
    if version >= 1:
        w.array([("CONTROLLER", "127.0.0.1", 1)], lambda w, e: w.string(e[0]).string(e[1]).u16(e[2]).tags())
    return w.tags().done()


def quorum_fetch_body(version, replica_id, cluster=None, leader_epoch=-1, fetch_offset=0, max_wait_ms=0, last_fetched_epoch=-1):
    """A Fetch of __cluster_metadata-0 as a quorum replica sends it: v12 (ReplicaId in the body,
    topic by name) up to v17 (ReplicaState tagged field, topic by id)."""
    assert 12 <= version <= 17
    w = W(flex=True)
    if version <= 14:
        w.i32(replica_id)
    w.i32(max_wait_ms).i32(0).i32(MIB).i8(0).i32(0).i32(-1)

    def partition(w, _):
        w.i32(0).i32(leader_epoch).i64(fetch_offset).i32(last_fetched_epoch).i64(-1).i32(MIB).tags()

    def topic(w, _):
        w.string(METADATA_TOPIC) if version <= 12 else w.uuid(METADATA_TOPIC_ID)
        w.array([0], partition).tags()

    w.array([0], topic)
    w.array([], None)  # forgotten topics
    w.string("")  # rack
    tags = []
    if cluster is not None:
        tags.append((0, W(flex=True).string(cluster).done()))
    if version >= 15:
        tags.append((1, W(flex=True).i32(replica_id).i64(-1).tags().done()))
    return w.tags(tags).done()


def quorum_fetch(port, version, replica_id, cluster=None, leader_epoch=-1, timeout=10.0):
    """(top-level error, partition error) of a quorum Fetch answer."""
    r = call(port, 1, version, quorum_fetch_body(version, replica_id, cluster, leader_epoch), timeout=timeout)
    r.i32()  # throttle
    top = r.i16()
    r.i32()  # session id
    if r.count() < 1:
        return top, None
    if version <= 12:
        r.string()
    else:
        r.p += 16
    if r.count() < 1:
        return top, None
    r.i32()
    return top, r.i16()


def fetch_snapshot_body(replica_id, cluster=None, epoch=1, end_offset=1, position=0):
    w = W(flex=True)
    w.i32(replica_id).i32(MIB)

    def partition(w, _):
        w.i32(0).i32(epoch).i64(end_offset).i32(epoch).tags().i64(position).tags()

    w.array([METADATA_TOPIC], lambda w, t: w.string(t).array([0], partition).tags())
    return w.tags([(0, W(flex=True).string(cluster).done())] if cluster else []).done()


def describe_quorum_body():
    w = W(flex=True)
    return w.array([METADATA_TOPIC], lambda w, t: w.string(t).array([0], lambda w, p: w.i32(p).tags()).tags()).tags().done()


# ------------------------------------------------------------------------------------ admin


def delete_records_v1(port, topic, partitions, offset=-1, timeout=30.0):
    """DeleteRecords v1 of `partitions` of `topic` up to `offset` (-1: the high watermark);
    returns {partition: (low watermark, error)}."""
    w = W()
    w.array([topic], lambda w, t: w.string(t).array(list(partitions), lambda w, p: w.i32(p).i64(offset)))
    w.i32(int(timeout * 1000) - 5000)
    r = call(port, 21, 1, w.done(), timeout=timeout)
    r.i32()
    out = {}
    for _ in range(r.count()):
        r.string()
        for _ in range(r.count()):
            partition, low, error = r.i32(), r.i64(), r.i16()
            out[partition] = (low, error)
    return out


def create_topics_v4(port, topics, validate_only, timeout=60.0, timeout_ms=None):
    """CreateTopics v4: topics = [(name, partitions, replication factor)]; returns {name: (error, message)}.
    `timeout` bounds the wait for the answer; timeout_ms (default timeout - 5 s) is the request's own."""
    w = W()
    w.array(topics, lambda w, t: w.string(t[0]).i32(t[1]).i16(t[2]).i32(0).i32(0))
    w.i32(int(timeout * 1000) - 5000 if timeout_ms is None else timeout_ms).bool(validate_only)
    r = call(port, 19, 4, w.done(), timeout=timeout)
    r.i32()
    out = {}
    for _ in range(r.count()):
        name, error, message = r.string(), r.i16(), r.string()
        out[name] = (error, message)
    return out


def metadata_topics(port, timeout=10.0, topics=None):
    """{topic name: (error, partition count)} from Metadata v1 (all topics, or `topics`)."""
    return {name: (error, len(leaders)) for name, (error, leaders) in metadata_leaders(port, timeout, topics).items()}


def metadata_leaders(port, timeout=10.0, topics=None):
    """{topic name: (error, {partition: leader})} from Metadata v1 (all topics, or `topics`)."""
    w = W()
    w.array(topics, lambda w, t: w.string(t))
    r = call(port, 3, 1, w.done(), timeout=timeout)
    for _ in range(r.i32()):
        r.i32()
        r.string()
        r.i32()
        r.string()  # rack
    r.i32()  # controller
    out = {}
    for _ in range(r.i32()):
        error = r.i16()
        name = r.string()
        r.i8()
        leaders = {}
        for _ in range(r.i32()):
            r.i16()
            partition, leader = r.i32(), r.i32()
            leaders[partition] = leader
            for _ in range(2):  # replicas, isr
                ids = r.i32()
                r.p += 4 * ids
        out[name] = (error, leaders)
    return out


# ------------------------------------------------------------------------------------ memory


def proc_status(pid):
    """{'VmRSS': KiB, 'VmHWM': KiB} of a live process, or None if it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            out = {}
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    k, v = line.split(":", 1)
                    out[k] = int(v.split()[0])
            return out
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None


class RssWatch:
    """Polls the broker's VmRSS every 50 ms in a thread, following the process across restarts
    (by pid); `peak_mib` is the largest of what it sampled and each process's VmHWM."""

    def __init__(self, broker, interval=0.05):
        self.broker = broker
        self.interval = interval
        self.peaks = {}  # pid -> peak KiB
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-watch", daemon=True)
        self._thread.start()

    def _sample(self):
        proc = self.broker.proc
        if proc is None or proc.poll() is not None:
            return
        st = proc_status(proc.pid)
        if st:
            self.samples += 1
            self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), st.get("VmRSS", 0), st.get("VmHWM", 0))

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def sample_now(self):
        self._sample()

    def stop(self):
        self._sample()
        self._stop.set()
        self._thread.join(5)

    @property
    def peak_mib(self):
        return max(self.peaks.values(), default=0) / 1024.0


# ------------------------------------------------------------------ the records written before


def _client_conf(broker):
    return {"bootstrap.servers": broker.bootstrap, "broker.address.family": "v4", "log_level": 3}


@dataclass
class Baseline:
    topic: str
    partitions: int
    records: list  # [(partition, offset, key, value)] sorted
    group: str = None
    committed: dict = field(default_factory=dict)  # partition -> committed offset


def baseline_value(i):
    if i == 7:
        return b""
    if i == 11:
        return None
    size = (1, 17, 150, 1024, 6000, 40, 300)[i % 7]
    return (("record %d; " % i).encode() * (size // 8 + 1))[:size]


def baseline_key(i):
    if i == 13:
        return None
    return b"k-%03d" % i + (b"\x00\xff" if i % 5 == 0 else b"")


def write_baseline(broker, topic="hostile-known", n=50, partitions=3, group="hostile-known-group", timeout=30):
    """Creates `topic`, writes n records with confluent-kafka (acks=all, idempotent), remembers each
    record's partition and acknowledged offset, and commits offsets for `group` (so the group
    coordinator has something of its own in __consumer_offsets to reload)."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient(_client_conf(broker))
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(timeout)
    acks, errors = [], []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acks.append((msg.partition(), msg.offset(), msg.key(), msg.value()))

    p = Producer(dict(_client_conf(broker), **{"acks": "all", "enable.idempotence": True, "linger.ms": 2}))
    for i in range(n):
        p.produce(topic, key=baseline_key(i), value=baseline_value(i), partition=i % partitions, on_delivery=on_delivery)
    left = p.flush(timeout)
    assert left == 0 and not errors and len(acks) == n, "baseline produce: %d unflushed, %d acked of %d, errors %s" % (
        left, len(acks), n, errors[:3])
    committed = {}
    if group:
        c = Consumer(dict(_client_conf(broker), **{"group.id": group, "enable.auto.commit": False}))
        try:
            offsets = [TopicPartition(topic, part, 1 + part) for part in range(partitions)]
            res = c.commit(offsets=offsets, asynchronous=False)
            for tp in res:
                assert tp.error is None, "baseline commit: %s" % tp.error
                committed[tp.partition] = tp.offset
        finally:
            c.close()
    return Baseline(topic, partitions, sorted(acks, key=lambda r: (r[0], r[1])), group, committed)


def read_back(broker, baseline, timeout=30):
    """Problems found reading the baseline topic back (confluent-kafka, by assignment): every record
    at its offset with its key and value, nothing else, each partition's high watermark at its end,
    and the group's committed offsets unchanged."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

    problems = []
    c = Consumer(dict(_client_conf(broker), **{"group.id": baseline.group or "hostile-readback",
                                                "enable.auto.commit": False, "enable.partition.eof": True}))
    try:
        c.assign([TopicPartition(baseline.topic, p, OFFSET_BEGINNING) for p in range(baseline.partitions)])
        got, eof = [], set()
        deadline = time.time() + timeout
        while len(eof) < baseline.partitions and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                    continue
                problems.append("read back: consumer error %s" % m.error())
                if not m.error().retriable():
                    break
                continue
            got.append((m.partition(), m.offset(), m.key(), m.value()))
        if len(eof) < baseline.partitions:
            problems.append("read back: only partitions %s reached their end within %ss" % (sorted(eof), timeout))
        got.sort(key=lambda r: (r[0], r[1]))
        if got != baseline.records:
            want = set(baseline.records)
            have = set(got)
            missing = sorted(want - have, key=lambda r: (r[0], r[1]))
            extra = sorted(have - want, key=lambda r: (r[0], r[1]))
            problems.append("read back %d records, wrote %d: missing %s; unexpected %s" % (
                len(got), len(baseline.records), [_short(r) for r in missing[:5]], [_short(r) for r in extra[:5]]))
        for p in range(baseline.partitions):
            want_hw = 1 + max((r[1] for r in baseline.records if r[0] == p), default=-1)
            lo, hi = c.get_watermark_offsets(TopicPartition(baseline.topic, p), timeout=10)
            if (lo, hi) != (0, want_hw):
                problems.append("partition %d: watermarks (%d, %d), expected (0, %d)" % (p, lo, hi, want_hw))
        if baseline.committed:
            tps = c.committed([TopicPartition(baseline.topic, p) for p in baseline.committed], timeout=10)
            have = {tp.partition: tp.offset for tp in tps}
            if have != baseline.committed:
                problems.append("group %s: committed offsets %s, expected %s" % (baseline.group, have, baseline.committed))
    except Exception as e:  # a client exception is a finding here, not a crash of the test
        problems.append("read back: %s: %s" % (type(e).__name__, e))
    finally:
        c.close()
    return problems


def _short(r):
    p, o, k, v = r
    return "p%d@%d key=%r value=%s" % (p, o, k, "null" if v is None else "%d bytes" % len(v))


def serves_new_topic(broker, tag, timeout=30):
    """Problems creating a topic (through the quorum), writing one record and reading it back."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = "hostile-after-%s" % tag
    try:
        admin = AdminClient(_client_conf(broker))  # kept referenced: a collected client fails its futures
        admin.create_topics([NewTopic(topic, 1, 1)], request_timeout=timeout)[topic].result(timeout + 5)
        p = Producer(dict(_client_conf(broker), **{"acks": "all", "message.timeout.ms": timeout * 1000}))
        got = []
        p.produce(topic, key=b"after", value=tag.encode(), on_delivery=lambda err, msg: got.append(err))
        p.flush(timeout)
        if got != [None]:
            return ["serving after restart: produce to %s: %s" % (topic, got)]
        c = Consumer(dict(_client_conf(broker), **{"group.id": "hostile-after", "enable.auto.commit": False}))
        try:
            c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
            deadline = time.time() + timeout
            while time.time() < deadline:
                m = c.poll(0.5)
                if m is not None and not m.error():
                    if (m.key(), m.value(), m.offset()) != (b"after", tag.encode(), 0):
                        return ["serving after restart: read %r %r at %d" % (m.key(), m.value(), m.offset())]
                    return []
            return ["serving after restart: the record written to %s was not read back within %ss" % (topic, timeout)]
        finally:
            c.close()
    except Exception as e:
        return ["serving after restart: %s: %s" % (type(e).__name__, e)]


def check_survived(broker, baseline, watch, what):
    """The common end of every hostile test. Returns a list of problems (empty = survived):
    (a) the process is alive and answers Metadata; (b) its peak RSS stayed under RSS_BOUND_MIB;
    (c) after kill -9 it restarts on the same data; (d) the records written before the probe read
    back exactly (offsets, keys, values, watermarks, committed offsets) and it still creates a
    topic and serves a record on it. Later steps run even when earlier ones failed, so one run
    says everything."""
    from broker import BrokerError, metadata_brokers

    problems = []
    watch.sample_now()
    if not broker.alive():
        problems.append("(a) the process exited with code %s after %s" % (broker.proc.returncode, what))
    else:
        try:
            if metadata_brokers(broker.port, timeout=5) < 1:
                problems.append("(a) alive, but Metadata lists no broker after %s" % what)
        except Exception as e:
            problems.append("(a) alive, but Metadata is not answered after %s: %s: %s" % (what, type(e).__name__, e))
    watch.sample_now()
    if watch.peak_mib > RSS_BOUND_MIB:
        problems.append("(b) peak RSS %.0f MiB, over the bound of %d MiB" % (watch.peak_mib, RSS_BOUND_MIB))
    if broker.alive():
        broker.kill9()
    try:
        broker.start(timeout=60)
    except BrokerError as e:
        problems.append("(c) no restart after kill -9: %s" % e)
        return problems
    problems += ["(d) " + p for p in read_back(broker, baseline)]
    problems += ["(d) " + p for p in serves_new_topic(broker, "%d" % broker.starts)]
    watch.sample_now()
    if watch.peak_mib > RSS_BOUND_MIB and not any(p.startswith("(b)") for p in problems):
        problems.append("(b) peak RSS %.0f MiB after the restart, over the bound of %d MiB" % (watch.peak_mib, RSS_BOUND_MIB))
    return problems


# ------------------------------------------------------------------------------------ fuzzing


@dataclass
class Frame:
    label: str
    port: int
    payload: bytes  # what follows the 4-byte size prefix
    api: int = None  # as written in the header we built (mutations may change the bytes)
    version: int = None

    def header_api(self):
        return struct.unpack_from(">h", self.payload)[0] if len(self.payload) >= 2 else None

    def header_corr(self):
        return struct.unpack_from(">i", self.payload, 4)[0] if len(self.payload) >= 8 else None


@dataclass
class Outcome:
    frame: Frame
    kind: str  # answer | closed | timeout | refused
    detail: str = ""
    seconds: float = 0.0
    corr: int = None


def send_frame(frame, timeout):
    """One connection, one frame: an answer (the whole response frame read), the broker closing,
    or nothing within `timeout` seconds."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    try:
        s = socket.create_connection(("127.0.0.1", frame.port), timeout=min(timeout, 3.0))
    except OSError as e:
        return Outcome(frame, "refused", "%s: %s" % (type(e).__name__, e), time.monotonic() - t0)
    try:
        s.settimeout(timeout)
        try:
            s.sendall(struct.pack(">i", len(frame.payload)) + frame.payload)
        except OSError as e:
            return Outcome(frame, "closed", "during send: %s" % type(e).__name__, time.monotonic() - t0)
        buf = bytearray()
        need = 4
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return Outcome(frame, "timeout", "%d bytes of the answer" % len(buf), time.monotonic() - t0)
            s.settimeout(left)
            try:
                chunk = s.recv(1 << 16)
            except socket.timeout:
                return Outcome(frame, "timeout", "%d bytes of the answer" % len(buf), time.monotonic() - t0)
            except OSError as e:
                return Outcome(frame, "closed", "%s after %d bytes" % (type(e).__name__, len(buf)), time.monotonic() - t0)
            if not chunk:
                return Outcome(frame, "closed", "EOF after %d bytes" % len(buf), time.monotonic() - t0)
            buf += chunk
            if len(buf) >= 4 and need == 4:
                need = 4 + struct.unpack_from(">i", buf)[0]
                if need < 8:
                    return Outcome(frame, "malformed", "answer size %d" % (need - 4), time.monotonic() - t0)
            if need > 4 and len(buf) >= need:
                corr = struct.unpack_from(">i", buf, 4)[0]
                return Outcome(frame, "answer", "", time.monotonic() - t0, corr)
    finally:
        s.close()


# APIs whose request itself names a wait (long poll, group rebalance, waiting for a voter to
# catch up): no answer within the frame timeout is not a hang of the node for these, provided the
# node answers other connections meanwhile.
WAITING_APIS = {1: "Fetch", 11: "JoinGroup", 14: "SyncGroup", 80: "AddRaftVoter"}


def random_bodies(rng, lengths=(0, 1, 7, 64, 4096)):
    return [bytes(rng.getrandbits(8) for _ in range(n)) for n in lengths]


def mutate(rng, payload):
    """A mutation of a captured frame (header + body): 1-3 of bit flips, truncation, byte
    overwrites, a plausible length/count field set to -1 / 0x7fffffff / -2^31, a huge varint, or
    trailing garbage. Returns (bytes, description)."""
    b = bytearray(payload)
    ops = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        op = rng.choice(("flip", "flip", "truncate", "overwrite", "len32", "len32", "len16", "varint", "append"))
        body_start = min(len(b), 10)
        if op == "flip" and b:
            pos = rng.randrange(len(b)) if rng.random() < 0.1 else rng.randrange(body_start, len(b)) if len(b) > body_start else 0
            b[pos] ^= 1 << rng.randrange(8)
            ops.append("flip@%d" % pos)
        elif op == "truncate" and b:
            n = rng.randrange(len(b))
            del b[n:]
            ops.append("truncate@%d" % n)
        elif op == "overwrite" and len(b) > body_start:
            pos = rng.randrange(body_start, len(b))
            n = rng.randint(1, 8)
            b[pos:pos + n] = bytes(rng.getrandbits(8) for _ in range(n))
            ops.append("overwrite@%d+%d" % (pos, n))
        elif op in ("len32", "len16"):
            size = 4 if op == "len32" else 2
            fmt = ">i" if size == 4 else ">h"
            cands = [p for p in range(body_start, len(b) - size + 1)
                     if 0 < struct.unpack_from(fmt, b, p)[0] <= len(b) - p - size]
            if cands:
                pos = rng.choice(cands)
                v = rng.choice((-1, 0x7FFFFFFF, -0x80000000, 0x7FFFFFFE)) if size == 4 else rng.choice((-1, 0x7FFF, -0x8000))
                struct.pack_into(fmt, b, pos, v)
                ops.append("%s@%d=%d" % (op, pos, v))
        elif op == "varint" and len(b) > body_start:
            cands = [p for p in range(body_start, len(b)) if 1 < b[p] < 0x80 and b[p] - 1 <= len(b) - p - 1]
            if cands:
                pos = rng.choice(cands)
                huge = rng.choice((b"\xff\xff\xff\xff\x0f", b"\xff\xff\xff\xff\x07", b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"))
                b[pos:pos + 1] = huge
                ops.append("varint@%d" % pos)
        elif op == "append":
            n = rng.choice((1, 3, 64))
            b += bytes(rng.getrandbits(8) for _ in range(n))
            ops.append("append+%d" % n)
    return bytes(b), ",".join(ops) or "none"


def with_corr(payload, corr):
    if len(payload) < 8:
        return payload
    return payload[:4] + struct.pack(">i", corr) + payload[8:]


def load_fixtures():
    """[(api key, version, path, frame bytes)] of every captured request in Fixtures/requests."""
    base = REPO / "Fixtures" / "requests"
    out = []
    lines = (base / "MANIFEST.tsv").read_text().splitlines()
    for line in lines[1:]:
        cols = line.split("\t")
        out.append((int(cols[3]), int(cols[5]), cols[0], (base / cols[0]).read_bytes()))
    return out


@dataclass
class FuzzStats:
    sent: int = 0
    answers: int = 0
    closed: int = 0
    parked: list = field(default_factory=list)
    hangs: list = field(default_factory=list)
    wrong_corr: list = field(default_factory=list)
    malformed: list = field(default_factory=list)  # answers too short to hold a correlation id
    refused: list = field(default_factory=list)
    by_api: dict = field(default_factory=dict)  # label prefix -> [sent, answers, closed, parked]
    slowest: list = field(default_factory=list)  # the 10 slowest answered or closed frames: (seconds, label)

    def line(self):
        return ("%d frames: %d answered, %d closed by the broker, %d parked (waiting APIs), %d hangs, %d refused "
                "connections, %d wrong correlation ids, %d malformed answers") % (
            self.sent, self.answers, self.closed, len(self.parked), len(self.hangs), len(self.refused),
            len(self.wrong_corr), len(self.malformed))


def save_frames(path, frames, note=""):
    """One JSON line per frame (label, port, api, version, payload hex): replayable with `replay`."""
    with open(path, "a") as f:
        for fr in frames:
            f.write(json.dumps({"label": fr.label, "api": fr.api, "version": fr.version,
                                "payload": fr.payload.hex(), "note": note}) + "\n")


def run_frames(frames, broker, stats, frame_timeout, deadline, workers, suspects_path, problems):
    """Sends frames with `workers` connections in parallel; stops early if the process dies (the
    frames in flight and the last ones answered are saved to suspects_path) or at `deadline`."""
    in_flight = {}
    recent = []
    done_all = True
    with ThreadPoolExecutor(max_workers=workers) as pool:
        it = iter(frames)
        futures = {}
        exhausted = False
        while True:
            while not exhausted and len(futures) < workers * 2:
                if time.monotonic() > deadline:
                    exhausted = True
                    done_all = False
                    break
                try:
                    fr = next(it)
                except StopIteration:
                    exhausted = True
                    break
                fut = pool.submit(send_frame, fr, frame_timeout)
                futures[fut] = fr
                in_flight[id(fr)] = fr
            if not futures:
                break
            finished, _ = wait(list(futures), timeout=frame_timeout + 5, return_when=FIRST_COMPLETED)
            for fut in finished:
                fr = futures.pop(fut)
                in_flight.pop(id(fr), None)
                o = fut.result()
                _account(o, stats, broker)
                recent = (recent + [fr])[-32:]
            if not broker.alive():
                save_frames(suspects_path, list(in_flight.values()), "in flight when the process died")
                save_frames(suspects_path, recent, "answered or closed shortly before the process died")
                stats.sent += len(in_flight)
                problems.append("the process died (exit %s) during the fuzz; %d frames in flight and the last %d "
                                "before them saved to %s (first in flight: %s)" % (
                                    broker.proc.returncode, len(in_flight), len(recent), suspects_path,
                                    ", ".join(f.label for f in list(in_flight.values())[:8])))
                for f in futures:
                    f.cancel()
                return False
    return done_all


def _account(o, stats, broker):
    fr = o.frame
    stats.sent += 1
    key = fr.label.split(" ")[0]
    if "unadvertised-" in key:
        key = key.split("unadvertised-")[0] + "unadvertised keys"
    if o.kind in ("answer", "closed"):
        stats.slowest = sorted(stats.slowest + [(o.seconds, fr.label)], reverse=True)[:10]
    row = stats.by_api.setdefault(key, [0, 0, 0, 0])
    row[0] += 1
    if o.kind == "answer":
        stats.answers += 1
        row[1] += 1
        sent = fr.header_corr()
        if o.corr is not None and sent is not None and o.corr != sent:
            stats.wrong_corr.append((fr, o.corr))
    elif o.kind == "closed":
        stats.closed += 1
        row[2] += 1
    elif o.kind == "refused":
        stats.refused.append(o)
    elif o.kind == "malformed":
        stats.malformed.append(o)
    else:
        api = fr.header_api()
        if api in WAITING_APIS and _node_answers(broker):
            stats.parked.append(o)
            row[3] += 1
        else:
            stats.hangs.append(o)


def _node_answers(broker, timeout=3.0):
    try:
        r = call(broker.port, 18, 0, b"", timeout=timeout)
        return r.i16() == 0
    except Exception:
        return False


def replay(path, port, controller_port=None, timeout=60.0):
    """Sends every frame of a saved file to 127.0.0.1:port (frames labelled `controller:` to
    controller_port), one connection each, in order, and prints what came back."""
    for line in Path(path).read_text().splitlines():
        d = json.loads(line)
        to = controller_port if d["label"].startswith("controller:") and controller_port else port
        fr = Frame(d["label"], to, bytes.fromhex(d["payload"]), d.get("api"), d.get("version"))
        o = send_frame(fr, timeout)
        print("%-60s %-7s %5.2fs %s" % (fr.label, o.kind, o.seconds, o.detail or ""))


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "replay":
        replay(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) == 5 else None)
    else:
        print(__doc__)
        sys.exit(2)

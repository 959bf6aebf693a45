#!/usr/bin/env python3
"""A small, single-node Kafka broker that records every request frame it receives.

Purpose: capture the real bytes that stock Kafka clients put on the wire, for decode /
re-encode tests of Strom. It is good enough for clients to run their ordinary flows
(metadata, admin create-topics, produce, group consume + commit); it is not a real broker
(no durability, no replication, no transactions, no quotas, no authentication).

Standard library only. The wire codec is driven by Apache Kafka's JSON message schemas,
which are loaded at start-up (default: <repo>/../shared/kafka-protocol).

Usage:
    recording_broker.py --port 19092 [--schemas DIR] [--out Fixtures/requests]
                        [--control FILE | --client SLUG --client-version V --scenario NAME]

The control file (JSON: {"client": ..., "client_version": ..., "scenario": ...}) is re-read
whenever it changes, so a driver can label what is being captured without restarting.
"""

import argparse
import hashlib
import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid as uuidlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recording_admin import ADMIN_APIS, AdminHandlers  # noqa: E402  (topic and group admin APIs)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# --------------------------------------------------------------------------------------
# Schema loading
# --------------------------------------------------------------------------------------


def strip_json_comments(text):
    """Remove // line comments outside of JSON strings."""
    out = []
    i, n = 0, len(text)
    in_str = False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str = True
            out.append(c)
            i += 1
        elif c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Versions:
    """A version range as written in the schemas: "N", "N+", "N-M" or "none"."""

    __slots__ = ("lo", "hi")

    def __init__(self, spec):
        spec = str(spec).strip()
        if spec == "none" or spec == "":
            self.lo, self.hi = 1, 0  # empty
        elif spec.endswith("+"):
            self.lo, self.hi = int(spec[:-1]), 1 << 30
        elif "-" in spec:
            a, b = spec.split("-", 1)
            self.lo, self.hi = int(a), int(b)
        else:
            self.lo = self.hi = int(spec)

    def __contains__(self, v):
        return self.lo <= v <= self.hi

    def __repr__(self):
        return "Versions(%d-%d)" % (self.lo, self.hi)


INT_FORMATS = {"int8": ">b", "int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I",
               "int64": ">q", "float64": ">d"}


class Field:
    __slots__ = ("name", "type", "versions", "nullable", "tag", "tagged", "default_raw",
                 "fields", "is_array", "elem", "flexible_override", "ignorable")

    def __init__(self, spec, common):
        self.name = spec["name"]
        t = spec["type"]
        self.is_array = t.startswith("[]")
        self.elem = t[2:] if self.is_array else t
        self.type = t
        self.versions = Versions(spec.get("versions", "0+"))
        self.nullable = Versions(spec.get("nullableVersions", "none"))
        self.tag = spec.get("tag")
        self.tagged = Versions(spec.get("taggedVersions", "none"))
        self.default_raw = spec.get("default")
        self.ignorable = spec.get("ignorable", False)
        fo = spec.get("flexibleVersions")
        self.flexible_override = Versions(fo) if fo is not None else None
        if "fields" in spec:
            self.fields = [Field(f, common) for f in spec["fields"]]
        elif self.elem in common:
            self.fields = common[self.elem]
        else:
            self.fields = None
        if self.fields is None and self.elem not in PRIMITIVES:
            raise ValueError("unknown type %s for field %s" % (t, self.name))

    def default(self, version):
        d = self.default_raw
        if self.is_array:
            if d == "null":
                return None
            return []
        if self.fields is not None:
            return None  # struct: encoded from field defaults when absent
        e = self.elem
        if e in INT_FORMATS:
            if d is None or d == "":
                return 0.0 if e == "float64" else 0
            if e == "float64":
                return float(d)
            return int(d, 0) if isinstance(d, str) else int(d)
        if e == "bool":
            if isinstance(d, bool):
                return d
            return str(d).lower() == "true" if d is not None else False
        if e == "string":
            if d == "null" and version in self.nullable:
                return None
            return "" if d is None else str(d)
        if e in ("bytes", "records"):
            if d == "null":
                return None
            return None if e == "records" and version in self.nullable else b""
        if e == "uuid":
            return bytes(16)
        raise ValueError(e)


PRIMITIVES = set(INT_FORMATS) | {"bool", "string", "bytes", "records", "uuid"}


class Message:
    def __init__(self, spec):
        self.name = spec["name"]
        self.type = spec["type"]
        self.api_key = spec.get("apiKey")
        self.valid = Versions(spec["validVersions"])
        self.flexible = Versions(spec.get("flexibleVersions", "none"))
        common = {}
        # commonStructs may refer to each other; define in order (upstream lists dependencies first
        # or uses only primitives), falling back to a second pass.
        pending = list(spec.get("commonStructs", []))
        for _ in range(3):
            rest = []
            for cs in pending:
                try:
                    common[cs["name"]] = [Field(f, common) for f in cs["fields"]]
                except ValueError:
                    rest.append(cs)
            pending = rest
        if pending:
            raise ValueError("unresolvable commonStructs in %s" % self.name)
        self.fields = [Field(f, common) for f in spec["fields"]]


class Schemas:
    def __init__(self, root):
        msgdir = os.path.join(root, "message")
        if not os.path.isdir(msgdir):
            raise SystemExit("schema directory not found: %s" % msgdir)
        self.requests, self.responses = {}, {}
        self.headers = {}
        for fn in sorted(os.listdir(msgdir)):
            if not fn.endswith(".json"):
                continue
            with open(os.path.join(msgdir, fn), encoding="utf-8") as f:
                spec = json.loads(strip_json_comments(f.read()))
            m = Message(spec)
            if m.type == "request":
                self.requests[m.api_key] = m
            elif m.type == "response":
                self.responses[m.api_key] = m
            elif m.type == "header":
                self.headers[m.name] = m
        self.names = {k: m.name[: -len("Request")] for k, m in self.requests.items()}

    def api_name(self, key):
        return self.names.get(key, "ApiKey%d" % key)

    def request_header_version(self, api_key, api_version):
        if api_key == 7 and api_version == 0:  # ControlledShutdown v0 has header v0
            return 0
        m = self.requests.get(api_key)
        return 2 if (m is not None and api_version in m.flexible) else 1

    def response_header_version(self, api_key, api_version):
        if api_key == 18:  # ApiVersions responses always use header v0
            return 0
        m = self.responses.get(api_key)
        return 1 if (m is not None and api_version in m.flexible) else 0


# --------------------------------------------------------------------------------------
# Wire codec
# --------------------------------------------------------------------------------------

TAGS_KEY = "_tags"  # decoded structs remember their tagged section (order, raw bytes)
TRAILING_KEY = "_trailing"  # bytes after a request body (tolerated, as Kafka does)


class DecodeError(Exception):
    pass


class Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf, pos=0):
        self.buf = memoryview(buf)
        self.pos = pos

    def take(self, n):
        if n < 0 or self.pos + n > len(self.buf):
            raise DecodeError("need %d bytes at %d, have %d" % (n, self.pos, len(self.buf) - self.pos))
        b = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return b

    def unpack(self, fmt, size):
        return struct.unpack(fmt, self.take(size))[0]

    def uvarint(self):
        shift = result = 0
        while True:
            b = self.take(1)[0]
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise DecodeError("varint too long")

    def remaining(self):
        return len(self.buf) - self.pos


def put_uvarint(out, v):
    if v < 0:
        raise ValueError("negative uvarint")
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


SIZES = {"int8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8, "float64": 8}


class Codec:
    def __init__(self, schemas):
        self.s = schemas

    # ---- decoding
    def _read_len(self, r, flexible, wide):
        """Length of a string (wide=False: int16) / bytes or array (wide=True: int32).
        Returns -1 for null."""
        if flexible:
            return r.uvarint() - 1
        return r.unpack(">i", 4) if wide else r.unpack(">h", 2)

    def _read_value(self, r, f, elem, version, flexible):
        if elem in INT_FORMATS:
            return r.unpack(INT_FORMATS[elem], SIZES[elem])
        if elem == "bool":
            return r.take(1)[0] != 0
        if elem == "uuid":
            return r.take(16)
        if elem == "string":
            n = self._read_len(r, flexible, False)
            if n < 0:
                return None
            return r.take(n).decode("utf-8", "surrogateescape")
        if elem in ("bytes", "records"):
            n = self._read_len(r, flexible, True)
            if n < 0:
                return None
            return r.take(n)
        # struct element
        return self.decode_struct(r, f.fields, version, flexible)

    def _read_field(self, r, f, version, flexible):
        sflex = flexible
        if f.flexible_override is not None:
            sflex = version in f.flexible_override
        if f.is_array:
            n = self._read_len(r, sflex, True)
            if n < 0:
                return None
            if n > r.remaining() + 1:
                raise DecodeError("array length %d too large" % n)
            return [self._read_value(r, f, f.elem, version, sflex) for _ in range(n)]
        if f.fields is not None and version in f.nullable:
            marker = r.unpack(">b", 1)
            if marker < 0:
                return None
        return self._read_value(r, f, f.elem, version, sflex)

    def decode_struct(self, r, fields, version, flexible):
        out = {}
        for f in fields:
            if version not in f.versions:
                continue
            if f.tag is not None:
                if flexible and version in f.tagged:
                    continue
                continue  # a tagged field outside its taggedVersions is not on the wire
            out[f.name] = self._read_field(r, f, version, flexible)
        if flexible:
            by_tag = {f.tag: f for f in fields
                      if f.tag is not None and version in f.tagged and version in f.versions}
            tags = []
            count = r.uvarint()
            for _ in range(count):
                tag = r.uvarint()
                size = r.uvarint()
                raw = r.take(size)
                tags.append((tag, raw))
                f = by_tag.get(tag)
                if f is not None:
                    sub = Reader(raw)
                    out[f.name] = self._read_field(sub, f, version, flexible)
                    if sub.remaining():
                        raise DecodeError("tagged field %s: %d trailing bytes" % (f.name, sub.remaining()))
            out[TAGS_KEY] = tags
        return out

    # ---- encoding
    def _write_len(self, out, n, flexible, wide):
        if flexible:
            put_uvarint(out, n + 1)
        else:
            out += struct.pack(">i" if wide else ">h", n)

    def _write_value(self, out, f, elem, v, version, flexible):
        if elem in INT_FORMATS:
            out += struct.pack(INT_FORMATS[elem], v)
        elif elem == "bool":
            out.append(1 if v else 0)
        elif elem == "uuid":
            if isinstance(v, uuidlib.UUID):
                v = v.bytes
            if len(v) != 16:
                raise ValueError("uuid must be 16 bytes")
            out += v
        elif elem == "string":
            if v is None:
                self._write_len(out, -1, flexible, False)
            else:
                b = v.encode("utf-8", "surrogateescape")
                self._write_len(out, len(b), flexible, False)
                out += b
        elif elem in ("bytes", "records"):
            if v is None:
                self._write_len(out, -1, flexible, True)
            else:
                self._write_len(out, len(v), flexible, True)
                out += v
        else:
            self.encode_struct(out, f.fields, v or {}, version, flexible)

    def _write_field(self, out, f, v, version, flexible):
        sflex = flexible
        if f.flexible_override is not None:
            sflex = version in f.flexible_override
        if f.is_array:
            if v is None:
                self._write_len(out, -1, sflex, True)
                return
            self._write_len(out, len(v), sflex, True)
            for item in v:
                self._write_value(out, f, f.elem, item, version, sflex)
            return
        if f.fields is not None and version in f.nullable:
            if v is None:
                out += b"\xff"
                return
            out += b"\x01"
        self._write_value(out, f, f.elem, v, version, sflex)

    def encode_struct(self, out, fields, d, version, flexible):
        tagged = []
        for f in fields:
            if version not in f.versions:
                continue
            if f.tag is not None:
                if flexible and version in f.tagged:
                    tagged.append(f)
                continue
            v = d.get(f.name, _MISSING)
            if v is _MISSING:
                v = f.default(version)
            self._write_field(out, f, v, version, flexible)
        if not flexible:
            return
        by_tag = {f.tag: f for f in tagged}
        entries = []
        if TAGS_KEY in d:
            # Re-encode exactly the tagged fields that were present when decoded, in their order.
            for tag, raw in d[TAGS_KEY]:
                f = by_tag.get(tag)
                if f is not None and f.name in d:
                    buf = bytearray()
                    self._write_field(buf, f, d[f.name], version, flexible)
                    entries.append((tag, bytes(buf)))
                else:
                    entries.append((tag, raw))
        else:
            # Emit only tagged fields explicitly set to a non-default value (in tag order).
            for f in sorted(tagged, key=lambda x: x.tag):
                if f.name not in d:
                    continue
                v = d[f.name]
                if v is None or v == f.default(version) or (f.is_array and not v):
                    continue
                buf = bytearray()
                self._write_field(buf, f, v, version, flexible)
                entries.append((f.tag, bytes(buf)))
        put_uvarint(out, len(entries))
        for tag, raw in entries:
            put_uvarint(out, tag)
            put_uvarint(out, len(raw))
            out += raw

    # ---- messages
    def decode_request(self, frame, strict=False):
        """frame = payload after the 4-byte size prefix. Returns (header, body) dicts."""
        r = Reader(frame)
        api_key = r.unpack(">h", 2)
        api_version = r.unpack(">h", 2)
        hv = self.s.request_header_version(api_key, api_version)
        r.pos = 0
        hdr_schema = self.s.headers["RequestHeader"]
        header = self.decode_struct(r, hdr_schema.fields, hv, hv >= 2)
        header["_header_version"] = hv
        m = self.s.requests.get(api_key)
        if m is None:
            raise DecodeError("unknown api key %d" % api_key)
        if api_version not in m.valid:
            raise DecodeError("%s v%d is not a valid version" % (m.name, api_version))
        body = self.decode_struct(r, m.fields, api_version, api_version in m.flexible)
        if r.remaining():
            # Kafka ignores bytes after the body; some clients send them (librdkafka 2.16's
            # all-topics Metadata v12 writes a 4-byte placeholder for a 1-byte null array).
            if strict:
                raise DecodeError("%d trailing bytes after %s v%d" % (r.remaining(), m.name, api_version))
            body[TRAILING_KEY] = r.take(r.remaining())
        return header, body

    def encode_request(self, header, body):
        api_key, api_version = header["RequestApiKey"], header["RequestApiVersion"]
        hv = self.s.request_header_version(api_key, api_version)
        out = bytearray()
        self.encode_struct(out, self.s.headers["RequestHeader"].fields, header, hv, hv >= 2)
        m = self.s.requests[api_key]
        self.encode_struct(out, m.fields, body, api_version, api_version in m.flexible)
        out += body.get(TRAILING_KEY, b"")
        return bytes(out)

    def encode_response(self, api_key, api_version, correlation_id, body, header_version=None):
        hv = self.s.response_header_version(api_key, api_version) if header_version is None else header_version
        out = bytearray()
        out += struct.pack(">i", correlation_id)
        if hv >= 1:
            out.append(0)  # empty tagged-field section
        m = self.s.responses[api_key]
        self.encode_struct(out, m.fields, body, api_version, api_version in m.flexible)
        return bytes(out)

    def decode_response(self, api_key, api_version, frame):
        hv = self.s.response_header_version(api_key, api_version)
        r = Reader(frame)
        hdr = self.decode_struct(r, self.s.headers["ResponseHeader"].fields, hv, hv >= 1)
        m = self.s.responses[api_key]
        body = self.decode_struct(r, m.fields, api_version, api_version in m.flexible)
        if r.remaining():
            raise DecodeError("%d trailing bytes in response" % r.remaining())
        return hdr, body


_MISSING = object()

# --------------------------------------------------------------------------------------
# Record batches (v2) -- only what the broker needs: offsets and counts
# --------------------------------------------------------------------------------------


def split_batches(records):
    """Split a records blob into a list of (magic, bytes) entries (batches or legacy messages)."""
    out = []
    pos = 0
    n = len(records)
    while pos + 12 <= n:
        length = struct.unpack_from(">i", records, pos + 8)[0]
        end = pos + 12 + length
        if length < 0 or end > n:
            break  # partial trailing batch
        magic = records[pos + 16] if pos + 16 < n else 2
        out.append((magic, bytearray(records[pos:end])))
        pos = end
    return out


def batch_record_count(magic, b):
    if magic >= 2:
        return struct.unpack_from(">i", b, 23)[0] + 1  # lastOffsetDelta + 1
    return 1  # legacy message set entry (compressed wrappers are counted as one)


# --------------------------------------------------------------------------------------
# Broker state
# --------------------------------------------------------------------------------------

E_NONE = 0
E_UNKNOWN_TOPIC_OR_PARTITION = 3
E_ILLEGAL_GENERATION = 22
E_INCONSISTENT_GROUP_PROTOCOL = 23
E_UNKNOWN_MEMBER_ID = 25
E_REBALANCE_IN_PROGRESS = 27
E_UNSUPPORTED_VERSION = 35
E_TOPIC_ALREADY_EXISTS = 36
E_INVALID_PARTITIONS = 37
E_MEMBER_ID_REQUIRED = 79
E_UNKNOWN_TOPIC_ID = 100

NODE_ID = 1
CLUSTER_ID = "strom-recording-broker"


def log(*a):
    ts = time.strftime("%H:%M:%S")
    print("[%s] %s" % (ts, " ".join(str(x) for x in a)), file=sys.stderr, flush=True)


class Partition:
    def __init__(self):
        self.batches = []  # list of (base_offset, next_offset, bytes)
        self.log_end = 0


class Topic:
    def __init__(self, name, partitions, configs=None):
        self.name = name
        self.id = uuidlib.uuid4().bytes
        self.partitions = [Partition() for _ in range(partitions)]
        self.configs = dict(configs or {})


class Member:
    def __init__(self, member_id, client_id, client_host):
        self.id = member_id
        self.client_id = client_id
        self.client_host = client_host
        self.instance_id = None
        self.protocol_type = None
        self.protocols = []  # [(name, metadata)]
        self.session_timeout = 10000
        self.rebalance_timeout = 10000
        self.assignment = b""
        self.joined_round = -1


class Group:
    def __init__(self, gid):
        self.id = gid
        self.state = "Empty"  # Empty, PreparingRebalance, CompletingRebalance, Stable
        self.generation = 0
        self.protocol_type = None
        self.protocol = None
        self.leader = None
        self.members = {}  # member_id -> Member (insertion-ordered)
        self.round = 0
        self.round_deadline = 0.0
        self.round_linger = False
        self.results = {}  # round -> (generation, protocol, leader, [(member_id, instance, metadata)])
        self.pending = set()  # member ids handed out with MEMBER_ID_REQUIRED, not yet joined
        self.offsets = {}  # (topic, partition) -> (offset, leader_epoch, metadata)


class BrokerState:
    def __init__(self, host, port, default_partitions):
        self.host = host
        self.port = port
        self.default_partitions = default_partitions
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.topics = {}
        self.groups = {}
        self.next_producer_id = 1000

    def topic_by_id(self, tid):
        for t in self.topics.values():
            if t.id == tid:
                return t
        return None

    def create_topic(self, name, partitions=None, configs=None):
        t = Topic(name, partitions or self.default_partitions, configs)
        self.topics[name] = t
        log("created topic %r with %d partitions" % (name, len(t.partitions)))
        return t


# --------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------


def slugify(s):
    out = []
    for c in s:
        out.append(c if (c.isalnum() or c in ".-_") else "-")
    return "".join(out).strip("-") or "unknown"


class Recorder:
    MAX_PER_KEY = 3

    def __init__(self, out_dir, schemas, control=None, client=None, client_version=None, scenario=None):
        self.out_dir = out_dir
        self.schemas = schemas
        self.control = control
        self.static = {"client": client, "client_version": client_version, "scenario": scenario}
        self.lock = threading.Lock()
        self.ctl_mtime = None
        self.ctl = dict(self.static)
        self.seen = {}   # (client, api, version) -> set of digests (correlation id masked)
        self.counts = {}  # (client, api, version, scenario) -> n
        self.manifest = os.path.join(out_dir, "MANIFEST.tsv")
        os.makedirs(out_dir, exist_ok=True)
        self._load_existing()

    def _load_existing(self):
        """Continue an existing capture directory: count what is already there."""
        if not os.path.exists(self.manifest):
            return
        with open(self.manifest, encoding="utf-8") as f:
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 7 or cols[0] == "file":
                    continue
                path = os.path.join(self.out_dir, cols[0])
                client, api_key, ver, scen = cols[1], int(cols[3]), int(cols[5]), cols[6]
                k = (client, api_key, ver, scen)
                self.counts[k] = self.counts.get(k, 0) + 1
                try:
                    with open(path, "rb") as fb:
                        self.seen.setdefault((client, api_key, ver), set()).add(self._digest(fb.read()))
                except OSError:
                    pass

    @staticmethod
    def _digest(frame):
        masked = frame[:4] + b"\0\0\0\0" + frame[8:]
        return hashlib.sha256(masked).hexdigest()

    def labels(self):
        if self.control:
            try:
                st = os.stat(self.control)
                if st.st_mtime_ns != self.ctl_mtime:
                    with open(self.control, encoding="utf-8") as f:
                        d = json.load(f)
                    self.ctl = dict(self.static)
                    self.ctl.update({k: v for k, v in d.items() if v})
                    self.ctl_mtime = st.st_mtime_ns
                    log("control: client=%s version=%s scenario=%s" % (
                        self.ctl.get("client"), self.ctl.get("client_version"), self.ctl.get("scenario")))
            except (OSError, ValueError) as e:
                log("control file unreadable (%s); keeping labels" % e)
        return self.ctl

    def record(self, frame):
        if len(frame) < 8:
            return None
        api_key, api_version = struct.unpack_from(">hh", frame, 0)
        with self.lock:
            lab = self.labels()
            client = slugify(lab.get("client") or "unknown-client")
            scenario = slugify(lab.get("scenario") or "unlabelled")
            cver = lab.get("client_version") or ""
            dig = self._digest(frame)
            seen = self.seen.setdefault((client, api_key, api_version), set())
            if dig in seen:
                return None
            k = (client, api_key, api_version, scenario)
            n = self.counts.get(k, 0)
            if n >= self.MAX_PER_KEY:
                return None
            self.counts[k] = n + 1
            seen.add(dig)
            name = self.schemas.api_name(api_key)
            fname = "%s-v%d-%s%s.bin" % (name, api_version, scenario, "" if n == 0 else "-%d" % (n + 1))
            rel = "%s/%s" % (client, fname)
            path = os.path.join(self.out_dir, client, fname)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(frame)
            new = not os.path.exists(self.manifest)
            with open(self.manifest, "a", encoding="utf-8") as f:
                if new:
                    f.write("file\tclient\tclient_version\tapi_key\tapi_name\tapi_version\tscenario\n")
                f.write("%s\t%s\t%s\t%d\t%s\t%d\t%s\n" % (rel, client, cver, api_key, name, api_version, scenario))
            return rel


# --------------------------------------------------------------------------------------
# Request handlers
# --------------------------------------------------------------------------------------

# APIs this broker answers (advertised with their full 3.9 validVersions).
IMPLEMENTED = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 18, 19, 22, 32, 60] + ADMIN_APIS

FETCH_MAX_WAIT_CAP = 0.25  # seconds; keeps consumers snappy and captures short
INITIAL_REBALANCE_DELAY = 0.1
REJOIN_WAIT_CAP = 5.0


class Close(Exception):
    """Close the connection without answering."""


class Handlers(AdminHandlers):
    node_id = NODE_ID
    log = staticmethod(log)

    def __init__(self, state, schemas):
        self.st = state
        self.s = schemas

    # ---- ApiVersions
    def api_versions(self, ctx, v, req):
        keys = []
        for k in IMPLEMENTED:
            m = self.s.requests[k]
            keys.append({"ApiKey": k, "MinVersion": m.valid.lo, "MaxVersion": m.valid.hi})
        return {"ErrorCode": E_NONE, "ApiKeys": keys, "ThrottleTimeMs": 0}

    # ---- Metadata
    def _broker_list(self):
        return [{"NodeId": NODE_ID, "Host": self.st.host, "Port": self.st.port, "Rack": None}]

    def _topic_md(self, t, v):
        parts = []
        for i, _p in enumerate(t.partitions):
            parts.append({"ErrorCode": 0, "PartitionIndex": i, "LeaderId": NODE_ID, "LeaderEpoch": 0,
                          "ReplicaNodes": [NODE_ID], "IsrNodes": [NODE_ID], "OfflineReplicas": []})
        return {"ErrorCode": 0, "Name": t.name, "TopicId": t.id, "IsInternal": False,
                "Partitions": parts, "TopicAuthorizedOperations": -2147483648}

    def metadata(self, ctx, v, req):
        topics_req = req.get("Topics")
        auto = req.get("AllowAutoTopicCreation", True)
        out = []
        with self.st.lock:
            if topics_req is None or (v == 0 and not topics_req):
                out = [self._topic_md(t, v) for t in self.st.topics.values()]
            else:
                for tr in topics_req:
                    name = tr.get("Name")
                    if name is None:
                        t = self.st.topic_by_id(tr.get("TopicId"))
                        if t is None:
                            out.append({"ErrorCode": E_UNKNOWN_TOPIC_ID, "Name": None,
                                        "TopicId": tr.get("TopicId"), "Partitions": []})
                            continue
                    else:
                        t = self.st.topics.get(name)
                        if t is None:
                            if auto and name and not name.startswith("__"):
                                t = self.st.create_topic(name)
                            else:
                                out.append({"ErrorCode": E_UNKNOWN_TOPIC_OR_PARTITION, "Name": name,
                                            "Partitions": []})
                                continue
                    out.append(self._topic_md(t, v))
        return {"ThrottleTimeMs": 0, "Brokers": self._broker_list(), "ClusterId": CLUSTER_ID,
                "ControllerId": NODE_ID, "Topics": out}

    # ---- Produce
    def produce(self, ctx, v, req):
        responses = []
        with self.st.lock:
            for td in req["TopicData"]:
                name = td["Name"]
                t = self.st.topics.get(name)
                if t is None:
                    t = self.st.create_topic(name)
                presp = []
                for pd in td["PartitionData"]:
                    idx = pd["Index"]
                    if not (0 <= idx < len(t.partitions)):
                        presp.append({"Index": idx, "ErrorCode": E_UNKNOWN_TOPIC_OR_PARTITION, "BaseOffset": -1})
                        continue
                    p = t.partitions[idx]
                    base = p.log_end
                    for magic, b in split_batches(pd.get("Records") or b""):
                        cnt = batch_record_count(magic, b)
                        start = p.log_end
                        struct.pack_into(">q", b, 0, start)  # baseOffset (outside the CRC)
                        if magic >= 2:
                            struct.pack_into(">i", b, 12, 0)  # partitionLeaderEpoch (outside the CRC)
                        p.log_end += cnt
                        p.batches.append((start, p.log_end, bytes(b)))
                    presp.append({"Index": idx, "ErrorCode": 0, "BaseOffset": base,
                                  "LogAppendTimeMs": -1, "LogStartOffset": 0})
                    log("produce %s[%d]: offsets %d..%d" % (name, idx, base, p.log_end - 1))
                responses.append({"Name": name, "PartitionResponses": presp})
            self.st.cond.notify_all()
        if req["Acks"] == 0:
            return None  # acks=0: no response at all
        return {"Responses": responses, "ThrottleTimeMs": 0}

    # ---- Fetch
    def _fetch_once(self, v, req):
        total = 0
        max_bytes = req.get("MaxBytes", 0x7FFFFFFF)
        responses = []
        for ft in req["Topics"]:
            if v >= 13:
                t = self.st.topic_by_id(ft["TopicId"])
            else:
                t = self.st.topics.get(ft["Topic"])
            parts = []
            for fp in ft["Partitions"]:
                idx = fp["Partition"]
                if t is None or not (0 <= idx < len(t.partitions)):
                    err = E_UNKNOWN_TOPIC_ID if (t is None and v >= 13) else E_UNKNOWN_TOPIC_OR_PARTITION
                    parts.append({"PartitionIndex": idx, "ErrorCode": err, "HighWatermark": -1,
                                  "Records": None})
                    continue
                p = t.partitions[idx]
                off = fp["FetchOffset"]
                data = bytearray()
                if off > p.log_end or off < 0:
                    parts.append({"PartitionIndex": idx, "ErrorCode": 1, "HighWatermark": p.log_end,
                                  "LastStableOffset": p.log_end, "LogStartOffset": 0, "Records": None})
                    continue
                limit = fp["PartitionMaxBytes"]
                for base, nxt, b in p.batches:
                    if nxt <= off:
                        continue
                    if data and (len(data) + len(b) > limit or total + len(b) > max_bytes):
                        break
                    data += b
                    total += len(b)
                parts.append({"PartitionIndex": idx, "ErrorCode": 0, "HighWatermark": p.log_end,
                              "LastStableOffset": p.log_end, "LogStartOffset": 0,
                              "AbortedTransactions": None if v >= 4 else [],
                              "PreferredReadReplica": -1, "Records": bytes(data)})
            tr = {"Partitions": parts}
            if v >= 13:
                tr["TopicId"] = ft["TopicId"]
            else:
                tr["Topic"] = ft["Topic"]
            responses.append(tr)
        return responses, total

    def fetch(self, ctx, v, req):
        wait = min(max(req.get("MaxWaitMs", 0), 0) / 1000.0, FETCH_MAX_WAIT_CAP)
        deadline = time.monotonic() + wait
        min_bytes = max(req.get("MinBytes", 1), 1)
        with self.st.lock:
            while True:
                responses, total = self._fetch_once(v, req)
                left = deadline - time.monotonic()
                if total >= min_bytes or left <= 0:
                    break
                self.st.cond.wait(left)
        # SessionId 0: no fetch session, so clients keep sending full fetch requests.
        return {"ThrottleTimeMs": 0, "ErrorCode": 0, "SessionId": 0, "Responses": responses}

    # ---- ListOffsets
    def list_offsets(self, ctx, v, req):
        topics = []
        with self.st.lock:
            for lt in req["Topics"]:
                t = self.st.topics.get(lt["Name"])
                parts = []
                for lp in lt["Partitions"]:
                    idx = lp["PartitionIndex"]
                    if t is None or not (0 <= idx < len(t.partitions)):
                        parts.append({"PartitionIndex": idx, "ErrorCode": E_UNKNOWN_TOPIC_OR_PARTITION,
                                      "OldStyleOffsets": []})
                        continue
                    p = t.partitions[idx]
                    ts = lp["Timestamp"]
                    if ts == -2:  # earliest
                        off = 0
                    elif ts == -1 or ts == -4:  # latest, latest-tiered
                        off = p.log_end
                    elif ts == -3:  # max timestamp
                        off = max(p.log_end - 1, -1)
                    else:  # by timestamp: no index here, answer the first offset
                        off = 0
                    parts.append({"PartitionIndex": idx, "ErrorCode": 0, "OldStyleOffsets": [off],
                                  "Timestamp": -1, "Offset": off, "LeaderEpoch": 0})
                topics.append({"Name": lt["Name"], "Partitions": parts})
        return {"ThrottleTimeMs": 0, "Topics": topics}

    # ---- InitProducerId
    def init_producer_id(self, ctx, v, req):
        with self.st.lock:
            pid = self.st.next_producer_id
            self.st.next_producer_id += 1
        return {"ThrottleTimeMs": 0, "ErrorCode": 0, "ProducerId": pid, "ProducerEpoch": 0}

    # ---- FindCoordinator
    def find_coordinator(self, ctx, v, req):
        if v < 4:
            return {"ThrottleTimeMs": 0, "ErrorCode": 0, "ErrorMessage": None, "NodeId": NODE_ID,
                    "Host": self.st.host, "Port": self.st.port}
        coords = [{"Key": k, "NodeId": NODE_ID, "Host": self.st.host, "Port": self.st.port,
                   "ErrorCode": 0, "ErrorMessage": None} for k in req["CoordinatorKeys"]]
        return {"ThrottleTimeMs": 0, "Coordinators": coords}

    # ---- Groups
    def _group(self, gid):
        g = self.st.groups.get(gid)
        if g is None:
            g = self.st.groups[gid] = Group(gid)
        return g

    def _complete_round(self, g):
        """All known members have rejoined (or the wait ran out): pick leader and protocol."""
        stale = [m for m in g.members.values() if m.joined_round != g.round]
        for m in stale:
            log("group %s: dropping member %s (did not rejoin)" % (g.id, m.id))
            del g.members[m.id]
        members = list(g.members.values())
        if not members:
            g.state = "Empty"
            return
        g.generation += 1
        if g.leader not in g.members:
            g.leader = members[0].id
        # The protocol: the leader's first choice that every member supports.
        common = None
        for m in members:
            names = [p[0] for p in m.protocols]
            common = names if common is None else [n for n in common if n in names]
        leader_names = [p[0] for p in g.members[g.leader].protocols]
        choice = next((n for n in leader_names if n in (common or [])), leader_names[0] if leader_names else None)
        g.protocol = choice
        g.protocol_type = members[0].protocol_type
        listing = []
        for m in members:
            meta = dict(m.protocols).get(choice, b"")
            listing.append((m.id, m.instance_id, meta))
            m.assignment = b""
        g.results[g.round] = (g.generation, choice, g.leader, listing)
        g.results.pop(g.round - 5, None)
        g.state = "CompletingRebalance"
        log("group %s: generation %d, leader %s, protocol %s, %d member(s)" % (
            g.id, g.generation, g.leader, choice, len(members)))

    def join_group(self, ctx, v, req):
        gid = req["GroupId"]
        member_id = req["MemberId"]
        instance_id = req.get("GroupInstanceId")
        protocols = [(p["Name"], p["Metadata"]) for p in req["Protocols"]]

        def fail(err, mid):
            return {"ThrottleTimeMs": 0, "ErrorCode": err, "GenerationId": -1, "ProtocolName": None,
                    "Leader": "", "MemberId": mid, "Members": []}

        with self.st.lock:
            g = self._group(gid)
            if member_id == "":
                member_id = "%s-%s" % (ctx.client_id or "member", uuidlib.uuid4())
                if v >= 4 and instance_id is None:
                    # KIP-394: a first join without a member id gets one, with MEMBER_ID_REQUIRED.
                    g.pending.add(member_id)
                    return fail(E_MEMBER_ID_REQUIRED, member_id)
                g.members[member_id] = Member(member_id, ctx.client_id, ctx.client_host)
            elif member_id in g.pending:
                g.pending.discard(member_id)
                g.members[member_id] = Member(member_id, ctx.client_id, ctx.client_host)
            elif member_id not in g.members:
                return fail(E_UNKNOWN_MEMBER_ID, member_id)
            m = g.members[member_id]
            m.protocols = protocols
            m.protocol_type = req["ProtocolType"]
            m.instance_id = instance_id
            m.session_timeout = req["SessionTimeoutMs"]
            rt = req.get("RebalanceTimeoutMs", -1)
            m.rebalance_timeout = rt if rt > 0 else m.session_timeout
            if g.state != "PreparingRebalance":
                g.round += 1
                g.state = "PreparingRebalance"
                others = [x for x in g.members.values() if x.id != member_id]
                if others:  # existing members must rejoin: wait for them up to their rebalance timeout
                    wait = min(max(x.rebalance_timeout for x in others) / 1000.0, REJOIN_WAIT_CAP)
                    g.round_linger = False
                else:  # new group: linger briefly so that consumers starting together join together
                    wait = INITIAL_REBALANCE_DELAY
                    g.round_linger = True
                g.round_deadline = time.monotonic() + wait
            my_round = g.round
            m.joined_round = my_round
            self.st.cond.notify_all()
            while my_round not in g.results:
                left = g.round_deadline - time.monotonic()
                all_in = all(x.joined_round == my_round for x in g.members.values())
                if left <= 0 or (all_in and not g.round_linger):
                    self._complete_round(g)
                    self.st.cond.notify_all()
                    break
                self.st.cond.wait(min(left, 0.05))
            res = g.results.get(my_round)
            if res is None or member_id not in g.members:
                return fail(E_UNKNOWN_MEMBER_ID, member_id)
            gen, proto, leader, listing = res
            members = []
            if member_id == leader:
                members = [{"MemberId": mid, "GroupInstanceId": inst, "Metadata": meta}
                           for mid, inst, meta in listing]
            return {"ThrottleTimeMs": 0, "ErrorCode": 0, "GenerationId": gen, "ProtocolType": g.protocol_type,
                    "ProtocolName": proto, "Leader": leader, "SkipAssignment": False,
                    "MemberId": member_id, "Members": members}

    def sync_group(self, ctx, v, req):
        gid, gen, member_id = req["GroupId"], req["GenerationId"], req["MemberId"]
        with self.st.lock:
            g = self.st.groups.get(gid)
            if g is None or member_id not in g.members:
                return {"ErrorCode": E_UNKNOWN_MEMBER_ID, "Assignment": b""}
            if gen != g.generation:
                return {"ErrorCode": E_ILLEGAL_GENERATION, "Assignment": b""}
            if g.state == "PreparingRebalance":
                return {"ErrorCode": E_REBALANCE_IN_PROGRESS, "Assignment": b""}
            if member_id == g.leader:
                for a in req["Assignments"]:
                    if a["MemberId"] in g.members:
                        g.members[a["MemberId"]].assignment = a["Assignment"]
                g.state = "Stable"
                self.st.cond.notify_all()
            deadline = time.monotonic() + REJOIN_WAIT_CAP
            while g.state == "CompletingRebalance" and g.generation == gen and time.monotonic() < deadline:
                self.st.cond.wait(0.05)
            if g.generation != gen or g.state != "Stable" or member_id not in g.members:
                return {"ErrorCode": E_REBALANCE_IN_PROGRESS, "Assignment": b""}
            return {"ThrottleTimeMs": 0, "ErrorCode": 0, "ProtocolType": g.protocol_type,
                    "ProtocolName": g.protocol, "Assignment": g.members[member_id].assignment}

    def heartbeat(self, ctx, v, req):
        with self.st.lock:
            g = self.st.groups.get(req["GroupId"])
            if g is None or req["MemberId"] not in g.members:
                err = E_UNKNOWN_MEMBER_ID
            elif g.state == "PreparingRebalance":
                err = E_REBALANCE_IN_PROGRESS
            elif req["GenerationId"] != g.generation:
                err = E_ILLEGAL_GENERATION
            else:
                err = 0
        return {"ThrottleTimeMs": 0, "ErrorCode": err}

    def leave_group(self, ctx, v, req):
        ids = [req["MemberId"]] if v < 3 else [m["MemberId"] for m in req["Members"]]
        results = []
        with self.st.lock:
            g = self.st.groups.get(req["GroupId"])
            for mid in ids:
                ok = g is not None and mid in g.members
                if ok:
                    del g.members[mid]
                    log("group %s: member %s left" % (g.id, mid))
                results.append({"MemberId": mid, "GroupInstanceId": None,
                                "ErrorCode": 0 if ok else E_UNKNOWN_MEMBER_ID})
            if g is not None:
                if not g.members:
                    g.state = "Empty"
                    g.leader = None
                elif g.state != "PreparingRebalance":
                    g.round += 1
                    g.state = "PreparingRebalance"
                    g.round_linger = False
                    g.round_deadline = time.monotonic() + REJOIN_WAIT_CAP
                self.st.cond.notify_all()
        err = 0 if v >= 3 or all(r["ErrorCode"] == 0 for r in results) else E_UNKNOWN_MEMBER_ID
        return {"ThrottleTimeMs": 0, "ErrorCode": err, "Members": results}

    def offset_commit(self, ctx, v, req):
        topics = []
        with self.st.lock:
            g = self._group(req["GroupId"])
            for t in req["Topics"]:
                parts = []
                for p in t["Partitions"]:
                    g.offsets[(t["Name"], p["PartitionIndex"])] = (
                        p["CommittedOffset"], p.get("CommittedLeaderEpoch", -1), p.get("CommittedMetadata"))
                    parts.append({"PartitionIndex": p["PartitionIndex"], "ErrorCode": 0})
                    log("group %s: commit %s[%d] = %d" % (g.id, t["Name"], p["PartitionIndex"], p["CommittedOffset"]))
                topics.append({"Name": t["Name"], "Partitions": parts})
        return {"ThrottleTimeMs": 0, "Topics": topics}

    def _offsets_for(self, g, topics):
        out = []
        if topics is None:
            names = {}
            for (tn, pi) in (g.offsets if g else {}):
                names.setdefault(tn, []).append(pi)
            topics = [{"Name": n, "PartitionIndexes": sorted(ps)} for n, ps in names.items()]
        for t in topics:
            parts = []
            for pi in t["PartitionIndexes"]:
                off, epoch, meta = (g.offsets.get((t["Name"], pi)) if g else None) or (-1, -1, "")
                parts.append({"PartitionIndex": pi, "CommittedOffset": off, "CommittedLeaderEpoch": epoch,
                              "Metadata": meta if meta is not None else "", "ErrorCode": 0})
            out.append({"Name": t["Name"], "Partitions": parts})
        return out

    def offset_fetch(self, ctx, v, req):
        with self.st.lock:
            if v < 8:
                g = self.st.groups.get(req["GroupId"])
                return {"ThrottleTimeMs": 0, "Topics": self._offsets_for(g, req.get("Topics")), "ErrorCode": 0}
            groups = []
            for rg in req["Groups"]:
                g = self.st.groups.get(rg["GroupId"])
                groups.append({"GroupId": rg["GroupId"], "Topics": self._offsets_for(g, rg.get("Topics")),
                               "ErrorCode": 0})
            return {"ThrottleTimeMs": 0, "Groups": groups}

    # ---- Admin
    def create_topics(self, ctx, v, req):
        results = []
        with self.st.lock:
            for ct in req["Topics"]:
                name = ct["Name"]
                n = ct["NumPartitions"]
                if n == -1:
                    n = len(ct["Assignments"]) or self.st.default_partitions
                configs = {c["Name"]: c["Value"] for c in ct["Configs"]}
                res = {"Name": name, "ErrorCode": 0, "ErrorMessage": None, "NumPartitions": n,
                       "ReplicationFactor": 1,
                       "Configs": [{"Name": k, "Value": val, "ReadOnly": False, "ConfigSource": 1,
                                    "IsSensitive": False} for k, val in configs.items()]}
                if name in self.st.topics:
                    res.update({"ErrorCode": E_TOPIC_ALREADY_EXISTS,
                                "ErrorMessage": "Topic '%s' already exists." % name,
                                "TopicId": self.st.topics[name].id, "Configs": None,
                                "NumPartitions": -1, "ReplicationFactor": -1})
                elif n <= 0:
                    res.update({"ErrorCode": E_INVALID_PARTITIONS, "ErrorMessage": "bad partition count",
                                "Configs": None, "NumPartitions": -1, "ReplicationFactor": -1})
                elif not req.get("validateOnly", False):
                    res["TopicId"] = self.st.create_topic(name, n, configs).id
                results.append(res)
        return {"ThrottleTimeMs": 0, "Topics": results}

    def describe_configs(self, ctx, v, req):
        results = []
        with self.st.lock:
            for r in req["Resources"]:
                rtype, rname = r["ResourceType"], r["ResourceName"]
                if rtype == 2:
                    t = self.st.topics.get(rname)
                    if t is None:
                        results.append({"ErrorCode": E_UNKNOWN_TOPIC_OR_PARTITION, "ErrorMessage": None,
                                        "ResourceType": rtype, "ResourceName": rname, "Configs": []})
                        continue
                    cfg = {"cleanup.policy": "delete", "retention.ms": "604800000"}
                    cfg.update(t.configs)
                    dynamic = set(t.configs)
                else:
                    cfg = {"num.partitions": str(self.st.default_partitions),
                           "auto.create.topics.enable": "true", "default.replication.factor": "1"}
                    dynamic = set()
                keys = r.get("ConfigurationKeys")
                configs = []
                for k, val in cfg.items():
                    if keys is not None and k not in keys:
                        continue
                    src = 1 if k in dynamic else 5  # TOPIC_CONFIG / DEFAULT_CONFIG
                    configs.append({"Name": k, "Value": val, "ReadOnly": False, "IsDefault": k not in dynamic,
                                    "ConfigSource": src, "IsSensitive": False, "Synonyms": [],
                                    "ConfigType": 0, "Documentation": None})
                results.append({"ErrorCode": 0, "ErrorMessage": None, "ResourceType": rtype,
                                "ResourceName": rname, "Configs": configs})
        return {"ThrottleTimeMs": 0, "Results": results}

    def describe_cluster(self, ctx, v, req):
        return {"ThrottleTimeMs": 0, "ErrorCode": 0, "ErrorMessage": None, "EndpointType": 1,
                "ClusterId": CLUSTER_ID, "ControllerId": NODE_ID,
                "Brokers": [{"BrokerId": NODE_ID, "Host": self.st.host, "Port": self.st.port, "Rack": None}],
                "ClusterAuthorizedOperations": -2147483648}

    def dispatch(self):
        return {0: self.produce, 1: self.fetch, 2: self.list_offsets, 3: self.metadata,
                8: self.offset_commit, 9: self.offset_fetch, 10: self.find_coordinator,
                11: self.join_group, 12: self.heartbeat, 13: self.leave_group, 14: self.sync_group,
                18: self.api_versions, 19: self.create_topics, 22: self.init_producer_id,
                32: self.describe_configs, 60: self.describe_cluster, **self.admin_dispatch()}


# --------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------


class ConnCtx:
    def __init__(self, peer):
        self.client_host = peer[0]
        self.client_id = None


def read_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def make_handler(codec, handlers, recorder):
    table = handlers.dispatch()
    schemas = codec.s

    class H(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            ctx = ConnCtx(self.client_address)
            peer = "%s:%d" % self.client_address
            log("connection from %s" % peer)
            try:
                while True:
                    size_b = read_exact(sock, 4)
                    if size_b is None:
                        break
                    size = struct.unpack(">i", size_b)[0]
                    if size < 8 or size > 100 * 1024 * 1024:
                        log("%s: bad frame size %d, closing" % (peer, size))
                        break
                    frame = read_exact(sock, size)
                    if frame is None:
                        break
                    resp = self.one(ctx, peer, frame)
                    if resp is not None:
                        sock.sendall(struct.pack(">i", len(resp)) + resp)
            except Close:
                pass
            except (ConnectionError, OSError) as e:
                log("%s: %s" % (peer, e))
            log("connection from %s closed" % peer)

        def one(self, ctx, peer, frame):
            api_key, api_version, corr = struct.unpack_from(">hhi", frame, 0)
            name = schemas.api_name(api_key)
            saved = recorder.record(frame)
            if api_key == 18 and api_version not in schemas.requests[18].valid:
                # Unknown ApiVersions version: answer in v0 format with UNSUPPORTED_VERSION.
                log("%s: ApiVersions v%d unsupported -> v0 error response" % (peer, api_version))
                body = handlers.api_versions(ctx, 0, {})
                body["ErrorCode"] = E_UNSUPPORTED_VERSION
                return codec.encode_response(18, 0, corr, body)
            try:
                header, req = codec.decode_request(frame)
            except (DecodeError, struct.error) as e:
                log("%s: cannot decode %s v%d (%s); closing" % (peer, name, api_version, e))
                raise Close()
            ctx.client_id = header.get("ClientId")
            if TRAILING_KEY in req:
                log("%s: %s v%d has %d trailing byte(s) after the body (ignored, as Kafka does)" % (
                    peer, name, api_version, len(req[TRAILING_KEY])))
            fn = table.get(api_key)
            m = schemas.requests.get(api_key)
            if fn is None or api_version not in m.valid:
                log("%s: %s v%d not implemented; closing connection (client_id=%s)" % (
                    peer, name, api_version, ctx.client_id))
                raise Close()
            log("%s: %s v%d corr=%d client_id=%s%s" % (peer, name, api_version, corr, ctx.client_id,
                                                       (" -> " + saved) if saved else ""))
            body = fn(ctx, api_version, req)
            if body is None:
                return None
            return codec.encode_response(api_key, api_version, corr, body)

    return H


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=19092)
    ap.add_argument("--schemas", default=os.path.join(os.path.dirname(REPO), "shared", "kafka-protocol"))
    ap.add_argument("--out", default=os.path.join(REPO, "Fixtures", "requests"))
    ap.add_argument("--control", help="JSON file with client/client_version/scenario labels, re-read on change")
    ap.add_argument("--client", help="client slug (if no control file)")
    ap.add_argument("--client-version", default="")
    ap.add_argument("--scenario", help="scenario label (if no control file)")
    ap.add_argument("--partitions", type=int, default=2, help="partitions of auto-created topics")
    args = ap.parse_args(argv)

    schemas = Schemas(args.schemas)
    codec = Codec(schemas)
    state = BrokerState(args.host, args.port, args.partitions)
    handlers = Handlers(state, schemas)
    recorder = Recorder(args.out, schemas, args.control, args.client, args.client_version, args.scenario)
    srv = Server((args.host, args.port), make_handler(codec, handlers, recorder))
    log("recording broker on %s:%d; %d request schemas from %s; writing to %s" % (
        args.host, args.port, len(schemas.requests), args.schemas, args.out))
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()

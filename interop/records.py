"""The records the round-trip tests produce, and the checks of what comes back.

Every partition gets empty, tiny, medium and ~100 KiB values (text with a random prefix, so
every codec really compresses), binary keys, a null key, an empty key, a null value, and
headers (none, two, and a repeated name with an empty value). No record has a null key with an
empty value or an empty key with a null value: kcat cannot express those (its -Z flag turns
every empty key and value of one run into null).
"""
import base64
import hashlib
import random
from dataclasses import dataclass, field

SIZES = [0, 1, 17, 150, 1024, 6000, 40, 100 * 1024, 300, 2]


@dataclass
class Rec:
    partition: int
    key: object  # bytes or None
    value: object  # bytes or None
    headers: list = field(default_factory=list)  # [(name str, value bytes)]


def make_records(label, partitions=3, headers_per_partition=None, seed=None):
    """Records in produce order (round-robin over partitions).

    headers_per_partition: for kcat, whose -H flags apply to a whole run, one header list per
    partition instead of headers varying from record to record.
    """
    rng = random.Random(seed if seed is not None else label)
    per_partition = {p: [] for p in range(partitions)}
    for p in range(partitions):
        for i, size in enumerate(SIZES):
            if p == 1 and size == 100 * 1024:
                size += 37  # not every large value a round number
            text = ("%s p%d record %d; " % (label, p, i)).encode()
            if size < 8:
                value = bytes(rng.getrandbits(8) for _ in range(size))
            else:
                value = bytes(rng.getrandbits(8) for _ in range(8)) + (text * (size // len(text) + 1))[:size - 8]
            if i == 6:
                value = None  # a tombstone
            if i % 5 == 3:
                key = None
            elif p == 1 and i == 4:
                key = b""
            else:
                key = ("%s-p%d-%d" % (label, p, i)).encode() + (b"\x00\xff\x01" if i % 4 == 1 else b"")
            if headers_per_partition is not None:
                headers = list(headers_per_partition[p % len(headers_per_partition)])
            elif i % 3 == 1:
                headers = [("trace-id", ("t-%d-%d" % (p, i)).encode()), ("client", label.encode())]
            elif i % 3 == 2:
                headers = [("dup", b""), ("dup", b"second"), ("binary-ish", b"\x01\x7f ok")]
            else:
                headers = []
            per_partition[p].append(Rec(p, key, value, headers))
    out = []
    for i in range(len(SIZES)):
        for p in range(partitions):
            out.append(per_partition[p][i])
    return out


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def unb64(text):
    return None if text is None else base64.b64decode(text)


def produce_spec(bootstrap, topic, records, codec, idempotent, create_partitions=None, timeout=60):
    return {
        "bootstrap": bootstrap, "topic": topic, "codec": codec, "idempotent": idempotent, "timeout": timeout,
        "create": {"partitions": create_partitions} if create_partitions else None,
        "records": [{"partition": r.partition, "key": b64(r.key), "value": b64(r.value),
                     "headers": [{"name": n, "value": b64(v)} for n, v in r.headers]} for r in records],
    }


def read_spec(bootstrap, topic, partitions, timeout=60, digest=False):
    return {"bootstrap": bootstrap, "topic": topic, "partitions": list(partitions), "timeout": timeout,
            "digest": digest}


def describe(data):
    if data is None:
        return "null"
    head = data[:24]
    return "%d bytes %r%s (sha256 %s)" % (len(data), head, "..." if len(data) > 24 else "",
                                           hashlib.sha256(data).hexdigest()[:12])


def check_acks(records, result, expect_offsets=True):
    """Problems with a produce result: every record acked once, on its partition, in order.

    Offsets are checked to be 0, 1, 2... per partition in produce order (fresh topic, no
    transactions) when the client reports them (kcat does not: expect_offsets=False).
    Returns (problems, {index: offset or None}).
    """
    problems = []
    for e in result.get("errors") or []:
        problems.append("produce error (record %s): %s" % (e.get("index"), e.get("error")))
    acked = {}
    for a in result.get("acks") or []:
        if a["index"] in acked:
            problems.append("record %d acknowledged twice" % a["index"])
        acked[a["index"]] = a
        want = records[a["index"]].partition
        if a["partition"] != want:
            problems.append("record %d acknowledged on partition %s, sent to %d" % (a["index"], a["partition"], want))
    missing = [i for i in range(len(records)) if i not in acked]
    if missing:
        problems.append("%d of %d records not acknowledged (first: %s)" % (len(missing), len(records), missing[:10]))
    offsets = {i: (a.get("offset") if expect_offsets else None) for i, a in acked.items()}
    if expect_offsets:
        next_offset = {}
        for i in sorted(acked):
            p, o = records[i].partition, offsets[i]
            want = next_offset.get(p, 0)
            if o != want:
                problems.append("record %d acknowledged at %s[%d] offset %s, expected %d" % (
                    i, "partition", p, o, want))
            next_offset[p] = (o if isinstance(o, int) and o >= 0 else want) + 1
    return problems, offsets


def check_read(records, offsets, result, reader):
    """Problems with a read result against the produced records, partition by partition:
    count, order, offsets, key, value and headers byte for byte."""
    problems = []
    if result.get("error"):
        problems.append("%s: read error: %s" % (reader, result["error"]))
    high = {int(p): h for p, h in (result.get("high") or {}).items()}
    for p in sorted(high):
        n = sum(1 for r in records if r.partition == p)
        if high[p] != n:
            problems.append("%s: partition %d: high watermark %s, expected %d" % (reader, p, high[p], n))
    got = {}
    for r in result.get("records") or []:
        got.setdefault(r["partition"], []).append(r)
    want = {}
    for i, rec in enumerate(records):
        want.setdefault(rec.partition, []).append((i, rec))
    for p in sorted(set(want) | set(got)):
        w, g = want.get(p, []), got.get(p, [])
        if len(w) != len(g):
            problems.append("%s: partition %d: read %d records, produced %d" % (reader, p, len(g), len(w)))
        for pos, ((i, rec), r) in enumerate(zip(w, g)):
            where = "%s: partition %d record #%d (produced as #%d, read at offset %s)" % (reader, p, pos, i, r["offset"])
            expected_offset = offsets.get(i) if offsets.get(i) is not None else pos
            if r["offset"] != expected_offset:
                problems.append("%s: offset %s, expected %s" % (where, r["offset"], expected_offset))
            key = unb64(r["key"])
            if key != rec.key:
                problems.append("%s: key %s, expected %s" % (where, describe(key), describe(rec.key)))
            value = unb64(r["value"])
            if value != rec.value:
                problems.append("%s: value %s, expected %s" % (where, describe(value), describe(rec.value)))
            headers = [(h["name"], unb64(h["value"])) for h in r.get("headers") or []]
            if headers != rec.headers:
                problems.append("%s: headers %r, expected %r" % (where, headers, rec.headers))
    return problems

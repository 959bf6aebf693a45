"""kcat (Debian's, librdkafka 2.0.2) as a producer and a reader, with the drivers' spec/result shapes.

Producing: kcat reads delimited messages from stdin. Key and message delimiters are byte strings
that never occur in the records, so keys and values can be binary. `-H` headers and `-Z` (empty
key or value means null) apply to a whole run, so the records are produced in runs of the same
partition, headers and null-ness; runs go one after another, keeping the order. kcat does not
report offsets.

Reading: `-f` with the key and value lengths before the bytes, so binary data parses
unambiguously; `-e` stops at the end of every partition (assignment, no group).
"""
import re
import shutil
import subprocess
from itertools import groupby

from records import b64, unb64

KEY_DELIM = b"\x1f<interop-key>\x1f"
MSG_DELIM = b"\x1e<interop-end>\x1e\n"
READ_FORMAT = "%p %o %K %S %h\n%k%s\n"

# Headers kcat produces on each partition (see records.make_records(headers_per_partition=...)).
HEADERS_PER_PARTITION = [
    [],
    [("trace-id", b"kcat-p1"), ("client", b"kcat")],
    [("dup", b""), ("dup", b"second")],
]


def binary():
    path = shutil.which("kcat")
    if path is None:
        raise RuntimeError("kcat is not installed (scripts/install-test-clients.sh installs Debian's kcat)")
    return path


def version():
    out = subprocess.run([binary(), "-V"], capture_output=True, text=True, timeout=10).stdout
    m = re.search(r"Version (\S+) .*librdkafka (\d[\d.]*)", out)
    if not m:
        raise RuntimeError("cannot parse `kcat -V`: %r" % out)
    return {"name": "kcat", "version": m.group(1), "librdkafka": m.group(2)}


def _runs(spec):
    """Consecutive records sharing partition, headers and whether -Z is needed."""
    recs = []
    for i, r in enumerate(spec["records"]):
        key, value = unb64(r["key"]), unb64(r["value"])
        headers = tuple((h["name"], unb64(h["value"])) for h in r.get("headers") or [])
        nulls = key is None or value is None
        if nulls and (key == b"" or value == b""):
            raise ValueError("record %d: kcat cannot send an empty and a null field in one record" % i)
        for part in (key or b"", value or b""):
            if KEY_DELIM in part or MSG_DELIM in part:
                raise ValueError("record %d contains a kcat delimiter" % i)
        recs.append((i, r["partition"], headers, nulls, key, value))
    return groupby(recs, key=lambda t: (t[1], t[2], t[3]))


def produce(spec, log):
    """Returns the driver-shaped result; log is an open binary file for kcat's stderr."""
    acks, errors = [], []
    for (partition, headers, nulls), group in _runs(spec):
        group = list(group)
        cmd = [binary(), "-b", spec["bootstrap"], "-P", "-t", spec["topic"], "-p", str(partition),
               "-K", KEY_DELIM, "-D", MSG_DELIM, "-X", "acks=all", "-X", "linger.ms=20",
               "-X", "compression.codec=%s" % spec["codec"],
               "-X", "message.timeout.ms=%d" % int(spec["timeout"] * 1000)]
        if spec["idempotent"]:
            cmd += ["-X", "enable.idempotence=true"]
        if nulls:
            cmd.append("-Z")
        for name, value in headers:
            cmd += ["-H", name.encode() + b"=" + value]
        data = b"".join((key or b"") + KEY_DELIM + (value or b"") + MSG_DELIM for _, _, _, _, key, value in group)
        log.write(b"$ " + b" ".join(c if isinstance(c, bytes) else c.encode() for c in cmd) + b"\n")
        log.flush()
        try:
            p = subprocess.run(cmd, input=data, stdout=log, stderr=subprocess.PIPE, timeout=spec["timeout"] + 15)
            err = p.stderr.decode("utf-8", "replace")
            rc = p.returncode
        except subprocess.TimeoutExpired:
            err, rc = "kcat timed out", -1
        log.write(err.encode())
        failed = rc != 0 or re.search(r"(?i)fail|error", err)
        for i, *_ in group:
            if failed:
                errors.append({"index": i, "error": "kcat exit %s: %s" % (rc, err.strip()[-500:])})
            else:
                acks.append({"index": i, "partition": partition, "offset": None})
    return {"acks": acks, "errors": errors, "client": version()}


def parse_read(out):
    """Parses READ_FORMAT output into records (driver shape, base64)."""
    records, pos = [], 0
    while pos < len(out):
        nl = out.index(b"\n", pos)
        fields = out[pos:nl].split(b" ", 4)
        partition, offset, klen, vlen = (int(x) for x in fields[:4])
        hdr_text = fields[4] if len(fields) > 4 else b""
        pos = nl + 1
        key = None if klen < 0 else out[pos:pos + klen]
        pos += max(klen, 0)
        value = None if vlen < 0 else out[pos:pos + vlen]
        pos += max(vlen, 0)
        if out[pos:pos + 1] != b"\n":
            raise ValueError("kcat output out of step at byte %d" % pos)
        pos += 1
        headers = []
        if hdr_text:
            for h in hdr_text.split(b","):
                name, _, value_ = h.partition(b"=")
                headers.append({"name": name.decode(), "value": b64(value_)})
        records.append({"partition": partition, "offset": offset, "key": b64(key), "value": b64(value),
                        "headers": headers})
    return records


def read(spec, log):
    cmd = [binary(), "-b", spec["bootstrap"], "-C", "-t", spec["topic"], "-o", "beginning", "-e", "-q",
           "-X", "check.crcs=true", "-X", "fetch.wait.max.ms=100", "-f", READ_FORMAT]
    log.write(("$ " + " ".join(cmd) + "\n").encode())
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=spec["timeout"])
        out, err, rc = p.stdout, p.stderr.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, err, rc = e.stdout or b"", "kcat timed out after %ss" % spec["timeout"], -1
    log.write(err.encode())
    error = None
    if rc != 0 or re.search(r"(?i)error|fail", err):
        error = "kcat exit %s: %s" % (rc, err.strip()[-800:])
    try:
        records = parse_read(out)
    except (ValueError, IndexError) as e:
        records, error = [], (error or "") + " unparseable kcat output: %s" % e
    wanted = set(spec["partitions"])
    records = [r for r in records if r["partition"] in wanted]
    return {"records": records, "high": None, "complete": error is None, "error": error, "client": version()}

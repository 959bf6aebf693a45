"""What every Python client driver shares: the spec and result files, and the record encoding.

A driver is run as `PYTHON driver.py (version | produce SPEC OUT | read SPEC OUT)`. SPEC and OUT
are JSON files; bytes travel as standard base64, null as null, so keys and values may be binary
and "empty" stays distinct from "null". Must run on any Python 3 (Debian's /usr/bin/python3 too).

Produce spec: {"bootstrap", "topic", "create": {"partitions": N, "replication_factor": R, "configs": {..}} | null, "codec",
  "idempotent": bool, "timeout": seconds,
  "records": [{"partition", "key", "value", "headers": [{"name", "value"}]}]}
Produce result: {"client", "acks": [{"index", "partition", "offset"}], "errors": [{"index", "error"}]}

Read spec: {"bootstrap", "topic", "partitions": [..], "timeout", "digest": bool}
Read result: {"client", "high": {partition: high watermark}, "complete": bool, "error": str|null,
  "records": [{"partition", "offset", "key", "value", "headers"}]}
  (with "digest", "value" is replaced by "value_len" and "value_sha256", for large reads)
"""
import base64
import hashlib
import json
import os
import sys
import time


def b64(data):
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


def unb64(text):
    return None if text is None else base64.b64decode(text)


def load_spec(path):
    with open(path) as f:
        return json.load(f)


def write_result(path, result):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, path)


def spec_records(spec):
    """Yields (index, partition, key bytes|None, value bytes|None, [(name, bytes|None)])."""
    for i, r in enumerate(spec["records"]):
        headers = [(h["name"], unb64(h["value"])) for h in r.get("headers") or []]
        yield i, r["partition"], unb64(r["key"]), unb64(r["value"]), headers


def read_record(partition, offset, key, value, headers, digest):
    """One record of a read result; headers as [(name, bytes|None)] or None."""
    out = {"partition": partition, "offset": offset, "key": b64(key),
           "headers": [{"name": n if isinstance(n, str) else n.decode("utf-8", "replace"), "value": b64(v)}
                       for n, v in (headers or [])]}
    if digest:
        out["value_len"] = None if value is None else len(value)
        out["value_sha256"] = None if value is None else hashlib.sha256(value).hexdigest()
    else:
        out["value"] = b64(value)
    return out


class Deadline:
    def __init__(self, seconds):
        self.end = time.time() + seconds

    def left(self, floor=0.1):
        return max(floor, self.end - time.time())

    def passed(self):
        return time.time() >= self.end


def main(version, produce, read):
    """Dispatches the command line to the driver's functions; any exception is a failure."""
    if len(sys.argv) < 2:
        raise SystemExit("usage: driver.py version | produce SPEC OUT | read SPEC OUT")
    cmd = sys.argv[1]
    if cmd == "version":
        print(json.dumps(version()))
        return 0
    if cmd not in ("produce", "read") or len(sys.argv) != 4:
        raise SystemExit("usage: driver.py version | produce SPEC OUT | read SPEC OUT")
    spec = load_spec(sys.argv[2])
    result = (produce if cmd == "produce" else read)(spec)
    result["client"] = version()
    write_result(sys.argv[3], result)
    if cmd == "produce":
        return 0 if not result["errors"] and len(result["acks"]) == len(spec["records"]) else 1
    return 0 if result.get("complete") and not result.get("error") else 1


def txn_main(version, actions):
    """The command line of the transactional drivers (confluent_txn.py and its siblings):
    `version`, or `ACTION SPEC OUT` for an action in `actions` (name -> function of the spec). Exit 0
    when a produce ended every transaction as asked, a seed or pipeline reported no error, or a read
    reached the end without error."""
    if len(sys.argv) == 2 and sys.argv[1] == "version":
        print(json.dumps(version()))
        return 0
    if len(sys.argv) != 4 or sys.argv[1] not in actions:
        raise SystemExit("usage: %s version | %s SPEC OUT" % (os.path.basename(sys.argv[0]), "|".join(sorted(actions))))
    spec = load_spec(sys.argv[2])
    result = actions[sys.argv[1]](spec)
    result["client"] = version()
    write_result(sys.argv[3], result)
    if sys.argv[1] == "produce":
        return 0 if not result["errors"] and all(result["ended"]) else 1
    if sys.argv[1] in ("seed", "pipeline"):
        return 0 if not result["errors"] else 1
    return 0 if result["complete"] and not result["error"] else 1

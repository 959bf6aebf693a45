#!/usr/bin/env python3
"""Sanity-check captured request fixtures (a check of the capture, not of Strom's code).

For every file listed in Fixtures/requests/MANIFEST.tsv:
  * the frame's header matches the manifest (api key, version) and the file name;
  * the schema codec of recording_broker.py decodes it and re-encodes it byte-identically;
  * for Produce: every record batch (magic 2) has a valid CRC32C, legacy messages a valid CRC32;
    the batch compression matches the produce-<codec> scenario, and produce-idempotent batches
    carry a producer id and sequence numbers.

Usage: check_fixtures.py [--fixtures Fixtures/requests] [--schemas ../shared/kafka-protocol]
"""
import argparse
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recording_broker as rb  # noqa: E402


def _crc32c_table():
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def check_batches(records, scenario):
    """Returns a list of problems found in one partition's records blob."""
    problems = []
    if records is None:
        return problems
    pos = 0
    n = len(records)
    count = 0
    while pos < n:
        if pos + 17 > n:
            problems.append("truncated batch header at %d" % pos)
            break
        length = struct.unpack_from(">i", records, pos + 8)[0]
        end = pos + 12 + length
        if end > n:
            problems.append("batch at %d overruns the records (%d > %d)" % (pos, end, n))
            break
        magic = records[pos + 16]
        if magic == 2:
            crc = struct.unpack_from(">I", records, pos + 17)[0]
            calc = crc32c(records[pos + 21:end])
            if crc != calc:
                problems.append("batch at %d: CRC32C %08x != computed %08x" % (pos, crc, calc))
            attrs = struct.unpack_from(">h", records, pos + 21)[0]
            pid, epoch, seq = struct.unpack_from(">qhi", records, pos + 43)
            codec = scenario[len("produce-"):] if scenario.startswith("produce-") else None
            if codec in CODECS and (attrs & 7) != CODECS[codec]:
                problems.append("batch at %d: compression %d, scenario says %s" % (pos, attrs & 7, codec))
            if codec == "idempotent" and (pid < 0 or seq < 0):
                problems.append("batch at %d: not idempotent (producerId %d, baseSequence %d)" % (pos, pid, seq))
        elif magic in (0, 1):
            crc = struct.unpack_from(">I", records, pos + 12)[0]
            calc = zlib.crc32(records[pos + 16:end]) & 0xFFFFFFFF
            if crc != calc:
                problems.append("legacy message at %d: CRC32 %08x != computed %08x" % (pos, crc, calc))
        else:
            problems.append("unknown magic %d at %d" % (magic, pos))
        count += 1
        pos = end
    if count == 0:
        problems.append("no record batch in produce data")
    return problems


# (api key, version) pairs Kafka 3.9's schemas do not define: ConsumerGroupHeartbeat v1.
BEYOND_SCHEMAS = {(68, 1)}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=os.path.join(repo, "Fixtures", "requests"))
    ap.add_argument("--schemas", default=os.path.join(os.path.dirname(repo), "shared", "kafka-protocol"))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    codec = rb.Codec(rb.Schemas(a.schemas))
    passed = failed = 0
    notes = []
    manifest = os.path.join(a.fixtures, "MANIFEST.tsv")
    listed = set()
    with open(manifest, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    header, rows = rows[0], rows[1:]
    assert header[:7] == ["file", "client", "client_version", "api_key", "api_name", "api_version", "scenario"], header
    for rel, client, _cver, api_key, api_name, api_version, scenario in (r[:7] for r in rows):
        listed.add(rel)
        problems = []
        path = os.path.join(a.fixtures, rel)
        try:
            with open(path, "rb") as fb:
                frame = fb.read()
        except OSError as e:
            problems.append("unreadable: %s" % e)
            frame = None
        if frame is not None:
            k, v = struct.unpack_from(">hh", frame, 0)
            if (k, v) != (int(api_key), int(api_version)):
                problems.append("header says %d v%d, manifest %s v%s" % (k, v, api_key, api_version))
            base = os.path.basename(rel)
            if not base.startswith("%s-v%s-%s" % (api_name, api_version, scenario)):
                problems.append("file name does not match manifest")
            if not rel.startswith(client + "/"):
                problems.append("file not under its client directory")
            if (k, v) in BEYOND_SCHEMAS:
                # Kafka 4.0 versions the 3.9 schemas lack (defined in Protocol/ from the 4.x reference): only
                # Tests/FixtureTests decodes these.
                notes.append("%s: %s v%d is beyond Kafka 3.9's schemas; checked by the Swift FixtureTests" % (rel, api_name, v))
                passed += 1
                continue
            try:
                hdr, body = codec.decode_request(frame)
                again = codec.encode_request(hdr, body)
                if again != frame:
                    i = next((j for j in range(min(len(again), len(frame))) if again[j] != frame[j]),
                             min(len(again), len(frame)))
                    problems.append("re-encode differs at byte %d (len %d vs %d)" % (i, len(again), len(frame)))
                if rb.TRAILING_KEY in body:
                    notes.append("%s: %d trailing byte(s) after the body (kept by the codec)" % (
                        rel, len(body[rb.TRAILING_KEY])))
                if k == 0:
                    for td in body["TopicData"]:
                        for pd in td["PartitionData"]:
                            for p in check_batches(pd["Records"], scenario):
                                problems.append("%s[%d]: %s" % (td["Name"], pd["Index"], p))
            except (rb.DecodeError, struct.error, KeyError, ValueError) as e:
                problems.append("decode failed: %s" % e)
        if problems:
            failed += 1
            print("FAIL %s" % rel)
            for p in problems:
                print("     %s" % p)
        else:
            passed += 1
            if a.verbose:
                print("ok   %s" % rel)
    # Files on disk that the manifest does not list.
    for root, _dirs, files in os.walk(a.fixtures):
        for fn in files:
            if fn.endswith(".bin"):
                rel = os.path.relpath(os.path.join(root, fn), a.fixtures)
                if rel not in listed:
                    failed += 1
                    print("FAIL %s: not in MANIFEST.tsv" % rel)
    for n in notes:
        print("note %s" % n)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

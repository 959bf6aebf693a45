"""A raw Fetch v4, to see what the clients' libraries hide: each stored batch's codec and
producer id. Used to check that a produce "with gzip" really stored gzip batches (librdkafka
quietly sends uncompressed batches when it believes the broker cannot take compressed ones)."""
import socket
import struct

from broker import _recv_exact

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


def _string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def _fetch_v4(sock, corr, topic, partition, offset, max_bytes=16 << 20):
    body = struct.pack(">hhi", 1, 4, corr) + _string("interop-wire")
    body += struct.pack(">iiiib", -1, 100, 1, max_bytes, 0)
    body += struct.pack(">i", 1) + _string(topic) + struct.pack(">i", 1)
    body += struct.pack(">iqi", partition, offset, max_bytes)
    sock.sendall(struct.pack(">i", len(body)) + body)
    resp = _recv_exact(sock, struct.unpack(">i", _recv_exact(sock, 4))[0])
    pos = 4 + 4  # correlation id, throttle time
    (n_topics,) = struct.unpack_from(">i", resp, pos)
    pos += 4
    assert n_topics == 1, "Fetch v4: %d topics in the answer" % n_topics
    (name_len,) = struct.unpack_from(">h", resp, pos)
    pos += 2 + name_len + 4  # name, partition count (1)
    _, error, high, _ = struct.unpack_from(">ihqq", resp, pos)
    pos += 4 + 2 + 8 + 8
    (n_aborted,) = struct.unpack_from(">i", resp, pos)
    pos += 4 + max(n_aborted, 0) * 16
    (records_len,) = struct.unpack_from(">i", resp, pos)
    pos += 4
    return error, high, resp[pos:pos + max(records_len, 0)]


def stored_batches(port, topic, partition, timeout=20):
    """[(base offset, record count, codec name, producer id)] of every batch in the partition."""
    out = []
    offset = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        for corr in range(1, 10000):
            error, high, records = _fetch_v4(sock, corr, topic, partition, offset)
            if error:
                raise RuntimeError("Fetch v4 %s[%d] at %d: error code %d" % (topic, partition, offset, error))
            pos = 0
            while pos + 61 <= len(records):
                base, length = struct.unpack_from(">qi", records, pos)
                if pos + 12 + length > len(records):
                    break  # a partial batch at the end of the answer
                attributes, last_delta = struct.unpack_from(">hi", records, pos + 21)
                producer_id, = struct.unpack_from(">q", records, pos + 43)
                count, = struct.unpack_from(">i", records, pos + 57)
                if base + last_delta >= offset:
                    out.append((base, count, CODECS.get(attributes & 7, attributes & 7), producer_id))
                offset = max(offset, base + last_delta + 1)
                pos += 12 + length
            if offset >= high:
                return out
            if pos == 0:
                raise RuntimeError("Fetch v4 %s[%d] at %d: no whole batch below the high watermark %d" % (
                    topic, partition, offset, high))
    return out


def api_versions(port, timeout=10):
    """{api key: (min version, max version)} that the broker advertises (raw ApiVersions v0)."""
    body = struct.pack(">hhi", 18, 0, 1) + _string("interop-wire")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(body)) + body)
        resp = _recv_exact(sock, struct.unpack(">i", _recv_exact(sock, 4))[0])
    _, error, n = struct.unpack_from(">ihi", resp, 0)
    if error:
        raise RuntimeError("ApiVersions v0: error code %d" % error)
    out = {}
    for i in range(n):
        key, lo, hi = struct.unpack_from(">hhh", resp, 10 + 6 * i)
        out[key] = (lo, hi)
    return out

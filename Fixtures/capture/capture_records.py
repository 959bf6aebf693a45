"""Records the capture drivers produce: keys (and a null key), headers, varied sizes.

Shared by the Python drivers; must run on any Python 3 (Debian's /usr/bin/python3 and the venv).
"""

RECORDS_PER_PRODUCE = 6
SIZES = [1, 17, 150, 1024, 6000, 40]


def records(client, scenario):
    """Yields (key bytes or None, value bytes, [(header name, header bytes)])."""
    for i in range(RECORDS_PER_PRODUCE):
        n = SIZES[i % len(SIZES)]
        if scenario not in ("produce-none", "produce-idempotent"):
            # Codec scenarios: +200 bytes each so that every batch shrinks when compressed
            # (librdkafka and kafka-python send a batch uncompressed when that is not smaller).
            n += 200
        text = ("%s %s record %d; " % (client, scenario, i)) * (n // 16 + 1)
        value = text.encode()[:n]
        key = None if i % 3 == 2 else ("key-%d" % i).encode()
        headers = []
        if i % 2 == 0:
            headers = [("trace-id", ("t-%d" % i).encode()), ("client", client.encode())]
        yield key, value, headers

"""Produce-and-check and read-and-check steps shared by the tests; failures say which client,
API step and record went wrong, with the tail of the client's own log."""
import pytest

from records import check_acks, check_read, produce_spec, read_spec
from wire import stored_batches


def tail(text, lines=40):
    rows = text.splitlines()
    return "\n".join((["..."] if len(rows) > lines else []) + rows[-lines:])


def produce_and_check(client, broker, topic, records, codec, idempotent, workdir, create_partitions=None,
                      tag="produce"):
    """Produces records with client; fails the test unless every one is acknowledged in order.
    Returns {record index: acknowledged offset or None}."""
    spec = produce_spec(broker.bootstrap, topic, records, codec, idempotent,
                        create_partitions if client.admin else None)
    rc, result, log = client.run("produce", spec, workdir, tag)
    what = "%s produce to %s (codec %s, idempotent %s, acks all)" % (client.name, topic, codec, idempotent)
    if result is None:
        pytest.fail("%s: the driver exited %s without a result; its log:\n%s" % (what, rc, tail(log)))
    problems, offsets = check_acks(records, result, expect_offsets=client.name != "kcat")
    if rc != 0 and not problems:
        problems.append("driver exit code %s" % rc)
    if problems:
        pytest.fail("%s failed:\n  %s\n%s log:\n%s" % (what, "\n  ".join(problems[:25]), client.name, tail(log)))
    return offsets


def read_and_check(reader, broker, topic, partitions, records, offsets, workdir, tag="read"):
    """Reads every partition from the earliest offset by assignment; returns a list of problems."""
    spec = read_spec(broker.bootstrap, topic, partitions)
    rc, result, log = reader.run("read", spec, workdir, tag)
    what = "%s read of %s" % (reader.name, topic)
    if result is None:
        return ["%s: the driver exited %s without a result; its log:\n%s" % (what, rc, tail(log))]
    problems = check_read(records, offsets, result, reader.name)
    if rc != 0 and not problems:
        problems.append("%s: driver exit code %s" % (what, rc))
    if problems:
        problems = problems[:25] + ["%s log:\n%s" % (reader.name, tail(log))]
    return problems


LIBRDKAFKA_CLIENTS = ("kcat", "confluent-venv", "confluent-debian")
LIBRDKAFKA_HINT = (" (librdkafka sent them uncompressed: it decides from ApiVersions. It enables lz4 only"
                   " when FindCoordinator v0 is advertised, and older versions (2.0.2 here) gzip/snappy/lz4"
                   " only when Produce v0 is advertised, librdkafka #4956, which is why Kafka 4.0 still advertises"
                   " Produce v0-2 while refusing them, KAFKA-18659. Its debug=feature,msg log says"
                   " 'Broker does not support compression type ...: not compressing batch')")


def check_stored_batches(broker, topic, partitions, codec, idempotent, who):
    """Problems with the batches the broker serves (raw Fetch v4): compressed with the codec the
    client was asked for, and carrying a producer id exactly when the producer was idempotent.
    Records too small to shrink may go uncompressed, so each partition needs one batch in the
    codec (each has a ~100 KiB text value) and no batch in another codec."""
    problems = []
    for p in partitions:
        try:
            batches = stored_batches(broker.port, topic, p)
        except Exception as e:  # noqa: BLE001 - reported as a problem of this check
            problems.append("%s: raw Fetch v4 of %s[%d] failed: %s" % (who, topic, p, e))
            continue
        codecs = {b[2] for b in batches}
        summary = ", ".join("@%d x%d %s pid %d" % b for b in batches[:12])
        if codec == "none" and codecs - {"none"}:
            problems.append("%s: %s[%d]: compressed batches stored for codec none: %s" % (who, topic, p, summary))
        if codec != "none" and (codec not in codecs or codecs - {codec, "none"}):
            hint = LIBRDKAFKA_HINT if who in LIBRDKAFKA_CLIENTS and codecs == {"none"} else ""
            problems.append("%s: %s[%d]: asked for %s, stored batches are: %s%s" % (
                who, topic, p, codec, summary, hint))
        pids = {b[3] for b in batches}
        if idempotent and any(pid < 0 for pid in pids):
            problems.append("%s: %s[%d]: idempotent producer, but batches without a producer id: %s" % (
                who, topic, p, summary))
        if not idempotent and any(pid >= 0 for pid in pids):
            problems.append("%s: %s[%d]: plain producer, but batches with a producer id: %s" % (who, topic, p, summary))
    return problems

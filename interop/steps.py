"""Produce-and-check and read-and-check steps shared by the tests; failures say which client,
API step and record went wrong, with the tail of the client's own log."""
import pytest

from records import check_acks, check_read, produce_spec, read_spec


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

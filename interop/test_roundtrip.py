"""Each client produces to a fresh topic with each codec, then the records are read back by
partition assignment from the earliest offset, by the same client and by another one, and must
be byte-identical: key, value, headers, order, offsets and count."""
import pytest

import kcat
from clients import CLIENTS, CROSS_READER
from records import make_records, produce_spec
from steps import check_stored_batches, produce_and_check, read_and_check, tail

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
PARTITIONS = 3


def round_trip(broker, workdir, name, codec, idempotent, topic):
    client = CLIENTS[name]
    records = make_records(topic, PARTITIONS,
                           headers_per_partition=kcat.HEADERS_PER_PARTITION if name == "kcat" else None)
    offsets = produce_and_check(client, broker, topic, records, codec, idempotent, workdir,
                                create_partitions=PARTITIONS)
    problems = check_stored_batches(broker, topic, range(PARTITIONS), codec, idempotent, name)
    for reader in (client, CLIENTS[CROSS_READER[name]]):
        problems += read_and_check(reader, broker, topic, range(PARTITIONS), records, offsets, workdir,
                                   tag="read-by-" + reader.name)
    assert not problems, "\n".join(problems)


# sarama 1.22.1 sends zstd batches in Produce v3; Kafka accepts zstd only from Produce v7 and
# answers UNSUPPORTED_COMPRESSION_TYPE (sarama issue #1252, fixed in sarama 1.26). That pair is
# tested for Kafka's refusal instead (test_sarama_zstd_produce_is_refused_like_kafka).
MATRIX = [(n, c) for n in CLIENTS for c in CODECS if (n, c) != ("sarama", "zstd")]


@pytest.mark.parametrize("name,codec", MATRIX)
def test_round_trip(broker, workdir, name, codec):
    """Idempotent wherever the client has an idempotent producer (all but kafka-python 2.0.2)."""
    round_trip(broker, workdir, name, codec, CLIENTS[name].idempotent, "rt-%s-%s" % (name, codec))


def test_sarama_zstd_produce_is_refused_like_kafka(broker, workdir):
    """Produce v3 with a zstd batch: every record refused with UNSUPPORTED_COMPRESSION_TYPE (76),
    nothing written. sarama still reads zstd (test_reads_every_codec[sarama], Fetch v4: Kafka
    refuses that only when the topic's compression.type is zstd)."""
    topic = "rt-sarama-zstd-refused"
    records = make_records(topic, PARTITIONS)
    spec = produce_spec(broker.bootstrap, topic, records, "zstd", True, PARTITIONS)
    rc, result, log = CLIENTS["sarama"].run("produce", spec, workdir, "produce")
    assert result is not None, "sarama driver exited %s without a result:\n%s" % (rc, tail(log))
    refused = [e for e in result["errors"] if "compression type" in e["error"]]
    assert not result["acks"] and len(refused) == len(records), (
        "expected all %d records refused with UNSUPPORTED_COMPRESSION_TYPE; acked %d, errors: %s" % (
            len(records), len(result["acks"]), result["errors"][:5]))
    problems = read_and_check(CLIENTS["kcat"], broker, topic, range(PARTITIONS), [], {}, workdir)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", [n for n, c in CLIENTS.items() if c.idempotent])
def test_round_trip_not_idempotent(broker, workdir, name):
    """The plain producer path too (no producer id), for the clients that default to idempotence.
    Uncompressed, so that only the producer path differs from test_round_trip."""
    round_trip(broker, workdir, name, "none", False, "rt-%s-plain" % name)


@pytest.fixture(scope="module")
def mixed_topic(broker, run_dir):
    """One topic, one partition per codec, produced by confluent-kafka 2.16 (idempotent)."""
    workdir = run_dir / "mixed-topic"
    workdir.mkdir(exist_ok=True)
    topic = "mixed-codecs"
    records = make_records(topic, len(CODECS))
    producer = CLIENTS["confluent-venv"]
    offsets, codec_problems = {}, []
    for p, codec in enumerate(CODECS):
        part = [(i, r) for i, r in enumerate(records) if r.partition == p]
        got = produce_and_check(producer, broker, topic, [r for _, r in part], codec, True, workdir,
                                create_partitions=len(CODECS) if p == 0 else None, tag="produce-" + codec)
        offsets.update({i: got[j] for j, (i, _) in enumerate(part)})
        codec_problems += check_stored_batches(broker, topic, [p], codec, True, producer.name)
    return topic, records, offsets, codec_problems


def test_mixed_topic_stores_each_codec(mixed_topic):
    """The partitions the readers below read really hold batches in each codec."""
    problems = mixed_topic[3]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", list(CLIENTS))
def test_reads_every_codec(broker, workdir, mixed_topic, name):
    """Every client reads one partition per codec, all written by another client."""
    topic, records, offsets, _ = mixed_topic
    problems = read_and_check(CLIENTS[name], broker, topic, range(len(CODECS)), records, offsets, workdir)
    assert not problems, "\n".join(problems)

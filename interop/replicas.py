"""Offline comparison of one partition's replicas, from the nodes' log directories (as
kafka-dump-log would read them): every replica must hold the same batches, byte for byte, below
the smallest high watermark the nodes checkpointed (`replication-offset-checkpoint`, written at a
clean shutdown)."""
import struct
from pathlib import Path


def read_checkpoint(path):
    """{(topic, partition): offset} from a Kafka offset checkpoint file (version 0)."""
    lines = Path(path).read_text().splitlines()
    assert lines[0] == "0", "%s: version %r" % (path, lines[0])
    out = {}
    for line in lines[2:2 + int(lines[1])]:
        topic, partition, offset = line.rsplit(" ", 2)
        out[(topic, int(partition))] = int(offset)
    return out


def batches(partition_dir):
    """[(base offset, last offset, bytes)] of every batch in the partition's segments, in order."""
    out = []
    for segment in sorted(Path(partition_dir).glob("*.log")):
        data = segment.read_bytes()
        pos = 0
        while pos + 12 <= len(data):
            base, length = struct.unpack_from(">qi", data, pos)
            if length <= 0 or pos + 12 + length > len(data):
                break
            last_delta = struct.unpack_from(">i", data, pos + 23)[0]
            out.append((base, base + last_delta, data[pos:pos + 12 + length]))
            pos += 12 + length
    return out


def compare(data_dirs, topic, partition):
    """Problems found comparing the replicas of topic-partition in each of `data_dirs` below their
    smallest checkpointed high watermark; and that high watermark."""
    hws = [read_checkpoint(Path(d) / "replication-offset-checkpoint").get((topic, partition), 0) for d in data_dirs]
    hw = min(hws)
    logs = [[b for b in batches(Path(d) / ("%s-%d" % (topic, partition))) if b[1] < hw] for d in data_dirs]
    problems = []
    reference = logs[0]
    for d, log in zip(data_dirs[1:], logs[1:]):
        if len(log) != len(reference):
            problems.append("%s-%d: %s holds %d batches below %d, %s holds %d" % (
                topic, partition, data_dirs[0], len(reference), hw, d, len(log)))
            continue
        for a, b in zip(reference, log):
            if a != b:
                problems.append("%s-%d: the batch at offset %d differs between %s and %s" % (
                    topic, partition, a[0], data_dirs[0], d))
                break
    if reference and reference[-1][1] + 1 < hw:
        problems.append("%s-%d: the replicas end at %d, below the high watermark %d" % (
            topic, partition, reference[-1][1] + 1, hw))
    return problems, hw

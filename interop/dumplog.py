"""Replicas compared through `strom dump-log` (Kafka's kafka-dump-log.sh layout), offline, after a
clean stop: below the smallest high watermark the nodes checkpointed (replication-offset-checkpoint),
every replica of a partition must hold the same batches - the same base and last offsets, record
count, producer id, epoch and base sequence, partition leader epoch, size and CRC (which covers
every byte from the attributes on) - each with a valid CRC; and each replica's leader epoch
checkpoint must give every one of those batches the epoch the batch carries. interop/replicas.py
does the byte comparison."""
import re
import subprocess
from pathlib import Path

from broker import strom_binary

BATCH_FIELDS = ("baseOffset", "lastOffset", "count", "baseSequence", "producerId", "producerEpoch",
                "partitionLeaderEpoch", "size", "crc", "isvalid")


def dump(paths, *flags):
    """`strom dump-log --files PATHS FLAGS`: (standard output lines, standard error text)."""
    p = subprocess.run([str(strom_binary()), "dump-log", "--files", ",".join(str(x) for x in paths)] + list(flags),
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError("strom dump-log failed (exit %d): %s" % (p.returncode, p.stderr[-2000:]))
    return p.stdout.splitlines(), p.stderr


def parse_batch(line):
    """The fields of a batch line ("baseOffset: 0 lastOffset: 4 count: 5 ...") as a dict of strings."""
    return dict(re.findall(r"(\w+): (\S+)", line))


def batches(partition_dir):
    """[{field: value}] of every batch in a partition directory's segments, in offset order, and the
    "Found N invalid bytes" lines."""
    segments = sorted(Path(partition_dir).glob("*.log"))
    if not segments:
        return [], []
    lines, _ = dump(segments)
    out = [parse_batch(line) for line in lines if line.startswith("baseOffset: ")]
    return out, [line for line in lines if line.startswith("Found ")]


def checkpoint(path):
    """{(topic, partition): offset} of an offset checkpoint file, through dump-log."""
    if not Path(path).exists():
        return {}
    lines, _ = dump([path])
    out = {}
    for line in lines:
        m = re.fullmatch(r"topic: (\S+) partition: (\d+) offset: (\d+)", line)
        if m:
            out[(m.group(1), int(m.group(2)))] = int(m.group(3))
    return out


def epochs(partition_dir):
    """[(epoch, start offset)] of a partition's leader-epoch-checkpoint, through dump-log."""
    path = Path(partition_dir) / "leader-epoch-checkpoint"
    if not path.exists():
        return []
    lines, _ = dump([path])
    return [(int(m.group(1)), int(m.group(2))) for m in
            (re.fullmatch(r"epoch: (\d+) startOffset: (\d+)", line) for line in lines) if m]


def compare_replicas(data_dirs, topic, partition):
    """Problems found comparing the replicas of topic-partition in each of `data_dirs` below their
    smallest checkpointed high watermark; and that high watermark."""
    hw = min(checkpoint(Path(d) / "replication-offset-checkpoint").get((topic, partition), 0) for d in data_dirs)
    name = "%s-%d" % (topic, partition)
    problems = []
    logs = []
    for d in data_dirs:
        found, invalid = batches(Path(d) / name)
        for b in found:
            if b.get("isvalid") != "true":
                problems.append("%s: %s: the batch at offset %s has an invalid CRC" % (name, d, b.get("baseOffset")))
        if invalid:
            problems.append("%s: %s: %s" % (name, d, "; ".join(invalid)))
        below = [b for b in found if int(b["lastOffset"]) < hw]
        logs.append([tuple(b.get(f) for f in BATCH_FIELDS) for b in below])
        entries = epochs(Path(d) / name)
        wrong = []
        for b in below:
            base = int(b["baseOffset"])
            cached = next((e for e, start in reversed(entries) if start <= base), None)
            if cached != int(b["partitionLeaderEpoch"]):
                wrong.append((base, b["partitionLeaderEpoch"], cached))
        if wrong:
            problems.append("%s: %s: leader-epoch-checkpoint %s disagrees with the batches' epochs (offset, batch, checkpoint): %s" % (
                name, d, entries, wrong[:5]))
    reference = logs[0]
    for d, log in zip(data_dirs[1:], logs[1:]):
        if len(log) != len(reference):
            problems.append("%s: %s holds %d batches below %d, %s holds %d (dump-log)" % (
                name, data_dirs[0], len(reference), hw, d, len(log)))
        else:
            for a, b in zip(reference, log):
                if a != b:
                    problems.append("%s: the batch at offset %s differs between %s and %s (dump-log): %s / %s" % (
                        name, a[0], data_dirs[0], d, dict(zip(BATCH_FIELDS, a)), dict(zip(BATCH_FIELDS, b))))
                    break
    if reference and int(reference[-1][1]) + 1 < hw:
        problems.append("%s: the replicas end at %s, below the high watermark %d" % (name, int(reference[-1][1]) + 1, hw))
    return problems, hw

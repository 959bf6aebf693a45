"""Transaction version 2 (KIP-890 part 2) spoken by hand, for test_transactions.py: no client on
these machines speaks it (librdkafka 2.16 stops at EndTxn v1, kafka-python and aiokafka at v0-v3,
franz-go and the Java client are not installed), so these build the requests a Kafka 4.x producer
sends (InitProducerId, Produce v12, TxnOffsetCommit v5, EndTxn v5) from the raw-frame tools of
hostile.py. Layouts follow Kafka's schemas; each function returns what the test checks."""
import struct
import time

from hostile import W, call, crc32c, varint

TRANSACTIONAL = 0x10  # record batch attribute bit


def transactional_batch(pid, epoch, sequence, values):
    """A magic-2 transactional batch of `values` (bytes) for producer (pid, epoch) from `sequence`."""
    ts = int(time.time() * 1000)
    body = bytearray()
    for i, v in enumerate(values):
        rec = bytes([0]) + varint(0) + varint(i) + varint(-1) + varint(len(v)) + v + varint(0)
        body += varint(len(rec)) + rec
    after_crc = struct.pack(">hiqqqhii", TRANSACTIONAL, len(values) - 1, ts, ts, pid, epoch, sequence, len(values)) + bytes(body)
    after_length = struct.pack(">ibI", -1, 2, crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


def find_coordinator(port, key, key_type):
    """(error code, node id) from FindCoordinator v1."""
    r = call(port, 10, 1, W().string(key).i8(key_type).done())
    r.i32()
    error = r.i16()
    r.string()
    return error, r.i32()


def init_producer_id(port, transactional_id, timeout_ms=60000):
    """(error code, producer id, epoch) from InitProducerId v1."""
    r = call(port, 22, 1, W().string(transactional_id).i32(timeout_ms).done())
    r.i32()
    return r.i16(), r.i64(), r.i16()


def produce_v12(port, transactional_id, topic, partition, batch):
    """The partition's error code from a transactional Produce v12 (acks=all)."""
    w = W(flex=True).string(transactional_id).i16(-1).i32(30000)
    w.array([topic], lambda w, t: w.string(t).array([partition], lambda w, p: w.i32(p).bytes_(batch).tags()).tags())
    r = call(port, 0, 12, w.tags().done(), timeout=40.0)
    assert r.count() == 1
    r.string()
    assert r.count() == 1
    r.i32()
    return r.i16()


def txn_offset_commit_v5(port, transactional_id, group, pid, epoch, topic, partition, offset):
    """The partition's error code from TxnOffsetCommit v5 (no group membership: generation -1)."""
    w = W(flex=True).string(transactional_id).string(group).i64(pid).i16(epoch).i32(-1).string("").string(None)
    w.array([topic], lambda w, t: w.string(t).array(
        [partition], lambda w, p: w.i32(p).i64(offset).i32(-1).string(None).tags()).tags())
    r = call(port, 28, 5, w.tags().done(), timeout=40.0)
    r.i32()
    assert r.count() == 1
    r.string()
    assert r.count() == 1
    r.i32()
    return r.i16()


def end_txn_v5(port, transactional_id, pid, epoch, commit):
    """(error code, producer id, epoch) from EndTxn v5: the id and epoch to go on with."""
    r = call(port, 26, 5, W(flex=True).string(transactional_id).i64(pid).i16(epoch).bool(commit).tags().done(), timeout=40.0)
    r.i32()
    return r.i16(), r.i64(), r.i16()


def committed_offset(port, group, topic, partition):
    """(error code, offset) of the group's committed offset from OffsetFetch v1."""
    w = W().string(group).array([topic], lambda w, t: w.string(t).array([partition], lambda w, p: w.i32(p)))
    r = call(port, 9, 1, w.done())
    assert r.count() == 1
    r.string()
    assert r.count() == 1
    r.i32()
    offset = r.i64()
    r.string()
    return r.i16(), offset

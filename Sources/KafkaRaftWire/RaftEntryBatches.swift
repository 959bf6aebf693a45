import KafkaProtocol
import KafkaRaft
import KafkaRecords
import NIOCore

/// `__cluster_metadata` log entries as Kafka record batches.
///
/// Format: consecutive data entries of one epoch form one batch (magic 2, partition leader epoch = the
/// entry epoch, no compression); each record has a null key and the entry payload (a metadata record
/// frame) as value. A control entry is alone in a control batch whose record has key (version 0,
/// LEADER_CHANGE) and a `LeaderChangeMessage` value, as Kafka's leader writes at the start of its epoch.
/// Invariant: `decode(encode(entries))` gives back the entries' epochs, kinds and data payloads; a
/// control entry decodes with its control record (key and value bytes) as payload.
public struct RaftEntryBatches: Sendable {
    /// Who is writing: fills the LeaderChangeMessage of a control entry created by this replica.
    public var localID: Int32
    public var voters: [Int32]

    public init(localID: Int32, voters: [Int32]) {
        self.localID = localID
        self.voters = voters
    }

    /// Batches for `entries`, the first at `baseOffset`, grouped as described above; each group is
    /// returned with its epoch so a log can append it at that leader epoch.
    public func encode(_ entries: [RaftEntry], baseOffset: Int64, now: Int64) throws -> [(epoch: Int32, batch: ByteBuffer)] {
        var out: [(Int32, ByteBuffer)] = []
        var index = 0
        var offset = baseOffset
        while index < entries.count {
            let first = entries[index]
            var builder = RecordBatchBuilder(baseOffset: offset, partitionLeaderEpoch: first.epoch)
            if first.isControl {
                builder.append(try controlRecord(for: first), timestamp: now)
                index += 1
            } else {
                while index < entries.count, !entries[index].isControl, entries[index].epoch == first.epoch {
                    builder.append(timestamp: now, key: nil, value: entries[index].payload)
                    index += 1
                }
            }
            offset += Int64(builder.count)
            out.append((first.epoch, try builder.build().bytes))
        }
        return out
    }

    /// All groups of `encode` concatenated: the `Records` of a Fetch response.
    public func encodeContiguous(_ entries: [RaftEntry], baseOffset: Int64, now: Int64) throws -> ByteBuffer {
        var out = ByteBuffer()
        for (_, batch) in try encode(entries, baseOffset: baseOffset, now: now) {
            var b = batch
            out.writeBuffer(&b)
        }
        return out
    }

    /// The entries in `records` (whole batches, CRCs checked) and the base offset of the first.
    /// A batch that does not continue at the previous one's next offset is refused.
    public static func decode(_ records: ByteBuffer) throws -> (baseOffset: Int64, entries: [RaftEntry]) {
        var reader = RecordBatchReader(records)
        var entries: [RaftEntry] = []
        var base: Int64?
        var next: Int64 = 0
        while let batch = try reader.next() {
            try batch.verifyCRC()
            let header = batch.header
            if base == nil { base = header.baseOffset } else if header.baseOffset != next {
                throw RaftWire.DecodeError("batch at offset \(header.baseOffset) does not follow the previous one (expected \(next))")
            }
            let records = try batch.decodeRecords(decompressionLimit: 64 << 20)
            for record in records {
                if header.attributes.isControl {
                    entries.append(RaftEntry(epoch: header.partitionLeaderEpoch, isControl: true,
                                             payload: (record.key ?? []) + (record.value ?? [])))
                } else {
                    entries.append(RaftEntry(epoch: header.partitionLeaderEpoch, payload: record.value ?? []))
                }
            }
            next = header.baseOffset + Int64(records.count)
        }
        return (base ?? 0, entries)
    }

    private func controlRecord(for entry: RaftEntry) throws -> ControlRecord {
        if entry.payload.count >= ControlRecord.keySize {
            // A control record read from another replica: keep its key and value as written.
            let key = Array(entry.payload.prefix(ControlRecord.keySize))
            let type = Int16(bitPattern: UInt16(key[2]) << 8 | UInt16(key[3]))
            let version = Int16(bitPattern: UInt16(key[0]) << 8 | UInt16(key[1]))
            return ControlRecord(type: ControlRecordType(rawValue: type), version: version,
                                 value: .raw(Array(entry.payload.dropFirst(ControlRecord.keySize))))
        }
        var message = LeaderChangeMessage()
        message.version = 0
        message.leaderID = localID
        message.voters = voters.map { LeaderChangeMessage.Voter(voterID: $0) }
        message.grantingVoters = message.voters
        return try KRaftControlRecord.leaderChange(message).controlRecord()
    }
}

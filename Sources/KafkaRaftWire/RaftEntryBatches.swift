import KafkaProtocol
import KafkaRaft
import KafkaRecords
import NIOCore

/// `__cluster_metadata` log entries as Kafka record batches.
///
/// Format: consecutive data entries of one epoch form one batch (magic 2, partition leader epoch = the
/// entry epoch, no compression); each record has a null key and the entry payload (a metadata record
/// frame) as value. A control entry is alone in a control batch holding its KRaft control record
/// (`KRaftControlRecord`, values in version 0): `.leaderChange` as LEADER_CHANGE (`LeaderChangeMessage`),
/// `.kraftVersion` as KRAFT_VERSION (`KRaftVersionRecord`), `.voters` as KRAFT_VOTERS (`VotersRecord`).
/// Invariant: `decode(encode(entries)) == entries`, except directory ids in a leader change (version 0
/// of `LeaderChangeMessage` has none; they decode as zero).
public struct RaftEntryBatches: Sendable {
    public init() {}

    /// Batches for `entries`, the first at `baseOffset`, grouped as described above; each group is
    /// returned with its epoch so a log can append it at that leader epoch.
    public func encode(_ entries: [RaftEntry], baseOffset: Int64, now: Int64) throws -> [(epoch: Int32, batch: ByteBuffer)] {
        var out: [(Int32, ByteBuffer)] = []
        var index = 0
        var offset = baseOffset
        while index < entries.count {
            let first = entries[index]
            var builder = RecordBatchBuilder(baseOffset: offset, partitionLeaderEpoch: first.epoch)
            if let control = first.control {
                builder = RecordBatchBuilder(baseOffset: offset, partitionLeaderEpoch: first.epoch, isControl: true)
                builder.append(try Self.kraftRecord(for: control).controlRecord(), timestamp: now)
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
                    let parsed: KRaftControlRecord
                    do { parsed = try KRaftControlRecord(parsing: record) } catch {
                        throw RaftWire.DecodeError("control record at offset \(header.baseOffset): \(error)")
                    }
                    entries.append(RaftEntry(epoch: header.partitionLeaderEpoch, control: try Self.raftControl(parsed)))
                } else {
                    entries.append(RaftEntry(epoch: header.partitionLeaderEpoch, payload: record.value ?? []))
                }
            }
            let (end, overflow) = header.baseOffset.addingReportingOverflow(Int64(records.count))
            guard !overflow else { throw RaftWire.DecodeError("batch at offset \(header.baseOffset) runs past the largest offset") }
            next = end
        }
        return (base ?? 0, entries)
    }

    /// The Kafka control record for a core control entry.
    public static func kraftRecord(for control: RaftControlRecord) -> KRaftControlRecord {
        switch control {
        case .leaderChange(let change):
            var message = LeaderChangeMessage()
            message.version = 0
            message.leaderID = change.leaderID
            message.voters = change.voters.map { LeaderChangeMessage.Voter(voterID: $0.id) }
            message.grantingVoters = change.grantingVoters.map { LeaderChangeMessage.Voter(voterID: $0.id) }
            return .leaderChange(message)
        case .kraftVersion(let level):
            var record = KRaftVersionRecord()
            record.version = 0
            record.kRaftVersion = level
            return .kraftVersion(record)
        case .voters(let set):
            var record = VotersRecord()
            record.version = 0
            record.voters = set.voterList.map { voter in
                var out = VotersRecord.Voter()
                out.voterID = voter.voterID
                out.voterDirectoryID = KafkaUUID(mostSignificantBits: voter.voterDirectoryID.mostSignificantBits,
                                                 leastSignificantBits: voter.voterDirectoryID.leastSignificantBits)
                out.endpoints = voter.endpoints.map { endpoint in
                    var wire = VotersRecord.Voter.Endpoint()
                    wire.name = endpoint.name
                    wire.host = endpoint.host
                    wire.port = endpoint.port
                    return wire
                }
                out.kRaftVersionFeature.minSupportedVersion = voter.kraftVersionFeature.minSupportedVersion
                out.kRaftVersionFeature.maxSupportedVersion = voter.kraftVersionFeature.maxSupportedVersion
                return out
            }
            return .voters(record)
        }
    }

    /// The core control entry for a Kafka control record of the log; snapshot header and footer belong in
    /// checkpoint files only.
    public static func raftControl(_ record: KRaftControlRecord) throws -> RaftControlRecord {
        switch record {
        case .leaderChange(let message):
            func keys(_ voters: [LeaderChangeMessage.Voter]) -> [ReplicaKey] {
                voters.map { ReplicaKey(id: $0.voterID, directoryID: DirectoryID(
                    mostSignificantBits: $0.voterDirectoryID.mostSignificantBits,
                    leastSignificantBits: $0.voterDirectoryID.leastSignificantBits)) }
            }
            return .leaderChange(LeaderChange(leaderID: message.leaderID, voters: keys(message.voters),
                                              grantingVoters: keys(message.grantingVoters)))
        case .kraftVersion(let record):
            return .kraftVersion(record.kRaftVersion)
        case .voters(let record):
            // Replica ids are never negative; a set naming one is refused before any core sees it.
            guard record.voters.allSatisfy({ $0.voterID >= 0 }) else {
                throw RaftWire.DecodeError("a voters record with a negative voter id")
            }
            return .voters(VoterSet(voters: record.voters.map { voter in
                VoterSet.Voter(
                    voterID: voter.voterID,
                    voterDirectoryID: DirectoryID(mostSignificantBits: voter.voterDirectoryID.mostSignificantBits,
                                                  leastSignificantBits: voter.voterDirectoryID.leastSignificantBits),
                    endpoints: voter.endpoints.map { VoterSet.Endpoint(name: $0.name, host: $0.host, port: $0.port) },
                    kraftVersionFeature: VoterSet.KRaftVersionRange(
                        minSupportedVersion: voter.kRaftVersionFeature.minSupportedVersion,
                        maxSupportedVersion: voter.kRaftVersionFeature.maxSupportedVersion))
            }))
        case .snapshotHeader, .snapshotFooter:
            throw RaftWire.DecodeError("a snapshot \(record.type) control record in the log")
        }
    }
}

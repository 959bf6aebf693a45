import KafkaProtocol
import KafkaRaft
@testable import KafkaRaftWire
import KafkaRecords
import NIOCore
import Testing

/// Core messages survive the trip through Kafka's wire messages in the versions Strom sends.
@Suite struct RaftWireRoundTripTests {
    let codec = RaftEntryBatches()

    /// Encodes the request frame, strips the size and header, decodes it as the server would.
    private func serverSide(_ message: RaftMessage) throws -> (source: Int32, message: RaftMessage) {
        let out = try RaftWire.outbound(message, destination: 2, entries: codec)
        var frame = try out.frame(7, "strom-1")
        #expect(frame.readInteger(as: Int32.self) == Int32(frame.readableBytes))
        let request = try RequestFrame(parsing: frame)
        #expect(request.header.correlationID == 7)
        #expect(request.apiVersion == out.version)
        switch out.apiKey {
        case .vote: return try RaftWire.inbound(KafkaProtocol.VoteRequest.decodeExactly(request.body, version: out.version))
        case .beginQuorumEpoch:
            return try RaftWire.inbound(KafkaProtocol.BeginQuorumEpochRequest.decodeExactly(request.body, version: out.version))
        case .endQuorumEpoch:
            return try RaftWire.inbound(KafkaProtocol.EndQuorumEpochRequest.decodeExactly(request.body, version: out.version))
        case .fetch:
            return try RaftWire.inbound(KafkaProtocol.FetchRequest.decodeExactly(request.body, version: out.version), version: out.version)
        default:
            Issue.record("unexpected API \(out.apiKey)")
            return (-1, message)
        }
    }

    @Test(arguments: [false, true]) func voteRequest(preVote: Bool) throws {
        let m = RaftMessage.voteRequest(.init(clusterID: "c", voterID: 2, candidateEpoch: 5, candidateID: 1,
                                              lastOffsetEpoch: 4, lastOffset: 99, preVote: preVote))
        let back = try serverSide(m)
        #expect(back.source == 1)
        #expect(back.message == m)
    }

    @Test func quorumEpochRequests() throws {
        let begin = RaftMessage.beginQuorumEpochRequest(.init(clusterID: "c", voterID: 2, leaderID: 3, leaderEpoch: 9))
        let b = try serverSide(begin)
        #expect(b.source == 3 && b.message == begin)
        let end = RaftMessage.endQuorumEpochRequest(.init(clusterID: nil, leaderID: 3, leaderEpoch: 9, preferredSuccessors: [2, 1]))
        let e = try serverSide(end)
        #expect(e.source == 3 && e.message == end)
    }

    @Test func fetchRequest() throws {
        let m = RaftMessage.fetchRequest(.init(clusterID: "c", replicaID: 2, maxWaitMs: 500, currentLeaderEpoch: 4,
                                               fetchOffset: 17, lastFetchedEpoch: 3))
        let f = try serverSide(m)
        #expect(f.source == 2 && f.message == m)
    }

    private let someFetch = RaftMessage.fetchRequest(.init(replicaID: 2, maxWaitMs: 0, currentLeaderEpoch: 4, fetchOffset: 10,
                                                           lastFetchedEpoch: 3))

    @Test func fetchResponseCarriesEntriesAsBatches() throws {
        let voters = [ReplicaKey(id: 1), ReplicaKey(id: 2), ReplicaKey(id: 3)]
        let leaderChange = RaftControlRecord.leaderChange(LeaderChange(leaderID: 1, voters: voters,
                                                                       grantingVoters: Array(voters.prefix(2))))
        let entries = [RaftEntry(epoch: 3, control: leaderChange),
                       RaftEntry(epoch: 3, payload: [1, 2, 3]), RaftEntry(epoch: 3, payload: [4]),
                       RaftEntry(epoch: 4, payload: [5, 6])]
        let m = KafkaRaft.FetchResponse(errorCode: .none, highWatermark: 12, logStartOffset: 0, leaderID: 1, leaderEpoch: 4,
                                        recordsBaseOffset: 10, records: entries)
        let bytes = try RaftWire.fetchResponse(m, entries: codec, now: 1000).encoded(version: RaftWire.fetchVersion)
        let back = try RaftWire.response(to: someFetch, version: RaftWire.fetchVersion, body: bytes)
        guard case .fetchResponse(let f) = back else { Issue.record("not a fetch response"); return }
        #expect(f.recordsBaseOffset == 10)
        #expect(f.highWatermark == 12 && f.leaderID == 1 && f.leaderEpoch == 4)
        #expect(f.records.map(\.epoch) == [3, 3, 3, 4])
        #expect(f.records.map { $0.isControl } == [true, false, false, false])
        #expect(f.records.dropFirst().map { $0.payload } == [[1, 2, 3], [4], [5, 6]])
        #expect(f.records[0].control == leaderChange)
        // On the wire it is Kafka's LEADER_CHANGE control record: key version 0, type 2.
        let batches = try codec.encode(Array(entries.prefix(1)), baseOffset: 10, now: 1000)
        var reader = RecordBatchReader(batches[0].batch)
        let batch = try #require(try reader.next())
        #expect(batch.header.isControl)
        let record = try #require(try batch.decodeRecords(decompressionLimit: 1 << 20).first)
        #expect(record.key.map { Array($0.prefix(4)) } == [0, 0, 0, 2])
        let again = try RaftEntryBatches.decode(codec.encodeContiguous(f.records, baseOffset: 10, now: 1000))
        #expect(again.entries == f.records)
        #expect(again.baseOffset == 10)
    }

    /// KIP-853's control entries as KRAFT_VERSION (5) and KRAFT_VOTERS (6) records, back unchanged.
    @Test func kraftVersionAndVotersEntriesRoundTrip() throws {
        let directory = DirectoryID(mostSignificantBits: 7, leastSignificantBits: 9)
        let set = VoterSet(voters: [
            .init(voterID: 1, endpoints: [.init(name: "CONTROLLER", host: "h1", port: 9093)]),
            .init(voterID: 4, voterDirectoryID: directory, endpoints: [.init(name: "CONTROLLER", host: "h4", port: 19093)],
                  kraftVersionFeature: .init(minSupportedVersion: 0, maxSupportedVersion: 1)),
        ])
        let entries = [RaftEntry(epoch: 2, control: .kraftVersion(1)), RaftEntry(epoch: 2, control: .voters(set))]
        let batches = try codec.encode(entries, baseOffset: 5, now: 1)
        #expect(batches.count == 2)
        var types: [[UInt8]] = []
        for (_, bytes) in batches {
            var reader = RecordBatchReader(bytes)
            let batch = try #require(try reader.next())
            #expect(batch.header.isControl)
            types += try batch.decodeRecords(decompressionLimit: 1 << 20).map { Array(($0.key ?? []).prefix(4)) }
        }
        #expect(types == [[0, 0, 0, 5], [0, 0, 0, 6]])
        let back = try RaftEntryBatches.decode(codec.encodeContiguous(entries, baseOffset: 5, now: 1))
        #expect(back.entries == entries)
        #expect(back.baseOffset == 5)
    }

    /// Entries from a leader are decoded before any core checks them: a voter set with a negative id
    /// or a batch whose offsets run past Int64.max is refused, not adopted or trapped on.
    @Test func impossibleControlEntriesAndOffsetsAreRefused() throws {
        let negative = [RaftEntry(epoch: 1, control: .voters(VoterSet([1, -3])))]
        #expect(throws: RaftWire.DecodeError.self) {
            _ = try RaftEntryBatches.decode(codec.encodeContiguous(negative, baseOffset: 0, now: 1))
        }
        let last = [RaftEntry(epoch: 1, payload: [1]), RaftEntry(epoch: 1, payload: [2])]
        // The base offset is outside the CRC: patch it into a batch written at 0.
        var bytes = try codec.encodeContiguous(last, baseOffset: 0, now: 1)
        bytes.setInteger(Int64.max - 1, at: bytes.readerIndex)
        #expect(throws: RaftWire.DecodeError.self) { _ = try RaftEntryBatches.decode(bytes) }
    }

    @Test func divergingEpochAndErrors() throws {
        let m = KafkaRaft.FetchResponse(errorCode: .fencedLeaderEpoch, highWatermark: 5, logStartOffset: 0,
                                        divergingEpoch: .init(epoch: 2, endOffset: 40), leaderID: 3, leaderEpoch: 6)
        let bytes = try RaftWire.fetchResponse(m, entries: codec, now: 0).encoded(version: 17)
        #expect(try RaftWire.response(to: someFetch, version: 17, body: bytes) == .fetchResponse(m))
        let vote = KafkaRaft.VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: 5, voteGranted: true)
        let voteBytes = try RaftWire.voteResponse(vote).encoded(version: 2)
        let sent = RaftMessage.voteRequest(.init(candidateEpoch: 5, candidateID: 1, lastOffsetEpoch: 0, lastOffset: 0))
        #expect(try RaftWire.response(to: sent, version: 2, body: voteBytes) == .voteResponse(vote))
    }

    @Test func quorumRequestForAnotherPartitionIsRefused() throws {
        var body = KafkaProtocol.BeginQuorumEpochRequest()
        body.topics = [.init(topicName: "other", partitions: [.init(partitionIndex: 0, leaderID: 1, leaderEpoch: 1)])]
        #expect(throws: RaftWire.DecodeError.self) { try RaftWire.inbound(body) }
    }

    @Test func voteV2PreVoteCannotBeSentInV1() throws {
        var r = RaftWire.voteRequest(.init(candidateEpoch: 1, candidateID: 1, lastOffsetEpoch: 0, lastOffset: 0, preVote: true))
        #expect(throws: ProtocolError.self) { try r.encoded(version: 1) }
        r.topics[0].partitions[0].preVote = false
        let v1 = try r.encoded(version: 1)
        #expect(try KafkaProtocol.VoteRequest.decodeExactly(v1, version: 1) == r)
        // v2 is v1 plus one PreVote byte before the partition's tagged fields.
        let v2 = try r.encoded(version: 2)
        #expect(v2.readableBytes == v1.readableBytes + 1)
        #expect(try KafkaProtocol.VoteRequest.decodeExactly(v2, version: 2) == r)
    }
}

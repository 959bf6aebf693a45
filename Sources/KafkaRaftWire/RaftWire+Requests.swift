import KafkaProtocol
import KafkaRaft
import NIOCore

/// Outbound quorum requests: a core `RaftMessage` request as the generated wire message, in the version
/// this replica sends (Vote v2 for KIP-996 pre-votes, BeginQuorumEpoch v1, EndQuorumEpoch v1, Fetch v17).
extension RaftWire {
    public static let voteVersion: Int16 = 2
    public static let beginQuorumEpochVersion: Int16 = 1
    public static let endQuorumEpochVersion: Int16 = 1
    public static let fetchVersion: Int16 = 17

    /// A request ready to frame: its API key, version and framed bytes for a correlation id.
    public struct OutboundRequest: Sendable {
        public var apiKey: APIKey
        public var version: Int16
        public var frame: @Sendable (_ correlationID: Int32, _ clientID: String?) throws -> ByteBuffer
    }

    public static func outbound(_ message: RaftMessage, destination: Int32, entries: RaftEntryBatches) throws -> OutboundRequest {
        switch message {
        case .voteRequest(let r):
            return make(voteRequest(r), version: voteVersion)
        case .beginQuorumEpochRequest(let r):
            var body = KafkaProtocol.BeginQuorumEpochRequest()
            body.clusterID = r.clusterID
            body.voterID = r.voterID >= 0 ? r.voterID : destination
            body.topics = [.init(topicName: metadataTopic, partitions: [
                .init(partitionIndex: metadataPartition, leaderID: r.leaderID, leaderEpoch: r.leaderEpoch),
            ])]
            return make(body, version: beginQuorumEpochVersion)
        case .endQuorumEpochRequest(let r):
            var body = KafkaProtocol.EndQuorumEpochRequest()
            body.clusterID = r.clusterID
            var partition = KafkaProtocol.EndQuorumEpochRequest.TopicData.PartitionData()
            partition.partitionIndex = metadataPartition
            partition.leaderID = r.leaderID
            partition.leaderEpoch = r.leaderEpoch
            partition.preferredSuccessors = r.preferredSuccessors
            partition.preferredCandidates = r.preferredSuccessors.map { .init(candidateID: $0) }
            body.topics = [.init(topicName: metadataTopic, partitions: [partition])]
            return make(body, version: endQuorumEpochVersion)
        case .fetchRequest(let r):
            return make(fetchRequest(r), version: fetchVersion)
        case .fetchSnapshotRequest(let r):
            return make(fetchSnapshotRequest(r), version: fetchSnapshotVersion)
        case .updateRaftVoterRequest(let r):
            return make(updateRaftVoterRequest(r), version: voterRPCVersion)
        default:
            throw DecodeError("\(message) is not a request")
        }
    }

    static func voteRequest(_ r: KafkaRaft.VoteRequest) -> KafkaProtocol.VoteRequest {
        var body = KafkaProtocol.VoteRequest()
        body.clusterID = r.clusterID
        body.voterID = r.voterID
        body.topics = [.init(topicName: metadataTopic, partitions: [
            .init(partitionIndex: metadataPartition, candidateEpoch: r.candidateEpoch, candidateID: r.candidateID,
                  lastOffsetEpoch: r.lastOffsetEpoch, lastOffset: r.lastOffset, preVote: r.preVote),
        ])]
        return body
    }

    static func fetchRequest(_ r: KafkaRaft.FetchRequest) -> KafkaProtocol.FetchRequest {
        var body = KafkaProtocol.FetchRequest()
        body.clusterID = r.clusterID
        // v15+ names the fetcher in ReplicaState only (the top-level ReplicaId must stay -1).
        body.replicaState.replicaID = r.replicaID
        body.replicaState.replicaEpoch = -1
        body.maxWaitMs = Int32(clamping: r.maxWaitMs)
        body.minBytes = 0
        body.maxBytes = 8 << 20
        var partition = KafkaProtocol.FetchRequest.FetchTopic.FetchPartition()
        partition.partition = metadataPartition
        partition.currentLeaderEpoch = r.currentLeaderEpoch
        partition.fetchOffset = r.fetchOffset
        partition.lastFetchedEpoch = r.lastFetchedEpoch
        partition.logStartOffset = -1
        partition.partitionMaxBytes = 8 << 20
        body.topics = [.init(topic: metadataTopic, topicID: metadataTopicUUID, partitions: [partition])]
        return body
    }

    public static var metadataTopicUUID: KafkaUUID { KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 1) }

    private static func make<R: KafkaRequestMessage>(_ body: R, version: Int16) -> OutboundRequest {
        OutboundRequest(apiKey: R.apiKey, version: version) { correlationID, clientID in
            try body.encodeFrame(version: version, correlationID: correlationID, clientID: clientID)
        }
    }

    /// Decodes the response body (after the response header) to the request `sent`, as a core message.
    public static func response(to sent: RaftMessage, version: Int16, body: ByteBuffer) throws -> RaftMessage {
        switch sent {
        case .voteRequest:
            let r = try KafkaProtocol.VoteResponse.decodeExactly(body, version: version)
            let p = r.topics.first?.partitions.first
            return .voteResponse(KafkaRaft.VoteResponse(
                errorCode: code(r.errorCode, p?.errorCode), leaderID: p?.leaderID ?? -1,
                leaderEpoch: p?.leaderEpoch ?? -1, voteGranted: r.errorCode == 0 && (p?.voteGranted ?? false)))
        case .beginQuorumEpochRequest:
            let r = try KafkaProtocol.BeginQuorumEpochResponse.decodeExactly(body, version: version)
            let p = r.topics.first?.partitions.first
            return .beginQuorumEpochResponse(KafkaRaft.BeginQuorumEpochResponse(
                errorCode: code(r.errorCode, p?.errorCode), leaderID: p?.leaderID ?? -1, leaderEpoch: p?.leaderEpoch ?? -1))
        case .endQuorumEpochRequest:
            let r = try KafkaProtocol.EndQuorumEpochResponse.decodeExactly(body, version: version)
            let p = r.topics.first?.partitions.first
            return .endQuorumEpochResponse(KafkaRaft.EndQuorumEpochResponse(
                errorCode: code(r.errorCode, p?.errorCode), leaderID: p?.leaderID ?? -1, leaderEpoch: p?.leaderEpoch ?? -1))
        case .fetchRequest:
            return .fetchResponse(try fetchResponse(KafkaProtocol.FetchResponse.decodeExactly(body, version: version)))
        case .fetchSnapshotRequest(let r):
            return .fetchSnapshotResponse(fetchSnapshotResponse(try KafkaProtocol.FetchSnapshotResponse.decodeExactly(body, version: version), to: r))
        case .updateRaftVoterRequest:
            return .updateRaftVoterResponse(updateRaftVoterResponse(try KafkaProtocol.UpdateRaftVoterResponse.decodeExactly(body, version: version)))
        default:
            throw DecodeError("\(sent) is not a request")
        }
    }

    /// The top-level error when set, else the partition's; a missing partition is INVALID_REQUEST-like.
    static func code(_ top: Int16, _ partition: Int16?) -> RaftErrorCode {
        if top != 0 { return RaftErrorCode(rawValue: top) }
        guard let partition else { return .invalidRequest }
        return RaftErrorCode(rawValue: partition)
    }

    static func fetchResponse(_ r: KafkaProtocol.FetchResponse) throws -> KafkaRaft.FetchResponse {
        guard r.errorCode == 0, let p = r.responses.first?.partitions.first else {
            return KafkaRaft.FetchResponse(errorCode: code(r.errorCode, nil), highWatermark: -1, leaderID: -1, leaderEpoch: -1)
        }
        var out = KafkaRaft.FetchResponse(errorCode: RaftErrorCode(rawValue: p.errorCode), highWatermark: p.highWatermark,
                                          logStartOffset: p.logStartOffset, leaderID: p.currentLeader.leaderID,
                                          leaderEpoch: p.currentLeader.leaderEpoch)
        if p.divergingEpoch.epoch >= 0 {
            out.divergingEpoch = .init(epoch: p.divergingEpoch.epoch, endOffset: p.divergingEpoch.endOffset)
        }
        if p.snapshotID.endOffset >= 0 && p.snapshotID.epoch >= 0 {
            out.snapshotID = OffsetAndEpoch(offset: p.snapshotID.endOffset, epoch: p.snapshotID.epoch)
        }
        if let records = p.records, records.readableBytes > 0 {
            let decoded = try RaftEntryBatches.decode(records)
            out.recordsBaseOffset = decoded.baseOffset
            out.records = decoded.entries
        }
        return out
    }
}

import KafkaProtocol
import KafkaRaft
import NIOCore

/// Inbound quorum requests: the generated wire request as a core message with the replica that sent it,
/// and the core's answer as the generated response. A request that does not name exactly
/// `__cluster_metadata-0` is refused with `DecodeError` (the handler answers INVALID_REQUEST).
extension RaftWire {
    public static func inbound(_ r: KafkaProtocol.VoteRequest) throws -> (source: Int32, message: RaftMessage) {
        let p = try single(r.topics.map { ($0.topicName, $0.partitions.map(\.partitionIndex)) }, r.topics.first?.partitions.first)
        return (p.candidateID, .voteRequest(KafkaRaft.VoteRequest(
            clusterID: r.clusterID, voterID: r.voterID, candidateEpoch: p.candidateEpoch, candidateID: p.candidateID,
            lastOffsetEpoch: p.lastOffsetEpoch, lastOffset: p.lastOffset, preVote: p.preVote)))
    }

    public static func inbound(_ r: KafkaProtocol.BeginQuorumEpochRequest) throws -> (source: Int32, message: RaftMessage) {
        let p = try single(r.topics.map { ($0.topicName, $0.partitions.map(\.partitionIndex)) }, r.topics.first?.partitions.first)
        return (p.leaderID, .beginQuorumEpochRequest(KafkaRaft.BeginQuorumEpochRequest(
            clusterID: r.clusterID, voterID: r.voterID, leaderID: p.leaderID, leaderEpoch: p.leaderEpoch)))
    }

    public static func inbound(_ r: KafkaProtocol.EndQuorumEpochRequest) throws -> (source: Int32, message: RaftMessage) {
        let p = try single(r.topics.map { ($0.topicName, $0.partitions.map(\.partitionIndex)) }, r.topics.first?.partitions.first)
        let successors = p.preferredCandidates.isEmpty ? p.preferredSuccessors : p.preferredCandidates.map(\.candidateID)
        return (p.leaderID, .endQuorumEpochRequest(KafkaRaft.EndQuorumEpochRequest(
            clusterID: r.clusterID, leaderID: p.leaderID, leaderEpoch: p.leaderEpoch, preferredSuccessors: successors)))
    }

    /// A Fetch from another replica (v13+ names the topic by id, earlier versions by name).
    public static func inbound(_ r: KafkaProtocol.FetchRequest, version: Int16) throws -> (source: Int32, message: RaftMessage) {
        guard r.topics.count == 1, let topic = r.topics.first, topic.partitions.count == 1,
              let p = topic.partitions.first, p.partition == metadataPartition,
              version >= 13 ? topic.topicID == metadataTopicUUID : topic.topic == metadataTopic else {
            throw DecodeError("a quorum Fetch must name only \(metadataTopic)-\(metadataPartition)")
        }
        let replica = version >= 15 ? r.replicaState.replicaID : r.replicaID
        return (replica, .fetchRequest(KafkaRaft.FetchRequest(
            clusterID: r.clusterID, replicaID: replica, maxWaitMs: Int64(r.maxWaitMs), currentLeaderEpoch: p.currentLeaderEpoch,
            fetchOffset: p.fetchOffset, lastFetchedEpoch: p.lastFetchedEpoch, highWatermark: version >= 18 ? p.highWatermark : .max)))
    }

    private static func single<P>(_ topics: [(String, [Int32])], _ partition: P?) throws -> P {
        guard topics.count == 1, topics[0].0 == metadataTopic, topics[0].1 == [metadataPartition], let partition else {
            throw DecodeError("a quorum request must name only \(metadataTopic)-\(metadataPartition)")
        }
        return partition
    }

    // MARK: answers

    public static func voteResponse(_ m: KafkaRaft.VoteResponse) -> KafkaProtocol.VoteResponse {
        var r = KafkaProtocol.VoteResponse()
        r.topics = [.init(topicName: metadataTopic, partitions: [
            .init(partitionIndex: metadataPartition, errorCode: m.errorCode.rawValue, leaderID: m.leaderID,
                  leaderEpoch: m.leaderEpoch, voteGranted: m.voteGranted),
        ])]
        return r
    }

    public static func beginQuorumEpochResponse(_ m: KafkaRaft.BeginQuorumEpochResponse) -> KafkaProtocol.BeginQuorumEpochResponse {
        var r = KafkaProtocol.BeginQuorumEpochResponse()
        r.topics = [.init(topicName: metadataTopic, partitions: [
            .init(partitionIndex: metadataPartition, errorCode: m.errorCode.rawValue, leaderID: m.leaderID, leaderEpoch: m.leaderEpoch),
        ])]
        return r
    }

    public static func endQuorumEpochResponse(_ m: KafkaRaft.EndQuorumEpochResponse) -> KafkaProtocol.EndQuorumEpochResponse {
        var r = KafkaProtocol.EndQuorumEpochResponse()
        r.topics = [.init(topicName: metadataTopic, partitions: [
            .init(partitionIndex: metadataPartition, errorCode: m.errorCode.rawValue, leaderID: m.leaderID, leaderEpoch: m.leaderEpoch),
        ])]
        return r
    }

    /// A top-level error for a request that could not be read as a quorum request.
    public static func fetchError(_ code: RaftErrorCode) -> KafkaProtocol.FetchResponse {
        var r = KafkaProtocol.FetchResponse()
        r.errorCode = code.rawValue
        return r
    }

    public static func fetchResponse(_ m: KafkaRaft.FetchResponse, entries: RaftEntryBatches, now: Int64) throws -> KafkaProtocol.FetchResponse {
        var p = KafkaProtocol.FetchResponse.FetchableTopicResponse.PartitionData()
        p.partitionIndex = metadataPartition
        p.errorCode = m.errorCode.rawValue
        p.highWatermark = m.highWatermark
        p.logStartOffset = m.logStartOffset
        if let d = m.divergingEpoch {
            p.divergingEpoch.epoch = d.epoch
            p.divergingEpoch.endOffset = d.endOffset
        }
        if let id = m.snapshotID {
            p.snapshotID.endOffset = id.offset
            p.snapshotID.epoch = id.epoch
        }
        p.currentLeader.leaderID = m.leaderID
        p.currentLeader.leaderEpoch = m.leaderEpoch
        p.records = m.records.isEmpty
            ? ByteBuffer()
            : try entries.encodeContiguous(m.records, baseOffset: m.recordsBaseOffset, now: now)
        var r = KafkaProtocol.FetchResponse()
        r.responses = [.init(topic: metadataTopic, topicID: metadataTopicUUID, partitions: [p])]
        return r
    }
}

import KafkaProtocol
import KafkaRaft
import NIOCore

/// FetchSnapshot (API 59, v0-1) for `__cluster_metadata-0`: a replica pulls the leader's snapshot
/// chunk by chunk by byte position; `UnalignedRecords` are raw `.checkpoint` file bytes.
extension RaftWire {
    public static let fetchSnapshotVersion: Int16 = 1

    static func fetchSnapshotRequest(_ r: KafkaRaft.FetchSnapshotRequest) -> KafkaProtocol.FetchSnapshotRequest {
        var body = KafkaProtocol.FetchSnapshotRequest()
        body.clusterID = r.clusterID
        body.replicaID = r.replicaID
        body.maxBytes = r.maxBytes
        var p = KafkaProtocol.FetchSnapshotRequest.TopicSnapshot.PartitionSnapshot()
        p.partition = metadataPartition
        p.currentLeaderEpoch = r.currentLeaderEpoch
        p.snapshotID.endOffset = r.snapshotID.offset
        p.snapshotID.epoch = r.snapshotID.epoch
        p.position = r.position
        body.topics = [.init(name: metadataTopic, partitions: [p])]
        return body
    }

    public static func inbound(_ r: KafkaProtocol.FetchSnapshotRequest) throws -> (source: Int32, message: RaftMessage) {
        guard r.topics.count == 1, r.topics[0].name == metadataTopic, r.topics[0].partitions.count == 1,
              let p = r.topics[0].partitions.first, p.partition == metadataPartition else {
            throw DecodeError("a FetchSnapshot must name only \(metadataTopic)-\(metadataPartition)")
        }
        return (r.replicaID, .fetchSnapshotRequest(KafkaRaft.FetchSnapshotRequest(
            clusterID: r.clusterID, replicaID: r.replicaID, maxBytes: r.maxBytes, currentLeaderEpoch: p.currentLeaderEpoch,
            snapshotID: OffsetAndEpoch(offset: p.snapshotID.endOffset, epoch: p.snapshotID.epoch), position: p.position)))
    }

    public static func fetchSnapshotResponse(_ m: KafkaRaft.FetchSnapshotResponse) -> KafkaProtocol.FetchSnapshotResponse {
        var p = KafkaProtocol.FetchSnapshotResponse.TopicSnapshot.PartitionSnapshot()
        p.index = metadataPartition
        p.errorCode = m.errorCode.rawValue
        p.snapshotID.endOffset = m.snapshotID.offset
        p.snapshotID.epoch = m.snapshotID.epoch
        p.currentLeader.leaderID = m.leaderID
        p.currentLeader.leaderEpoch = m.leaderEpoch
        p.size = m.size
        p.position = m.position
        p.unalignedRecords = ByteBuffer(bytes: m.unalignedRecords)
        var r = KafkaProtocol.FetchSnapshotResponse()
        r.topics = [.init(name: metadataTopic, partitions: [p])]
        return r
    }

    static func fetchSnapshotResponse(_ r: KafkaProtocol.FetchSnapshotResponse, to sent: KafkaRaft.FetchSnapshotRequest) -> KafkaRaft.FetchSnapshotResponse {
        guard r.errorCode == 0, let p = r.topics.first?.partitions.first else {
            return KafkaRaft.FetchSnapshotResponse(errorCode: code(r.errorCode, nil), snapshotID: sent.snapshotID, leaderID: -1, leaderEpoch: -1)
        }
        return KafkaRaft.FetchSnapshotResponse(
            errorCode: RaftErrorCode(rawValue: p.errorCode), snapshotID: OffsetAndEpoch(offset: p.snapshotID.endOffset, epoch: p.snapshotID.epoch),
            leaderID: p.currentLeader.leaderID, leaderEpoch: p.currentLeader.leaderEpoch, size: p.size, position: p.position,
            unalignedRecords: Array(buffer: p.unalignedRecords))
    }
}

import KafkaLog
import KafkaMetadata
import KafkaProtocol

/// OffsetForLeaderEpoch (KIP-101, KIP-320): for each partition, the largest leader epoch at most the
/// requested one that this leader's log has, and the offset where that epoch ends (the start of the
/// next epoch, or the log end offset for the latest), from the leader epoch cache; -1/-1 when the log
/// has no epoch that old. Followers ask after a leader change to find where their log diverged;
/// consumers ask to detect truncation. Answered by the leader only, except for the debugging replica
/// id -2 (v3+), which any replica answers. Per-partition errors: UNKNOWN_TOPIC_OR_PARTITION,
/// NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (`current_leader_epoch`, v2+).
struct OffsetForLeaderEpochHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...4

    /// The replica id of a debugging client: served by any replica, not only the leader.
    static let debuggingReplicaID: Int32 = -2

    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32

    func handle(_ request: OffsetForLeaderEpochRequest, context: RequestContext) async -> OffsetForLeaderEpochResponse? {
        let image = metadata.image
        // Kafka: followers hold CLUSTER_ACTION; consumers (KIP-320) need DESCRIBE on each topic, else
        // TOPIC_AUTHORIZATION_FAILED.
        let describable = context.authorizeCluster(.clusterAction, logIfDenied: false) ? Set(request.topics.map(\.topic))
            : context.authorizedNames(.describe, .topic, request.topics.map(\.topic))
        // On the blocking-I/O executor: each lookup takes the partition's lock, which an append holds
        // across its file write (see FetchHandler.read).
        return await replicas.io.runOrHere { self.answer(request, image: image, describable: describable, version: context.apiVersion) }
    }

    private func answer(_ request: OffsetForLeaderEpochRequest, image: MetadataImage, describable: Set<String>, version v: Int16)
        -> OffsetForLeaderEpochResponse {
        let anyReplica = v >= 3 && request.replicaID == Self.debuggingReplicaID
        var response = OffsetForLeaderEpochResponse()
        for topic in request.topics {
            var t = OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult(topic: topic.topic)
            for p in topic.partitions {
                var r = OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult.EpochEndOffset(partition: p.partition)
                guard describable.contains(topic.topic) else {
                    r.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    r.leaderEpoch = -1
                    r.endOffset = -1
                    t.partitions.append(r)
                    continue
                }
                let tp = TopicPartition(topic.topic, p.partition)
                let currentLeaderEpoch = v >= 2 ? p.currentLeaderEpoch : -1
                let replica: Partition?
                if anyReplica, image.topic(named: tp.topic)?.partitions[tp.partition] != nil {
                    replica = replicas.replica(tp)
                    if replica == nil { r.errorCode = ErrorCode.notLeaderOrFollower.rawValue }
                } else {
                    switch replicas.leader(of: tp, image: image, nodeID: nodeID, currentLeaderEpoch: currentLeaderEpoch) {
                    case let .success(leader): replica = leader.replica
                    case let .failure(code):
                        replica = nil
                        r.errorCode = code.rawValue
                    }
                }
                if let replica {
                    let answer = replica.withLog { $0.endOffset(forLeaderEpoch: p.leaderEpoch) }
                    r.leaderEpoch = answer.leaderEpoch
                    r.endOffset = answer.endOffset
                }
                t.partitions.append(r)
            }
            response.topics.append(t)
        }
        return response
    }
}

import KafkaController
import KafkaLog
import KafkaProtocol

/// ListOffsets: earliest (-2), latest (-1: the high watermark, or with isolation level 1,
/// read_committed, the last stable offset), max timestamp (-3, v7+), earliest local (-4, v8+),
/// latest tiered (-5, v9+: none without tiered storage), or the first offset whose timestamp is at
/// least the given one. A follower (replica id >= 0) asking for latest gets the log end offset, as
/// Kafka answers a replica (it resolves an out-of-range fetch with it).
///
/// v0 (Kafka 3.9 serves it; kafka-python with `api_version=(0, 10)` sends it) answers with up to
/// `maxNumOffsets` old-style offsets (`PartitionLog.legacyOffsets`: segment base offsets and the log end
/// offset, newest first); a consumer's list is cut at the high watermark, which it then starts with.
struct ListOffsetsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...9

    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32

    func handle(_ request: ListOffsetsRequest, context: RequestContext) async -> ListOffsetsResponse? {
        let image = metadata.image
        var response = ListOffsetsResponse()
        let fromFollower = request.replicaID >= 0
        // Kafka: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED (before whether it exists).
        let describable = context.authorizedNames(.describe, .topic, request.topics.map(\.name))
        for topic in request.topics {
            var t = ListOffsetsResponse.ListOffsetsTopicResponse(name: topic.name)
            for p in topic.partitions {
                var r = ListOffsetsResponse.ListOffsetsTopicResponse.ListOffsetsPartitionResponse(partitionIndex: p.partitionIndex)
                guard describable.contains(topic.name) else {
                    r.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    r.timestamp = -1
                    r.offset = -1
                    t.partitions.append(r)
                    continue
                }
                var legacy: [Int64] = []
                let lookup = replicas.leader(of: TopicPartition(topic.name, p.partitionIndex), image: image, nodeID: nodeID,
                                             currentLeaderEpoch: context.apiVersion >= 4 ? p.currentLeaderEpoch : -1)
                let found = lookup.flatMap { leader in
                    leader.replica.withLogResult { log -> TimestampAndOffset? in
                        if context.apiVersion == 0 {
                            legacy = try log.legacyOffsets(before: p.timestamp, maxNumOffsets: Int(max(0, p.maxNumOffsets)), now: replicas.clock.nowMs())
                            if !fromFollower, legacy.contains(where: { $0 > log.highWatermark }) {
                                legacy = [log.highWatermark] + legacy.drop(while: { $0 > log.highWatermark })
                            }
                            return nil
                        }
                        switch p.timestamp {
                        case PartitionLog.latestTimestamp:
                            let latest = fromFollower ? log.logEndOffset : request.isolationLevel == 1 ? log.lastStableOffset : log.highWatermark
                            return TimestampAndOffset(timestamp: -1, offset: latest)
                        case -4: return TimestampAndOffset(timestamp: -1, offset: log.logStartOffset)
                        case -5: return nil
                        default: return try log.offsetForTimestamp(p.timestamp)
                        }
                    }.map { ($0, leader.registration.leaderEpoch) }
                }
                switch found {
                case let .success((entry, leaderEpoch)):
                    if context.apiVersion == 0 {
                        r.oldStyleOffsets = legacy
                        break
                    }
                    r.timestamp = entry?.timestamp ?? -1
                    r.offset = entry?.offset ?? -1
                    if context.apiVersion >= 4 { r.leaderEpoch = entry == nil ? -1 : leaderEpoch }
                case let .failure(code):
                    r.errorCode = code.rawValue
                }
                t.partitions.append(r)
            }
            response.topics.append(t)
        }
        return response
    }
}

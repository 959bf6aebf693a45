import KafkaController
import KafkaLog
import KafkaMetadata
import KafkaProtocol

/// ListOffsets: earliest (-2), latest (-1: the high watermark, or with isolation level 1,
/// read_committed, the last stable offset), max timestamp (-3, v7+), earliest local (-4, v8+),
/// latest tiered (-5, v9+) and earliest pending upload (-6, v11+, KIP-1023), or the first offset whose
/// timestamp is at least the given one. Without tiered storage (Strom has none) -4 is the log start
/// offset, and -5 and -6 find nothing: offset, timestamp and leader epoch -1, as Kafka answers for a
/// topic without remote storage. Any other negative timestamp, or one of these in a version before
/// the one that brought it, is UNSUPPORTED_VERSION for the partition, as Kafka 4.x answers
/// (`sentinelVersions`). A follower (replica id >= 0) asking for latest gets the log end offset, as
/// Kafka answers a replica (it resolves an out-of-range fetch with it).
///
/// v10's TimeoutMs (KIP-1075) bounds how long a lookup in remote storage may take; every lookup here
/// is in the local log and answers at once, so no partition ever waits for it.
///
/// v0 (Kafka 3.9 serves it; kafka-python with `api_version=(0, 10)` sends it) answers with up to
/// `maxNumOffsets` old-style offsets (`PartitionLog.legacyOffsets`: segment base offsets and the log end
/// offset, newest first); a consumer's list is cut at the high watermark, which it then starts with.
struct ListOffsetsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...11

    /// Each special (negative) timestamp and the first version that may ask for it (Kafka's
    /// `ReplicaManager.timestampMinSupportedVersion`). v0 has its own meaning for -1 and -2.
    static let sentinelVersions: [Int64: Int16] = [-1: 1, -2: 1, -3: 7, -4: 8, -5: 9, -6: 11]

    /// Whether `timestamp` is a negative one `version` does not know.
    static func isUnsupported(timestamp: Int64, version: Int16) -> Bool {
        guard version >= 1, timestamp < 0 else { return false }
        guard let first = sentinelVersions[timestamp] else { return true }
        return version < first
    }

    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32

    func handle(_ request: ListOffsetsRequest, context: RequestContext) async -> ListOffsetsResponse? {
        let image = metadata.image
        // Kafka: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED (before whether it exists).
        let describable = context.authorizedNames(.describe, .topic, request.topics.map(\.name))
        // On the blocking-I/O executor, not a cooperative thread: a lookup takes the partition's lock,
        // which an append holds across its write, and may read index and segment files from the disk.
        return await replicas.io.runOrHere { self.answer(request, image: image, describable: describable, context: context) }
    }

    private func answer(_ request: ListOffsetsRequest, image: MetadataImage, describable: Set<String>, context: RequestContext) -> ListOffsetsResponse {
        var response = ListOffsetsResponse()
        let fromFollower = request.replicaID >= 0
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
                if Self.isUnsupported(timestamp: p.timestamp, version: context.apiVersion) {
                    r.errorCode = ErrorCode.unsupportedVersion.rawValue
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
                        case -5, -6: return nil
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

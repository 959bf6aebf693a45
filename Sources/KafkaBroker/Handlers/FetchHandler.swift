import KafkaLog
import KafkaMetadata
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore

/// Fetch (v4-17) for consumers: whole batches from the one containing each fetch offset, up to the
/// high watermark, within `max_bytes` and each partition's limit (the first partition with data
/// always gets at least one whole batch, KIP-74). When fewer than `min_bytes` are ready it waits
/// for appends until `max_wait_ms`. Topics by name (v4-12) or id (v13+); incremental fetch sessions
/// (v7+, `FetchSessions`). Per-partition errors: OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION,
/// UNKNOWN_TOPIC_ID, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH.
struct FetchHandler: RequestHandler {
    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32
    let sessions: NIOLockedValueBox<FetchSessions>

    private typealias PartitionData = FetchResponse.FetchableTopicResponse.PartitionData

    func handle(_ request: FetchRequest, context: RequestContext) async -> FetchResponse? {
        let v = context.apiVersion
        let image = metadata.image
        var requested: [FetchSessions.Partition] = []
        var unknownIDs: [(KafkaUUID, Int32)] = []
        for topic in request.topics {
            let name: String?
            let id: KafkaUUID
            if v >= 13 {
                name = image.topic(id: topic.topicID)?.name
                id = topic.topicID
            } else {
                name = topic.topic
                id = image.topic(named: topic.topic)?.id ?? .zero
            }
            for p in topic.partitions {
                guard let name else { unknownIDs.append((topic.topicID, p.partition)); continue }
                requested.append(.init(topicPartition: TopicPartition(name, p.partition), topicID: id, fetchOffset: p.fetchOffset,
                                       maxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch))
            }
        }
        let forgotten: [TopicPartition] = request.forgottenTopicsData.flatMap { f -> [TopicPartition] in
            let name = v >= 13 ? image.topic(id: f.topicID)?.name : f.topic
            return name.map { n in f.partitions.map { TopicPartition(n, $0) } } ?? []
        }
        let sessionID = v >= 7 ? request.sessionID : 0
        let epoch = v >= 7 ? request.sessionEpoch : -1
        let plan = sessions.withLockedValue { $0.plan(sessionID: sessionID, epoch: epoch, requested: requested, forgotten: forgotten) }
        guard case let .fetch(responseSessionID, partitions, incremental) = plan else {
            if case let .error(code) = plan { return FetchResponse(errorCode: code.rawValue, sessionID: 0) }
            return nil
        }

        let deadline = ContinuousClock.now + .milliseconds(max(0, Int(request.maxWaitMs)))
        var results: [(FetchSessions.Partition, PartitionData)]
        while true {
            let generation = replicas.appended.generation
            results = read(partitions, image: metadata.image, maxBytes: Int(request.maxBytes), isolationLevel: request.isolationLevel)
            let bytes = results.reduce(0) { $0 + ($1.1.records?.readableBytes ?? 0) }
            let hasError = results.contains { $0.1.errorCode != 0 } || !unknownIDs.isEmpty
            if bytes >= Int(request.minBytes) || hasError || ContinuousClock.now >= deadline || request.maxWaitMs <= 0
                || replicas.isShuttingDown { break }
            await replicas.appended.wait(since: generation, timeout: deadline - ContinuousClock.now)
        }

        var response = FetchResponse(errorCode: 0, sessionID: responseSessionID)
        var byTopic: [String: Int] = [:]
        for (p, data) in results {
            if incremental {
                let news = data.errorCode != 0 || (data.records?.readableBytes ?? 0) > 0
                    || data.highWatermark != p.lastHighWatermark || data.logStartOffset != p.lastLogStartOffset
                if !news { continue }
            }
            sessions.withLockedValue {
                $0.noteReturned(sessionID: responseSessionID, p.topicPartition, highWatermark: data.highWatermark, logStartOffset: data.logStartOffset)
            }
            let key = p.topicPartition.topic
            if let i = byTopic[key] {
                response.responses[i].partitions.append(data)
            } else {
                byTopic[key] = response.responses.count
                response.responses.append(.init(topic: key, topicID: p.topicID, partitions: [data]))
            }
        }
        for (id, partition) in unknownIDs {
            response.responses.append(.init(topicID: id, partitions: [
                PartitionData(partitionIndex: partition, errorCode: ErrorCode.unknownTopicID.rawValue, highWatermark: -1, records: ByteBuffer()),
            ]))
        }
        return response
    }

    private func read(_ partitions: [FetchSessions.Partition], image: MetadataImage, maxBytes: Int, isolationLevel: Int8)
        -> [(FetchSessions.Partition, PartitionData)] {
        var remaining = max(0, maxBytes)
        var first = true
        return partitions.map { p in
            var data = PartitionData(partitionIndex: p.topicPartition.partition, highWatermark: -1, records: ByteBuffer())
            data.abortedTransactions = isolationLevel == 1 ? [] : nil
            func fail(_ code: ErrorCode) -> (FetchSessions.Partition, PartitionData) {
                data.errorCode = code.rawValue
                return (p, data)
            }
            let replica: PartitionReplica
            switch replicas.leader(of: p.topicPartition, image: image, nodeID: nodeID, currentLeaderEpoch: p.currentLeaderEpoch) {
            case let .success(leader): replica = leader.replica
            case let .failure(code): return fail(code)
            }
            do {
                let limit = min(Int(max(0, p.maxBytes)), remaining)
                let fetched = try replica.withLog { log in
                    try log.read(fetchOffset: p.fetchOffset, maxBytes: limit, minOneBatch: first, upperBound: log.highWatermark)
                }
                data.highWatermark = fetched.highWatermark
                data.lastStableOffset = fetched.highWatermark
                data.logStartOffset = fetched.logStartOffset
                if fetched.records != nil {
                    let bytes = try fetched.readRecords()
                    data.records = bytes
                    remaining = max(0, remaining - bytes.readableBytes)
                    first = false
                }
            } catch let error as LogError {
                let snapshot = replica.withLog { ($0.highWatermark, $0.logStartOffset) }
                data.highWatermark = snapshot.0
                data.lastStableOffset = snapshot.0
                data.logStartOffset = snapshot.1
                return fail(error.errorCode)
            } catch {
                return fail(.unknownServerError)
            }
            return (p, data)
        }
    }
}

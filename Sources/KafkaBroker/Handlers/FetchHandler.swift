import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaReplication
import NIOConcurrencyHelpers
import NIOCore

/// Fetch for consumers: whole batches from the one containing each fetch offset, up to the
/// high watermark, within `max_bytes` and each partition's limit (the first partition with data
/// always gets at least one whole batch, KIP-74). When fewer than `min_bytes` are ready it waits
/// for appends until `max_wait_ms`. Topics by name (v4-12) or id (v13+); incremental fetch sessions
/// (v7+, `FetchSessions`). Per-partition errors: OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION,
/// UNKNOWN_TOPIC_ID, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH.
///
/// Records of at least `spliceThreshold` bytes are not read: the response carries their file range
/// and the server sends it with `sendfile` (see `RecordsSplicer`); smaller ones are cheaper to copy.
struct FetchHandler: SplicingRequestHandler {
    static let versions: ClosedRange<Int16> = 4...17

    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32
    let sessions: NIOLockedValueBox<FetchSessions>

    /// Below this many bytes a partition's records are copied into the response instead of sent from the file.
    var spliceThreshold = 16 * 1024

    private typealias PartitionData = FetchResponse.FetchableTopicResponse.PartitionData

    /// What one partition's read produced: the response entry (records null when they are in `slice`).
    private struct PartitionRead {
        var partition: FetchSessions.Partition
        var data: PartitionData
        var slice: LogFileRange?
        var recordBytes: Int { slice?.length ?? data.records?.readableBytes ?? 0 }
    }

    func handle(_ request: FetchRequest, context: RequestContext) async -> FetchResponse? {
        guard let spliced = await handleSpliced(request, context: context) else { return nil }
        do { return try spliced.materialized() } catch {
            context.logger.error("could not read records for the response", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func handleSpliced(_ request: FetchRequest, context: RequestContext) async -> SplicedResponse<FetchResponse>? {
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
                                       maxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch,
                                       lastFetchedEpoch: v >= 12 ? p.lastFetchedEpoch : -1, logStartOffset: v >= 5 ? p.logStartOffset : -1))
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
            if case let .error(code) = plan {
                let response = FetchResponse(errorCode: code.rawValue, sessionID: 0)
                return SplicedResponse(skeleton: response, probe: response, slices: [], materialized: { response })
            }
            return nil
        }

        let follower = Self.follower(of: request, version: v)
        let clock = replicas.clock
        let deadline = clock.nowMs() + Int64(max(0, request.maxWaitMs))
        var results: [PartitionRead]
        while true {
            let generation = replicas.appended.generation
            results = read(partitions, image: metadata.image, maxBytes: Int(request.maxBytes), isolationLevel: request.isolationLevel,
                           follower: follower)
            let bytes = results.reduce(0) { $0 + $1.recordBytes }
            let hasError = results.contains { $0.data.errorCode != 0 } || !unknownIDs.isEmpty
            if bytes >= Int(request.minBytes) || hasError || clock.nowMs() >= deadline || request.maxWaitMs <= 0
                || replicas.isShuttingDown { break }
            await replicas.appended.wait(since: generation, timeoutMs: deadline - clock.nowMs())
        }

        var response = FetchResponse(errorCode: 0, sessionID: responseSessionID)
        var slices: [[LogFileRange?]] = [] // parallel to response.responses[i].partitions
        var byTopic: [String: Int] = [:]
        for read in results {
            let (p, data) = (read.partition, read.data)
            if incremental {
                let news = data.errorCode != 0 || read.recordBytes > 0
                    || data.highWatermark != p.lastHighWatermark || data.logStartOffset != p.lastLogStartOffset
                if !news { continue }
            }
            sessions.withLockedValue {
                $0.noteReturned(sessionID: responseSessionID, p.topicPartition, highWatermark: data.highWatermark, logStartOffset: data.logStartOffset)
            }
            let key = p.topicPartition.topic
            if let i = byTopic[key] {
                response.responses[i].partitions.append(data)
                slices[i].append(read.slice)
            } else {
                byTopic[key] = response.responses.count
                response.responses.append(.init(topic: key, topicID: p.topicID, partitions: [data]))
                slices.append([read.slice])
            }
        }
        for (id, partition) in unknownIDs {
            response.responses.append(.init(topicID: id, partitions: [
                PartitionData(partitionIndex: partition, errorCode: ErrorCode.unknownTopicID.rawValue, highWatermark: -1, records: ByteBuffer()),
            ]))
            slices.append([nil])
        }
        return Self.splice(response, slices: slices)
    }

    /// The spliced form of `response`, whose partitions with a slice have null records.
    private static func splice(_ response: FetchResponse, slices: [[LogFileRange?]]) -> SplicedResponse<FetchResponse> {
        let probe = try! fill(response, slices) { _ in ByteBuffer(bytes: [0]) }
        return SplicedResponse(skeleton: response, probe: probe, slices: slices.flatMap { $0.compactMap { $0 } },
                               materialized: { () throws(LogError) in try fill(response, slices) { slice throws(LogError) in try slice.readBytes() } })
    }

    /// `response` with `records(slice)` in place of every partition that has a slice.
    private static func fill(_ response: FetchResponse, _ slices: [[LogFileRange?]],
                             _ records: (LogFileRange) throws(LogError) -> ByteBuffer) throws(LogError) -> FetchResponse {
        var out = response
        for (t, topicSlices) in slices.enumerated() {
            for (i, slice) in topicSlices.enumerated() {
                if let slice { out.responses[t].partitions[i].records = try records(slice) }
            }
        }
        return out
    }

    /// The follower a Fetch comes from (its replica id and broker epoch), or nil for a consumer:
    /// `ReplicaState` from v15, `ReplicaId` before.
    static func follower(of request: FetchRequest, version: Int16) -> (id: Int32, brokerEpoch: Int64)? {
        let id = version >= 15 ? request.replicaState.replicaID : request.replicaID
        guard id >= 0 else { return nil }
        return (id, version >= 15 ? request.replicaState.replicaEpoch : -1)
    }

    private func read(_ partitions: [FetchSessions.Partition], image: MetadataImage, maxBytes: Int, isolationLevel: Int8,
                      follower: (id: Int32, brokerEpoch: Int64)?) -> [PartitionRead] {
        var remaining = max(0, maxBytes)
        var first = true
        return partitions.map { p in
            var data = PartitionData(partitionIndex: p.topicPartition.partition, highWatermark: -1, records: ByteBuffer())
            data.abortedTransactions = isolationLevel == 1 ? [] : nil
            var slice: LogFileRange?
            func fail(_ code: ErrorCode) -> PartitionRead {
                data.errorCode = code.rawValue
                return PartitionRead(partition: p, data: data, slice: nil)
            }
            let replica: Partition
            switch replicas.leader(of: p.topicPartition, image: image, nodeID: nodeID, currentLeaderEpoch: p.currentLeaderEpoch) {
            case let .success(leader):
                replica = leader.replica
                // A replica fetch from a broker that is not assigned this partition.
                if let follower, !leader.registration.replicas.contains(follower.id) { return fail(.notLeaderOrFollower) }
            case let .failure(code): return fail(code)
            }
            do {
                let limit = min(Int(max(0, p.maxBytes)), remaining)
                let now = replicas.clock.nowMs()
                let leaderEpoch = replica.leaderEpoch
                let outcome = try replica.withLog { log -> (fetched: FetchData?, diverging: (Int32, Int64)?, logEndOffset: Int64) in
                    // KIP-320: a fetcher whose last fetched epoch ends before its fetch offset here (or that
                    // epoch is newer than any here) diverged; it is told where that epoch ends instead.
                    if p.lastFetchedEpoch >= 0 {
                        switch LeaderFetchCheck.check(
                            currentLeaderEpoch: nil, lastFetchedEpoch: p.lastFetchedEpoch, fetchOffset: p.fetchOffset,
                            leaderEpoch: leaderEpoch, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset,
                            endOffsetForEpoch: { let e = log.endOffset(forLeaderEpoch: $0); return EpochEndOffset(leaderEpoch: e.leaderEpoch, endOffset: e.endOffset) }
                        ) {
                        case .read: break
                        case let .divergingEpoch(end): return (nil, (end.leaderEpoch, end.endOffset), log.logEndOffset)
                        case .error: throw LogError.offsetOutOfRange(offset: p.fetchOffset, validRange: log.logStartOffset...log.logEndOffset)
                        }
                    }
                    // Followers read up to the log end offset, consumers up to the high watermark.
                    let fetched = try log.read(fetchOffset: p.fetchOffset, maxBytes: limit, minOneBatch: first,
                                               upperBound: follower == nil ? log.highWatermark : nil)
                    return (fetched, nil, log.logEndOffset)
                }
                if let (epoch, endOffset) = outcome.diverging {
                    let snapshot = replica.withLog { ($0.highWatermark, $0.logStartOffset) }
                    data.highWatermark = snapshot.0
                    data.lastStableOffset = snapshot.0
                    data.logStartOffset = snapshot.1
                    data.divergingEpoch = .init(epoch: epoch, endOffset: endOffset)
                    return PartitionRead(partition: p, data: data, slice: nil)
                }
                let fetched = outcome.fetched!
                if let follower {
                    replica.recordFollowerFetch(replicaID: follower.id, brokerEpoch: follower.brokerEpoch, fetchOffset: p.fetchOffset,
                                                logStartOffset: p.logStartOffset, leaderLogEndOffset: outcome.logEndOffset, now: now)
                }
                // A follower's fetch may just have moved the high watermark: it learns the new one at once.
                let highWatermark = follower == nil ? fetched.highWatermark : replica.highWatermark
                data.highWatermark = highWatermark
                data.lastStableOffset = highWatermark
                data.logStartOffset = fetched.logStartOffset
                if let range = fetched.records {
                    if range.length >= spliceThreshold {
                        slice = range
                        data.records = nil
                    } else {
                        data.records = try range.readBytes()
                    }
                    remaining = max(0, remaining - range.length)
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
            return PartitionRead(partition: p, data: data, slice: slice)
        }
    }
}

import KafkaController
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore

/// Fetch for consumers and followers: whole batches from the one containing each fetch offset, up to
/// the high watermark (consumers) or log end offset (followers), within `max_bytes` and each partition's
/// limit (the first partition with data always gets at least one whole batch, KIP-74; see `FetchReader`).
/// When fewer than `min_bytes` are ready it waits for appends or a higher high watermark until
/// `max_wait_ms`. Topics by name (v0-12) or id (v13+); incremental fetch sessions (v7+, `FetchSessions`).
/// v0-3 read legacy message sets, down-converted from the stored batches (`legacyForm`).
/// Consumers' Fetch v11+ may read from a follower, and a leader with `replica.selector.class` may send
/// them to one (KIP-392, `PreferredReadReplica`). Per-partition errors: OFFSET_OUT_OF_RANGE,
/// UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH,
/// UNKNOWN_LEADER_EPOCH. A follower's Fetch v18 (Kafka 4.1, KIP-1166) says which high watermark it
/// knows of each partition: it is answered at once, not after the wait, when a partition's is higher,
/// so followers learn of a new high watermark without waiting for records.
///
/// Authorization, as Kafka's: a follower needs CLUSTER_ACTION on the cluster, a consumer READ on each
/// topic; a partition refused is TOPIC_AUTHORIZATION_FAILED (decided before whether it exists).
///
/// A consumer's `consumer_byte_rate` caps what one fetch returns (the quota over all but one window)
/// and, when the records read take the client over it, the answer is empty with the throttle time
/// and the connection is muted for it, as Kafka does (`ClientQuotaManager`).
///
/// Records of at least `spliceThreshold` bytes are not read: the response carries their file range
/// and the server sends it with `sendfile` (see `RecordsSplicer`); smaller ones are cheaper to copy.
struct FetchHandler: SplicingRequestHandler {
    static let versions: ClosedRange<Int16> = 0...18

    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32
    let sessions: NIOLockedValueBox<FetchSessions>

    /// Below this many bytes a partition's records are copied into the response instead of sent from the file.
    var spliceThreshold = 16 * 1024

    private typealias PartitionData = FetchResponse.FetchableTopicResponse.PartitionData

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
        // v18: the high watermark the fetcher knows, where it said (Int64.max: it does not say).
        var knownHighWatermarks: [TopicPartition: Int64] = [:]
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
                if v >= 18, p.highWatermark != .max { knownHighWatermarks[TopicPartition(name, p.partition)] = p.highWatermark }
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
        guard case let .fetch(responseSessionID, planned, incremental) = plan else {
            if case let .error(code) = plan {
                let response = FetchResponse(errorCode: code.rawValue, sessionID: 0)
                return SplicedResponse(skeleton: response, probe: response, slices: [], materialized: { response })
            }
            return nil
        }

        let fetcher = Self.fetcher(of: request, version: v, listenerName: context.listenerName)
        let (partitions, denied) = Self.authorized(planned, fetcher: fetcher, context: context)
        // consumer_byte_rate: a consumer fetches at most what its quota allows in one window; followers
        // are limited by neither it nor request_percentage.
        var fetchQuota: (quotas: ClientQuotaContext, quota: ResolvedQuota)?
        // A consumer reads at most `fetch.max.bytes` in one fetch, whatever it asks (v0-2 cannot ask).
        var maxBytes = Int(request.maxBytes)
        if case .consumer = fetcher { maxBytes = min(maxBytes, replicas.config.fetchMaxBytes) }
        if case .follower = fetcher {
            context.requestTime?.exempt()
        } else if let quotas = context.quotas, let quota = ClientQuotaManager.quota(.fetch, for: context.quotaPrincipal, in: quotas.image()) {
            fetchQuota = (quotas, quota)
            maxBytes = min(maxBytes, Int(min(quotas.manager.maxValueInQuotaWindow(.fetch, quota: quota), Double(Int32.max))))
        }
        let reader = FetchReader(replicas: replicas, nodeID: nodeID, spliceThreshold: spliceThreshold)
        let clock = replicas.clock
        let deadline = clock.nowMs() + Int64(max(0, request.maxWaitMs))
        var results: [FetchReader.PartitionRead]
        let watched = Set(partitions.map(\.topicPartition))
        while true {
            let generation = replicas.appended.generation
            results = await Self.read(partitions, with: reader, image: metadata.image, maxBytes: maxBytes,
                                      isolationLevel: request.isolationLevel, fetcher: fetcher)
            let bytes = results.reduce(0) { $0 + $1.recordBytes }
            // Partitions refused by the authorizer are only added to the answer; they end the wait only
            // when nothing else is fetched (as Kafka's erroneous partitions).
            let hasError = results.contains { $0.data.errorCode != 0 } || !unknownIDs.isEmpty || (!denied.isEmpty && partitions.isEmpty)
            // As in Kafka, a consumer sent to another replica hears of it at once.
            let redirected = results.contains { $0.data.preferredReadReplica >= 0 }
            // A follower behind on a high watermark hears of it at once (v18).
            var behind = false
            if case .follower = fetcher, !knownHighWatermarks.isEmpty {
                behind = results.contains { r in knownHighWatermarks[r.partition.topicPartition].map { $0 < r.data.highWatermark } ?? false }
            }
            if bytes >= min(Int(request.minBytes), maxBytes) || hasError || redirected || behind || clock.nowMs() >= deadline
                || request.maxWaitMs <= 0 || replicas.isShuttingDown { break }
            await context.parked { await replicas.appended.wait(since: generation, for: watched, timeoutMs: deadline - clock.nowMs()) }
        }

        if case .consumer = fetcher {
            // Over either quota, Kafka answers without the records (and takes them back from the byte
            // rate): the session's partitions stay as they were, the consumer fetches them again after
            // the throttle.
            let requestThrottle = context.chargeRequestTime()
            var bandwidthThrottle: Int32 = 0
            if let (quotas, quota) = fetchQuota {
                let bytes = Double(results.reduce(0) { $0 + $1.recordBytes })
                let now = quotas.clock.nowMs()
                bandwidthThrottle = quotas.manager.record(.fetch, bytes, quota: quota, now: now)
                if bandwidthThrottle > 0 || requestThrottle > 0 { quotas.manager.unrecord(.fetch, bytes, quota: quota, now: now) }
            }
            let throttle = max(requestThrottle, bandwidthThrottle)
            if throttle > 0 {
                context.throttleConnection(throttle)
                let response = FetchResponse(throttleTimeMs: throttle, errorCode: 0, sessionID: responseSessionID)
                return SplicedResponse(skeleton: response, probe: response, slices: [], materialized: { response })
            }
        }
        if v < 10 {
            let image = metadata.image
            let config = replicas.config.with(dynamicConfigsOf: image)
            results = results.map { legacyForm($0, version: v, image: image, config: config, fetcher: fetcher, context: context) }
        }
        if let metrics = context.metrics {
            var bytesOut: [String: Int] = [:]
            for read in results where read.recordBytes > 0 { bytesOut[read.partition.topicPartition.topic, default: 0] += read.recordBytes }
            for (topic, bytes) in bytesOut { metrics.fetched(topic: topic, bytes: bytes) }
        }
        var response = FetchResponse(errorCode: 0, sessionID: responseSessionID)
        var slices: [[LogFileRange?]] = [] // parallel to response.responses[i].partitions
        var byTopic: [String: Int] = [:]
        for read in results {
            let (p, data) = (read.partition, read.data)
            if incremental {
                // Kafka's `maybeUpdateResponseData`: a diverging epoch (KIP-320) is news too.
                let news = data.errorCode != 0 || read.recordBytes > 0 || data.preferredReadReplica >= 0 || data.divergingEpoch.epoch >= 0
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
        for p in denied {
            let data = PartitionData(partitionIndex: p.topicPartition.partition, errorCode: ErrorCode.topicAuthorizationFailed.rawValue,
                                     highWatermark: -1, records: ByteBuffer())
            if let i = byTopic[p.topicPartition.topic] {
                response.responses[i].partitions.append(data)
                slices[i].append(nil)
            } else {
                byTopic[p.topicPartition.topic] = response.responses.count
                response.responses.append(.init(topic: p.topicPartition.topic, topicID: p.topicID, partitions: [data]))
                slices.append([nil])
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

    /// Reads on the blocking-I/O executor, not on a cooperative thread: a read takes each partition's
    /// lock, which an append holds across its write, and scans batch headers from files that may not be
    /// in the page cache. (Kafka reads on its request handler threads, never on a network thread.)
    private static func read(_ partitions: [FetchSessions.Partition], with reader: FetchReader, image: MetadataImage, maxBytes: Int,
                             isolationLevel: Int8, fetcher: Fetcher) async -> [FetchReader.PartitionRead] {
        await reader.replicas.io.runOrHere {
            reader.read(partitions, image: image, maxBytes: maxBytes, isolationLevel: isolationLevel, fetcher: fetcher)
        }
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

    /// The partitions the sender may fetch, and those it may not: a follower needs CLUSTER_ACTION on the
    /// cluster, a consumer READ on the topic.
    private static func authorized(_ partitions: [FetchSessions.Partition], fetcher: Fetcher,
                                   context: RequestContext) -> (allowed: [FetchSessions.Partition], denied: [FetchSessions.Partition]) {
        guard context.authorizer != nil, !partitions.isEmpty else { return (partitions, []) }
        if case .follower = fetcher {
            return context.authorizeCluster(.clusterAction) ? (partitions, []) : ([], partitions)
        }
        let readable = context.authorizedNames(.read, .topic, partitions.map(\.topicPartition.topic))
        return (partitions.filter { readable.contains($0.topicPartition.topic) }, partitions.filter { !readable.contains($0.topicPartition.topic) })
    }

    /// Who sends `request`: a follower (its replica id and broker epoch: `ReplicaState` from v15,
    /// `ReplicaId` before), else a consumer, with its rack and listener from v11 (KIP-392).
    static func fetcher(of request: FetchRequest, version: Int16, listenerName: String) -> Fetcher {
        let id = version >= 15 ? request.replicaState.replicaID : request.replicaID
        if id >= 0 { return .follower(id: id, brokerEpoch: version >= 15 ? request.replicaState.replicaEpoch : -1) }
        return .consumer(version >= 11 ? .init(rackID: request.rackID, listenerName: listenerName) : nil)
    }
}

import KafkaLog
import KafkaMetadata
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import StromConfig

/// Fetches, as a follower, every partition this node follows whose leader is one broker (Kafka's
/// `ReplicaFetcherThread`): one Fetch at a time over the leader's inter-broker listener, as replica
/// `nodeID` with this node's broker epoch (KIP-903), each partition at its log end offset with the
/// epoch of its last batch (KIP-320) and the leader epoch it believes current.
///
/// Each round appends the leader's batches byte for byte at their offsets (``Partition/appendAsFollower(_:leaderHighWatermark:now:)``),
/// or truncates where the leader answered with a diverging epoch, or where the fetch offset is out of
/// the leader's range. The leader holds the request until it has data (`replica.fetch.wait.max.ms`),
/// so an idle follower costs one request per wait, not a busy loop.
///
/// Invariants: a partition's response is applied only if the partition is still assigned here with
/// the leader epoch the request carried; a partition the leader fenced (FENCED_LEADER_EPOCH,
/// UNKNOWN_TOPIC_*) waits for new metadata; any other failure delays it by `replica.fetch.backoff.ms`
/// on the node's clock.
final class ReplicaFetcher: @unchecked Sendable {
    /// What this node follows a partition under: the leader's epoch as the metadata last said.
    struct Assignment: Sendable, Equatable {
        var topicID: KafkaUUID
        var leaderEpoch: Int32
    }

    private enum Status: Equatable {
        case fetching
        /// The leader refused the epoch: wait for the metadata to say something newer.
        case awaitingMetadata
        case delayed(untilMs: Int64)
    }

    private struct Entry {
        var assignment: Assignment
        var status: Status
    }

    struct Endpoint: Sendable, Equatable {
        var host: String
        var port: Int
    }

    let leaderID: Int32
    private let nodeID: Int32
    private let replicas: ReplicaManager
    private let config: ServerConfig
    private let brokerEpoch: @Sendable () -> Int64
    private let logger: Logger
    private let lock = NIOLock()
    private var entries: [TopicPartition: Entry] = [:]
    private var endpoint: Endpoint?
    private var channel: ControllerChannel?
    private var generation: UInt64 = 0
    private var wakeup: CheckedContinuation<Void, Never>?
    private var stopped = false
    private var task: Task<Void, Never>?

    init(leaderID: Int32, nodeID: Int32, replicas: ReplicaManager, config: ServerConfig,
         brokerEpoch: @escaping @Sendable () -> Int64, logger: Logger) {
        self.leaderID = leaderID
        self.nodeID = nodeID
        self.replicas = replicas
        self.config = config
        self.brokerEpoch = brokerEpoch
        var logger = logger
        logger[metadataKey: "kafka.leader_id"] = "\(leaderID)"
        self.logger = logger
    }

    func start() {
        lock.withLock { task = Task { await self.run() } }
    }

    /// Stops fetching; returns once the current round ended.
    func stop() async {
        let (task, channel) = lock.withLock { () -> (Task<Void, Never>?, ControllerChannel?) in
            stopped = true
            return (self.task, self.channel)
        }
        wake()
        task?.cancel()
        await channel?.disconnect()
        await task?.value
    }

    var partitions: Set<TopicPartition> { lock.withLock { Set(entries.keys) } }
    var isEmpty: Bool { lock.withLock { entries.isEmpty } }

    /// Where the leader's inter-broker listener is (it may move when the leader registers again).
    func update(endpoint: Endpoint) {
        let old = lock.withLock { () -> ControllerChannel? in
            guard self.endpoint != endpoint else { return nil }
            self.endpoint = endpoint
            defer { channel = nil }
            return channel
        }
        if let old { Task { await old.disconnect() } }
        wake()
    }

    /// Follows `tp` under `assignment` (fetching at once), or updates its leader epoch.
    func follow(_ tp: TopicPartition, _ assignment: Assignment) {
        lock.withLock {
            if entries[tp]?.assignment == assignment, entries[tp]?.status != .awaitingMetadata { return }
            entries[tp] = Entry(assignment: assignment, status: .fetching)
        }
        wake()
    }

    func unfollow(_ tp: TopicPartition) {
        lock.withLock { _ = entries.removeValue(forKey: tp) }
    }

    private func wake() {
        let c = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            generation &+= 1
            defer { wakeup = nil }
            return wakeup
        }
        c?.resume()
    }

    private struct Round {
        var channel: ControllerChannel
        var request: FetchRequest
        var sent: [TopicPartition: Assignment]
    }

    private func run() async {
        while true {
            let now = replicas.clock.nowMs()
            let (round, seen, nextDeadline) = lock.withLock { () -> (Round?, UInt64, Int64?) in
                if stopped { return (nil, generation, nil) }
                return (nextRound(now: now), generation, earliestDelay())
            }
            if lock.withLock({ stopped }) { return }
            guard let round else {
                await waitForWork(since: seen, untilMs: nextDeadline)
                continue
            }
            let response: FetchResponse
            do {
                response = try await round.channel.send(round.request, version: Self.fetchVersion,
                                                        timeoutMs: config.replicaSocketTimeoutMs)
            } catch {
                if lock.withLock({ stopped }) { return }
                logger.info("replica fetch failed; backing off", metadata: ["error": "\(error)", "kafka.partitions": "\(round.sent.count)"])
                delay(Array(round.sent.keys), now: replicas.clock.nowMs())
                continue
            }
            await process(response, round: round)
        }
    }

    /// Fetch v16: topic ids, and the replica's id and broker epoch in ReplicaState.
    static let fetchVersion: Int16 = 16

    /// The next Fetch, or nil when nothing is fetchable now. Caller holds the lock.
    private func nextRound(now: Int64) -> Round? {
        guard let endpoint else { return nil }
        var byTopic: [KafkaUUID: FetchRequest.FetchTopic] = [:]
        var sent: [TopicPartition: Assignment] = [:]
        for (tp, entry) in entries.sorted(by: { $0.key < $1.key }) {
            switch entry.status {
            case .fetching: break
            case .awaitingMetadata: continue
            case let .delayed(until):
                if until > now { continue }
                entries[tp]?.status = .fetching
            }
            guard let replica = replicas.replica(tp) else { continue }
            let position = replica.followerPosition
            var p = FetchRequest.FetchTopic.FetchPartition()
            p.partition = tp.partition
            p.currentLeaderEpoch = entry.assignment.leaderEpoch
            p.fetchOffset = position.fetchOffset
            p.lastFetchedEpoch = position.lastFetchedEpoch
            p.logStartOffset = position.logStartOffset
            p.partitionMaxBytes = config.replicaFetchMaxBytes
            byTopic[entry.assignment.topicID, default: FetchRequest.FetchTopic(topic: tp.topic, topicID: entry.assignment.topicID)]
                .partitions.append(p)
            sent[tp] = entry.assignment
        }
        guard !sent.isEmpty else { return nil }
        if channel == nil {
            channel = ControllerChannel(host: endpoint.host, port: endpoint.port, clientID: "strom-replica-fetcher-\(nodeID)", logger: logger)
        }
        var request = FetchRequest()
        request.replicaState = .init(replicaID: nodeID, replicaEpoch: brokerEpoch())
        request.maxWaitMs = config.replicaFetchWaitMaxMs
        request.minBytes = config.replicaFetchMinBytes
        request.maxBytes = config.replicaFetchResponseMaxBytes
        request.isolationLevel = 0
        request.sessionID = 0
        request.sessionEpoch = -1
        request.topics = byTopic.values.sorted { $0.topic < $1.topic }
        return Round(channel: channel!, request: request, sent: sent)
    }

    /// The earliest time a delayed partition becomes fetchable. Caller holds the lock.
    private func earliestDelay() -> Int64? {
        entries.values.compactMap { if case let .delayed(until) = $0.status { until } else { nil } }.min()
    }

    /// Returns when something changed since `generation` (a partition added, an endpoint, stop), or at
    /// `untilMs` on the clock.
    private func waitForWork(since seen: UInt64, untilMs: Int64?) async {
        let clock = replicas.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = self.lock.withLock { () -> Bool in
                        if self.generation != seen || self.stopped { return true }
                        self.wakeup = c
                        return false
                    }
                    if now { c.resume() }
                }
            }
            if let untilMs {
                group.addTask {
                    try? await clock.sleep(forMs: max(0, untilMs - clock.nowMs()))
                }
            }
            await group.next()
            // Whichever finished first, the other must end too: wake (resumes a parked continuation).
            wake()
            group.cancelAll()
        }
    }

    private func delay(_ partitions: [TopicPartition], now: Int64) {
        lock.withLock {
            for tp in partitions where entries[tp] != nil { entries[tp]!.status = .delayed(untilMs: now + config.replicaFetchBackoffMs) }
        }
    }

    private func setStatus(_ tp: TopicPartition, _ status: Status, ifStill assignment: Assignment) {
        lock.withLock {
            if entries[tp]?.assignment == assignment { entries[tp]!.status = status }
        }
    }

    private func process(_ response: FetchResponse, round: Round) async {
        if response.errorCode != 0 {
            logger.info("replica fetch refused; backing off", metadata: ["kafka.error": "\(ErrorCode(rawValue: response.errorCode))"])
            delay(Array(round.sent.keys), now: replicas.clock.nowMs())
            return
        }
        let names = Dictionary(round.sent.map { ($0.value.topicID, $0.key.topic) }, uniquingKeysWith: { a, _ in a })
        for topic in response.responses {
            guard let name = names[topic.topicID] else { continue }
            for data in topic.partitions {
                let tp = TopicPartition(name, data.partitionIndex)
                guard let assignment = round.sent[tp] else { continue }
                let current = lock.withLock { entries[tp]?.assignment }
                guard current == assignment, let replica = replicas.replica(tp) else { continue }
                await apply(data, to: replica, tp: tp, assignment: assignment)
            }
        }
    }

    private func apply(_ data: FetchResponse.FetchableTopicResponse.PartitionData, to replica: Partition, tp: TopicPartition,
                       assignment: Assignment) async {
        let clock = replicas.clock
        let code = ErrorCode(rawValue: data.errorCode)
        do {
            switch code {
            case .noError:
                if data.divergingEpoch.epoch >= 0 || data.divergingEpoch.endOffset >= 0 {
                    let local = replica.followerPosition.fetchOffset
                    let offset = Self.truncationOffset(leaderEpoch: data.divergingEpoch.epoch, leaderEndOffset: data.divergingEpoch.endOffset,
                                                       localEndOffset: local, localEpochEnd: replica.endOffset(forLeaderEpoch:))
                    logger.info("truncating a diverged follower log", metadata: [
                        "kafka.partition": "\(tp)", "kafka.diverging_epoch": "\(data.divergingEpoch.epoch)",
                        "kafka.diverging_end_offset": "\(data.divergingEpoch.endOffset)", "log.end_offset": "\(local)",
                        "log.truncate_to": "\(offset)",
                    ])
                    try await replicas.io.run { () throws in try replica.truncate(to: offset, now: clock.nowMs()) }
                } else {
                    let records = data.records ?? ByteBuffer()
                    let hw = data.highWatermark
                    try await replicas.io.run { () throws in
                        _ = try replica.appendAsFollower(records, leaderHighWatermark: hw, now: clock.nowMs())
                    }
                }
            case .offsetOutOfRange:
                let position = replica.followerPosition
                if position.fetchOffset < data.logStartOffset {
                    logger.info("follower fell below the leader's log start offset; starting over there", metadata: [
                        "kafka.partition": "\(tp)", "log.start_offset": "\(data.logStartOffset)",
                    ])
                    let start = data.logStartOffset
                    try await replicas.io.run { () throws in try replica.truncateFullyAndStart(at: start, now: clock.nowMs()) }
                } else {
                    // Ahead of the leader without a diverging epoch (no epochs to compare): keep what the
                    // leader has committed and fetch the rest again.
                    let offset = max(position.logStartOffset, min(data.highWatermark, position.fetchOffset))
                    logger.warning("follower ahead of the leader; truncating to its high watermark", metadata: [
                        "kafka.partition": "\(tp)", "log.truncate_to": "\(offset)",
                    ])
                    try await replicas.io.run { () throws in try replica.truncate(to: offset, now: clock.nowMs()) }
                }
            case .fencedLeaderEpoch, .unknownTopicOrPartition, .unknownTopicID:
                logger.info("leader refused this follower's epoch; waiting for metadata", metadata: [
                    "kafka.partition": "\(tp)", "kafka.error": "\(code)", "kafka.leader_epoch": "\(assignment.leaderEpoch)",
                ])
                setStatus(tp, .awaitingMetadata, ifStill: assignment)
            default:
                logger.debug("replica fetch of a partition failed; backing off", metadata: ["kafka.partition": "\(tp)", "kafka.error": "\(code)"])
                setStatus(tp, .delayed(untilMs: clock.nowMs() + config.replicaFetchBackoffMs), ifStill: assignment)
            }
        } catch {
            logger.error("could not apply a replica fetch", metadata: ["kafka.partition": "\(tp)", "error": "\(error)"])
            setStatus(tp, .delayed(untilMs: clock.nowMs() + config.replicaFetchBackoffMs), ifStill: assignment)
        }
    }

    /// Where a follower truncates when the leader says its log diverged (Kafka's `getOffsetTruncationState`):
    /// the leader's `(leaderEpoch, leaderEndOffset)` is the largest epoch it has at most the follower's
    /// last fetched epoch, and where that epoch ends in its log. When the follower has that epoch too,
    /// both logs agree below the smaller end; when it does not, it truncates to the end of its own
    /// largest earlier epoch and the next fetch compares again. Never above the local log end offset.
    static func truncationOffset(leaderEpoch: Int32, leaderEndOffset: Int64, localEndOffset: Int64,
                                 localEpochEnd: (Int32) -> (leaderEpoch: Int32, endOffset: Int64)?) -> Int64 {
        guard leaderEpoch >= 0, let local = localEpochEnd(leaderEpoch) else {
            return max(0, min(leaderEndOffset, localEndOffset))
        }
        if local.leaderEpoch == leaderEpoch { return min(leaderEndOffset, local.endOffset, localEndOffset) }
        return min(local.endOffset, localEndOffset)
    }
}

import KafkaClient
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaReplication
import Logging
import NIOConcurrencyHelpers
import NIOCore
import StromConfig

/// Fetches, as a follower, every partition this node follows whose leader is one broker (Kafka's
/// `ReplicaFetcherThread`): one Fetch at a time over the leader's inter-broker listener, as replica
/// `nodeID` with this node's broker epoch (KIP-903), each partition at its log end offset with the
/// epoch of its last batch (KIP-320) and the leader epoch it believes current.
///
/// Every decision is `FollowerFetchState`'s (KafkaReplication, the state machine the replication
/// simulation checks); this shell does what it asks: appends the leader's batches byte for byte
/// (``Partition/appendAsFollower(_:leaderEpoch:now:)``), truncates where the leader says the
/// logs diverged, lists the leader's offsets (ListOffsets as a replica) after OFFSET_OUT_OF_RANGE,
/// backs off by `replica.fetch.backoff.ms` on the node's clock, or waits for new metadata. The leader
/// holds a Fetch until it has data (`replica.fetch.wait.max.ms`), so an idle follower costs one
/// request per wait, not a busy loop.
///
/// Invariant: a partition's response is applied only if the partition is still assigned here with
/// the state the request was built from (`FollowerFetchState.handleResponse` ignores stale ones).
final class ReplicaFetcher: @unchecked Sendable {
    /// What this node follows a partition under: the leader's epoch as the metadata last said.
    struct Assignment: Sendable, Equatable {
        var topicID: KafkaUUID
        var leaderEpoch: Int32
    }

    private struct Entry {
        var topicID: KafkaUUID
        var state: FollowerFetchState
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
    private var channel: KafkaChannel?
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
        let (task, channel) = lock.withLock { () -> (Task<Void, Never>?, KafkaChannel?) in
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
        let old = lock.withLock { () -> KafkaChannel? in
            guard self.endpoint != endpoint else { return nil }
            self.endpoint = endpoint
            defer { channel = nil }
            return channel
        }
        if let old { Task { await old.disconnect() } }
        wake()
    }

    /// Follows `tp` under `assignment`: a new partition, or new metadata for one already followed
    /// (`FollowerFetchState.leaderChanged`: a new leader epoch starts over, the same one keeps going).
    func follow(_ tp: TopicPartition, _ assignment: Assignment) {
        guard let replica = replicas.replica(tp) else { return }
        let local = replica.withLog { (end: $0.logEndOffset, epoch: $0.latestEpoch, hw: $0.highWatermark) }
        lock.withLock {
            if var entry = entries[tp] {
                entry.topicID = assignment.topicID
                entry.state.leaderChanged(leaderId: leaderID, leaderEpoch: assignment.leaderEpoch, logEndOffset: local.end,
                                          latestEpoch: local.epoch, highWatermark: local.hw)
                entries[tp] = entry
            } else {
                entries[tp] = Entry(topicID: assignment.topicID, state: FollowerFetchState(
                    leaderId: leaderID, leaderEpoch: assignment.leaderEpoch, logEndOffset: local.end, latestEpoch: local.epoch,
                    highWatermark: local.hw, fetchBackoffMs: config.replicaFetchBackoffMs))
            }
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

    /// Local work a partition's state asks for before it can fetch again.
    private enum LocalStep {
        case truncate(TopicPartition, toOffset: Int64, leaderEpoch: Int32)
        case truncateFully(TopicPartition, startAt: Int64, leaderEpoch: Int32)
        case listLeaderOffsets(TopicPartition, topicID: KafkaUUID, currentLeaderEpoch: Int32)
    }

    private struct Round {
        var channel: KafkaChannel
        var request: FetchRequest
        var sent: [TopicPartition: FetchPartitionRequest]
    }

    private func run() async {
        while true {
            if lock.withLock({ stopped }) { return }
            let now = replicas.clock.nowMs()
            let (steps, round, seen, nextDeadline) = lock.withLock { () -> ([LocalStep], Round?, UInt64, Int64?) in
                let (steps, round, deadline) = plan(now: now)
                return (steps, round, generation, deadline)
            }
            if !steps.isEmpty {
                for step in steps { await perform(step) }
                continue
            }
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
                let now = replicas.clock.nowMs()
                lock.withLock {
                    for tp in round.sent.keys { entries[tp]?.state.backOff(now: now) }
                }
                continue
            }
            await process(response, round: round)
        }
    }

    /// Fetch v16: topic ids, and the replica's id and broker epoch in ReplicaState.
    static let fetchVersion: Int16 = 16
    /// ListOffsets v7 (as a replica: latest is the leader's log end offset).
    static let listOffsetsVersion: Int16 = 7

    /// What each partition's state asks for now: local steps first (truncations, listing the leader's
    /// offsets), else the next Fetch, else nothing until the earliest back-off ends. Caller holds the lock.
    private func plan(now: Int64) -> ([LocalStep], Round?, Int64?) {
        var steps: [LocalStep] = []
        var byTopic: [KafkaUUID: FetchRequest.FetchTopic] = [:]
        var sent: [TopicPartition: FetchPartitionRequest] = [:]
        var earliest: Int64?
        for (tp, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard let replica = replicas.replica(tp) else { continue }
            switch entry.state.nextStep(now: now, logStartOffset: replica.logStartOffset) {
            case let .fetch(request):
                var p = FetchRequest.FetchTopic.FetchPartition()
                p.partition = tp.partition
                p.currentLeaderEpoch = request.currentLeaderEpoch
                p.fetchOffset = request.fetchOffset
                p.lastFetchedEpoch = request.lastFetchedEpoch ?? -1
                p.logStartOffset = request.logStartOffset
                p.partitionMaxBytes = config.replicaFetchMaxBytes
                byTopic[entry.topicID, default: FetchRequest.FetchTopic(topic: tp.topic, topicID: entry.topicID)].partitions.append(p)
                sent[tp] = request
            case let .truncate(offset):
                steps.append(.truncate(tp, toOffset: offset, leaderEpoch: entry.state.currentLeaderEpoch))
            case let .truncateFullyAndStartAt(offset):
                steps.append(.truncateFully(tp, startAt: offset, leaderEpoch: entry.state.currentLeaderEpoch))
            case let .listLeaderOffsets(epoch): steps.append(.listLeaderOffsets(tp, topicID: entry.topicID, currentLeaderEpoch: epoch))
            case let .wait(until): earliest = min(earliest ?? until, until)
            case .awaitMetadata: continue
            }
        }
        guard steps.isEmpty, !sent.isEmpty, let endpoint else { return (steps, nil, earliest) }
        if channel == nil {
            channel = KafkaChannel(host: endpoint.host, port: endpoint.port, clientID: "strom-replica-fetcher-\(nodeID)", logger: logger,
                                        security: ChannelSecurity.loaded(config.interBrokerListenerName, config: config))
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
        return ([], Round(channel: channel!, request: request, sent: sent), earliest)
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

    /// Runs `body` on the partition's state if `tp` is still followed.
    private func update<T>(_ tp: TopicPartition, _ body: (inout FollowerFetchState) -> T) -> T? {
        lock.withLock {
            guard entries[tp] != nil else { return nil }
            return body(&entries[tp]!.state)
        }
    }

    private func perform(_ step: LocalStep) async {
        let clock = replicas.clock
        switch step {
        case let .truncate(tp, offset, epoch), let .truncateFully(tp, offset, epoch):
            guard let replica = replicas.replica(tp) else { return }
            let fully: Bool
            if case .truncateFully = step { fully = true } else { fully = false }
            let endBefore = replica.logEndOffset
            do {
                let write = try await replicas.io.run { () throws -> Partition.FollowerWrite in
                    fully ? try replica.truncateFullyAndStart(at: offset, leaderEpoch: epoch, now: clock.nowMs())
                        : try replica.truncate(to: offset, leaderEpoch: epoch, now: clock.nowMs())
                }
                // No longer following in that epoch: the new metadata has (re)assigned the partition.
                guard write == .done else { return }
                let local = replica.withLog { (end: $0.logEndOffset, epoch: $0.latestEpoch) }
                // A new follower's first step truncates an empty log to nothing: not worth a line.
                logger.log(level: fully || offset < endBefore ? .info : .debug, "truncated the follower's log", metadata: [
                    "kafka.partition": "\(tp)", "log.truncated_to": "\(offset)", "log.end_offset": "\(endBefore)", "log.fully": "\(fully)",
                ])
                update(tp) { if $0.currentLeaderEpoch == epoch { $0.truncated(logEndOffset: local.end, latestEpoch: local.epoch) } }
            } catch {
                logger.error("could not truncate the follower's log; the partition stops until new metadata", metadata: [
                    "kafka.partition": "\(tp)", "error": "\(error)",
                ])
                update(tp) { if $0.currentLeaderEpoch == epoch { $0.markFailed() } }
            }
        case let .listLeaderOffsets(tp, _, epoch):
            await listLeaderOffsets(tp, currentLeaderEpoch: epoch)
        }
    }

    /// After OFFSET_OUT_OF_RANGE: the leader's log start and end offsets (ListOffsets earliest and latest,
    /// as a replica), then `FollowerFetchState.leaderOffsetsListed` decides.
    private func listLeaderOffsets(_ tp: TopicPartition, currentLeaderEpoch: Int32) async {
        let clock = replicas.clock
        guard let replica = replicas.replica(tp), let channel = lock.withLock({ channel }) else {
            update(tp) { _ = $0.leaderOffsetsFailed(.notLeaderOrFollower, requestLeaderEpoch: currentLeaderEpoch, now: clock.nowMs()) }
            return
        }
        func list(_ timestamp: Int64) async -> Result<Int64, ReplicationError> {
            var request = ListOffsetsRequest()
            request.replicaID = nodeID
            request.topics = [.init(name: tp.topic, partitions: [.init(partitionIndex: tp.partition, currentLeaderEpoch: currentLeaderEpoch,
                                                                       timestamp: timestamp)])]
            do {
                let response = try await channel.send(request, version: Self.listOffsetsVersion, timeoutMs: config.replicaSocketTimeoutMs)
                guard let p = response.topics.first?.partitions.first else { return .failure(.unknownTopicOrPartition) }
                return p.errorCode == 0 ? .success(p.offset) : .failure(ReplicationError(code: p.errorCode))
            } catch {
                return .failure(.other(code: ErrorCode.networkException.rawValue))
            }
        }
        let start = await list(PartitionLog.earliestTimestamp)
        let end = await list(PartitionLog.latestTimestamp)
        switch (start, end) {
        case let (.success(leaderStart), .success(leaderEnd)):
            let local = replica.withLog { (end: $0.logEndOffset, epoch: $0.latestEpoch) }
            let resolution = update(tp) {
                $0.leaderOffsetsListed(leaderLogStartOffset: leaderStart, leaderLogEndOffset: leaderEnd,
                                       localLogEndOffset: local.end, localLatestEpoch: local.epoch)
            }
            logger.info("fetch offset out of the leader's range", metadata: [
                "kafka.partition": "\(tp)", "kafka.leader_log_start_offset": "\(leaderStart)",
                "kafka.leader_log_end_offset": "\(leaderEnd)", "log.end_offset": "\(local.end)",
                "kafka.resolution": "\(resolution.map { "\($0)" } ?? "unfollowed")",
            ])
        case let (.failure(error), _), let (_, .failure(error)):
            update(tp) { _ = $0.leaderOffsetsFailed(error, requestLeaderEpoch: currentLeaderEpoch, now: clock.nowMs()) }
        }
    }

    private func process(_ response: FetchResponse, round: Round) async {
        let now = replicas.clock.nowMs()
        if response.errorCode != 0 {
            logger.info("replica fetch refused; backing off", metadata: ["kafka.error": "\(ErrorCode(rawValue: response.errorCode))"])
            lock.withLock { for tp in round.sent.keys { entries[tp]?.state.backOff(now: now) } }
            return
        }
        var names: [KafkaUUID: String] = [:]
        lock.withLock { for tp in round.sent.keys { if let e = entries[tp] { names[e.topicID] = tp.topic } } }
        for topic in response.responses {
            guard let name = names[topic.topicID] else { continue }
            for data in topic.partitions {
                let tp = TopicPartition(name, data.partitionIndex)
                guard let request = round.sent[tp], let replica = replicas.replica(tp) else { continue }
                await apply(data, to: replica, tp: tp, request: request)
            }
        }
    }

    private func apply(_ data: FetchResponse.FetchableTopicResponse.PartitionData, to replica: Partition, tp: TopicPartition,
                       request: FetchPartitionRequest) async {
        let clock = replicas.clock
        let diverging = data.divergingEpoch.epoch >= 0 || data.divergingEpoch.endOffset >= 0
            ? EpochEndOffset(leaderEpoch: data.divergingEpoch.epoch, endOffset: data.divergingEpoch.endOffset) : nil
        let answer = FetchPartitionResponse(error: data.errorCode == 0 ? nil : ReplicationError(code: data.errorCode),
                                            highWatermark: data.highWatermark, logStartOffset: data.logStartOffset,
                                            divergingEpoch: diverging)
        let localEnd = replica.logEndOffset
        let decision = update(tp) { state in
            state.handleResponse(to: request, answer, localLogEndOffset: localEnd, now: clock.nowMs(), endOffsetForEpoch: { epoch in
                replica.endOffset(forLeaderEpoch: epoch).map { EpochEndOffset(leaderEpoch: $0.leaderEpoch, endOffset: $0.endOffset) }
            })
        }
        switch decision {
        case .append?:
            let records = data.records ?? ByteBuffer()
            let epoch = request.currentLeaderEpoch
            do {
                let write = try await replicas.io.run { () throws -> Partition.FollowerWrite in
                    try replica.appendAsFollower(records, leaderEpoch: epoch, now: clock.nowMs())
                }
                // No longer following in that epoch: the new metadata has (re)assigned the partition.
                guard write == .done else { return }
                let local = replica.withLog { (end: $0.logEndOffset, epoch: $0.latestEpoch, start: $0.logStartOffset) }
                let hw = update(tp) { state -> Int64? in
                    guard state.currentLeaderEpoch == epoch else { return nil }
                    return state.appended(logEndOffset: local.end, latestEpoch: local.epoch, logStartOffset: local.start,
                                          leaderHighWatermark: data.highWatermark)
                }
                if let hw = hw ?? nil { replica.updateFollowerHighWatermark(hw) }
            } catch {
                logger.error("could not append the leader's records; the partition stops until new metadata", metadata: [
                    "kafka.partition": "\(tp)", "error": "\(error)",
                ])
                update(tp) { if $0.currentLeaderEpoch == epoch { $0.markFailed() } }
            }
        case let .truncate(offset)?:
            logger.info("the leader says this log diverged", metadata: [
                "kafka.partition": "\(tp)", "kafka.diverging_epoch": "\(data.divergingEpoch.epoch)",
                "kafka.diverging_end_offset": "\(data.divergingEpoch.endOffset)", "log.end_offset": "\(localEnd)",
                "log.truncate_to": "\(offset)",
            ])
            await perform(.truncate(tp, toOffset: offset, leaderEpoch: request.currentLeaderEpoch))
        case .awaitMetadata?:
            logger.info("the leader fenced this follower's epoch; waiting for metadata", metadata: [
                "kafka.partition": "\(tp)", "kafka.leader_epoch": "\(request.currentLeaderEpoch)",
            ])
        case .backOff?:
            logger.debug("replica fetch of a partition failed; backing off", metadata: [
                "kafka.partition": "\(tp)", "kafka.error": "\(ErrorCode(rawValue: data.errorCode))",
            ])
        case .listLeaderOffsets?, .ignore?, nil:
            break
        }
    }
}

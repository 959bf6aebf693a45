import KafkaClient
import KafkaMetadata
import KafkaProtocol
import KafkaTransactions
import Logging
import NIOConcurrencyHelpers

/// The shell around the pure `TransactionCoordinator`: feeds it requests with the current time,
/// carries out its actions, and wakes it at `nextDeadline` on the node's clock.
///
/// - `.append`: the record is written to its `__transaction_state` partition under the leader epoch the
///   partition was loaded in (the coordinator epoch), fsync'd, and waited for until the high watermark
///   covers it (every ISR member has it) or `commitTimeoutMs` passes; then `appendCompleted`.
/// - `.writeMarkers`: WriteTxnMarkers to each partition's leader, this node's own partitions through
///   ``TransactionMarkerWriter``, the others over one connection per broker to its inter-broker
///   listener; then `markersWritten`.
/// - `.respond`: the request waiting under that id is answered.
///
/// Coordination follows the leadership of `__transaction_state` partitions, as for groups: elected
/// under a leader epoch, the node replays the partition from its own replica (requests for its ids
/// answer COORDINATOR_LOAD_IN_PROGRESS meanwhile) and finishes what a previous coordinator left
/// prepared; resigning, it drops the partition's ids and answers the requests waiting on them
/// NOT_COORDINATOR.
///
/// Invariant: a producer hears of a transition only once its record is committed; the core keeps the
/// transition pending (CONCURRENT_TRANSACTIONS to other requests) until then.
public actor TransactionCoordinatorService {
    public static let topic = "__transaction_state"

    var coordinator: TransactionCoordinator
    /// The `__transaction_state` partition count transactional ids are placed by.
    nonisolated let partitions: Int32
    let log: InternalTopicLog
    let metadata: MetadataService
    let writer: TransactionMarkerWriter
    let nodeID: Int32
    let interBrokerListener: String
    /// How marker and add-partition channels to the inter-broker listener are secured.
    let interBrokerSecurity: ChannelSecurity
    let clock: NodeClock
    let logger: Logger
    /// How long an append waits for the ISR, and a marker request for its answer (Kafka's
    /// `request.timeout.ms` for both).
    let requestTimeoutMs: Int64
    private var waiting: [UInt64: CheckedContinuation<TransactionReply, Never>] = [:]
    private var nextRequestID: UInt64 = 0
    /// The `__transaction_state` partitions loaded here, with the leader epoch they were loaded in.
    var loaded: [Int32: Int32] = [:]
    /// Leadership changes heard but not applied yet: per partition, the leader epoch or nil.
    let pendingLeadership = NIOLockedValueBox<[Int32: Int32?]>([:])
    var applyingLeadership = false
    var channels: [Int32: KafkaChannel] = [:]
    /// Waiters for a condition on the coordinator (`waitUntil`), checked after every change.
    private var conditionWaiters: [(condition: @Sendable (TransactionCoordinator) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    private var timerTask: Task<Void, Never>?
    private var timerDeadline: Int64 = .max
    private var timerGeneration: UInt64 = 0
    private var stopped = false

    init(config: TransactionCoordinatorConfig, replicas: ReplicaManager, groups: GroupCoordinatorService, metadata: MetadataService, nodeID: Int32,
         interBrokerListener: String, interBrokerSecurity: ChannelSecurity = ChannelSecurity(), requestTimeoutMs: Int64 = 30_000,
         clock: NodeClock, logger: Logger) {
        self.interBrokerSecurity = interBrokerSecurity
        coordinator = TransactionCoordinator(config: config)
        partitions = config.transactionStateLogPartitions
        log = InternalTopicLog(topic: Self.topic, replicas: replicas)
        writer = TransactionMarkerWriter(replicas: replicas, groups: groups, logger: logger)
        self.metadata = metadata
        self.nodeID = nodeID
        self.interBrokerListener = interBrokerListener
        self.requestTimeoutMs = requestTimeoutMs
        self.clock = clock
        self.logger = logger
    }

    /// Follows this node's leadership of `__transaction_state` and starts the timer.
    func start() {
        log.onLeadershipChange { [weak self] changes in self?.leadershipChanged(changes) }
        schedule()
    }

    func stop() async {
        stopped = true
        timerTask?.cancel()
        timerTask = nil
        for (id, waiter) in waiting { waiter.resume(returning: .endTransaction(requestID: id, .coordinatorNotAvailable)) }
        waiting.removeAll()
        for waiter in conditionWaiters { waiter.continuation.resume() }
        conditionWaiters.removeAll()
        for channel in channels.values { await channel.disconnect() }
        channels.removeAll()
    }

    // MARK: Requests

    /// Decides a request with a fresh request id, carries out the actions and waits for the reply.
    func request(_ decide: (inout TransactionCoordinator, UInt64, Int64) -> [TransactionAction]) async -> TransactionReply {
        nextRequestID &+= 1
        let id = nextRequestID
        if stopped { return .endTransaction(requestID: id, .coordinatorNotAvailable) }
        var actions = decide(&coordinator, id, clock.nowMs())
        let immediate = actions.firstIndex { if case let .respond(r) = $0 { r.requestID == id } else { false } }
            .map { actions.remove(at: $0) }
        perform(actions)
        if case let .respond(reply)? = immediate { return reply }
        return await withCheckedContinuation { waiting[id] = $0 }
    }

    /// A fresh producer id from this node's block when `needed` (the core asks the shell to allocate
    /// one before it decides), else nil. A failed allocation is logged with `purpose` and rethrown;
    /// the request then answers COORDINATOR_NOT_AVAILABLE.
    private func reserveProducerID(if needed: Bool, for purpose: String) async throws -> Int64? {
        guard needed else { return nil }
        do {
            return try await metadata.nextProducerID()
        } catch {
            logger.warning("could not reserve a producer id for \(purpose)", metadata: ["error": "\(error)"])
            throw error
        }
    }

    func initProducerID(transactionalID: String, timeoutMs: Int32, expected: ProducerIDAndEpoch?) async -> (ErrorCode, Int64, Int16) {
        let needed = coordinator.needsNewProducerID(transactionalID: transactionalID, timeoutMs: timeoutMs, expected: expected)
        let newID: Int64?
        do { newID = try await reserveProducerID(if: needed, for: "a transactional producer") } catch { return (.coordinatorNotAvailable, -1, -1) }
        let reply = await request { c, id, now in
            c.initProducerID(transactionalID: transactionalID, timeoutMs: timeoutMs, expected: expected, newProducerID: newID, requestID: id, now: now)
        }
        guard case let .initProducerID(_, code, producerID, epoch) = reply else { return (reply.errorCode, -1, -1) }
        return (code, producerID, epoch)
    }

    /// AddPartitionsToTxn; `transactionVersion` 2 when a partition leader adds them for a Produce v12+
    /// or TxnOffsetCommit v5 (KIP-890 part 2).
    func addPartitions(transactionalID: String, producerID: Int64, producerEpoch: Int16, partitions: Set<TopicPartition>,
                       transactionVersion: Int16 = 0) async -> ErrorCode {
        await request { c, id, now in
            c.addPartitions(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                            partitions: partitions, transactionVersion: transactionVersion, requestID: id, now: now)
        }.errorCode
    }

    func addOffsets(transactionalID: String, producerID: Int64, producerEpoch: Int16, groupID: String) async -> ErrorCode {
        await request { c, id, now in
            c.addOffsets(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch, groupID: groupID,
                         requestID: id, now: now)
        }.errorCode
    }

    /// EndTxn; with `transactionVersion` 2 (v5) a success also gives the producer id and epoch the
    /// producer goes on with, and an end at the last epoch first reserves the new producer id.
    func endTransaction(transactionalID: String, producerID: Int64, producerEpoch: Int16, committed: Bool,
                        transactionVersion: Int16 = 0) async -> (ErrorCode, producerID: Int64, producerEpoch: Int16) {
        let needed = transactionVersion >= 2
            && coordinator.needsNewProducerID(endingTransactionOf: transactionalID, producerID: producerID, producerEpoch: producerEpoch)
        let newID: Int64?
        do { newID = try await reserveProducerID(if: needed, for: "a transaction's epoch rotation") } catch { return (.coordinatorNotAvailable, -1, -1) }
        let reply = await request { c, id, now in
            c.endTransaction(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                             result: TransactionResult(committed: committed), transactionVersion: transactionVersion,
                             newProducerID: newID, requestID: id, now: now)
        }
        guard case let .endTransaction(_, code, nextID, nextEpoch) = reply else { return (reply.errorCode, -1, -1) }
        return (code, nextID, nextEpoch)
    }

    func verifyPartitions(transactionalID: String, producerID: Int64, producerEpoch: Int16,
                          partitions: Set<TopicPartition>) -> [TopicPartition: ErrorCode] {
        coordinator.verifyPartitions(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch, partitions: partitions)
    }

    func describe(transactionalID: String) -> Result<TransactionMetadata, CoordinatorError> {
        coordinator.describe(transactionalID: transactionalID)
    }

    func list(states: Set<TransactionState>, producerIDs: Set<Int64>, minimumDurationMs: Int64) -> (loading: Bool, [TransactionMetadata]) {
        (coordinator.isLoading, coordinator.list(states: states, producerIDs: producerIDs, minimumDurationMs: minimumDurationMs, now: clock.nowMs()))
    }

    // MARK: Actions

    /// Carries out `actions` in order (appends and markers run in the background and come back with
    /// their results), then sets the timer to the core's next deadline.
    func perform(_ actions: [TransactionAction]) {
        for action in actions {
            switch action {
            case let .append(partition, coordinatorEpoch, transactionalID, record):
                let log = self.log, clock = self.clock, timeout = requestTimeoutMs
                Task {
                    let code: ErrorCode
                    do {
                        let end = try await log.append([.init(key: record.key, value: record.value)], partition: partition,
                                                       leaderEpoch: coordinatorEpoch, now: clock.nowMs())
                        code = await log.waitUntilCommitted(partition: partition, offset: end, leaderEpoch: coordinatorEpoch,
                                                            timeoutMs: timeout, clock: clock) ?? .noError
                    } catch let failure as InternalTopicLog.AppendFailure {
                        code = failure.code
                    } catch {
                        code = .unknownServerError
                    }
                    self.appendCompleted(transactionalID, code)
                }
            case let .respond(reply):
                waiting.removeValue(forKey: reply.requestID)?.resume(returning: reply)
            case let .writeMarkers(markers):
                Task {
                    let outcomes = await self.send(markers)
                    self.markersWritten(markers, outcomes)
                }
            }
        }
        schedule()
        if !conditionWaiters.isEmpty {
            let coordinator = self.coordinator
            conditionWaiters.removeAll { waiter in
                guard waiter.condition(coordinator) else { return false }
                waiter.continuation.resume()
                return true
            }
        }
    }

    /// Returns once `condition` holds for the coordinator's state (at once if it does now), or the
    /// service stopped: for tests and tools that wait for a load or a transaction to settle.
    public func waitUntil(_ condition: @escaping @Sendable (TransactionCoordinator) -> Bool) async {
        if stopped || condition(coordinator) { return }
        await withCheckedContinuation { conditionWaiters.append((condition, $0)) }
    }

    private func appendCompleted(_ transactionalID: String, _ code: ErrorCode) {
        if code != .noError {
            logger.info("a __transaction_state append failed", metadata: ["transactional_id": "\(transactionalID)", "error": "\(code)"])
        }
        perform(coordinator.appendCompleted(transactionalID: transactionalID, code, now: clock.nowMs()))
    }

    private func markersWritten(_ markers: TransactionMarkers, _ outcomes: [TopicPartition: MarkerOutcome]) {
        perform(coordinator.markersWritten(transactionalID: markers.transactionalID, coordinatorEpoch: markers.coordinatorEpoch,
                                           outcomes, now: clock.nowMs()))
    }

    // MARK: Timer

    private func schedule() {
        guard !stopped else { return }
        let deadline = coordinator.nextDeadline
        guard deadline < timerDeadline else { return }
        timerDeadline = deadline
        timerTask?.cancel()
        timerGeneration &+= 1
        let clock = self.clock, generation = timerGeneration
        timerTask = Task { [weak self] in
            do { try await clock.sleep(untilMs: deadline) } catch { return }
            await self?.fire(generation)
        }
    }

    private func fire(_ generation: UInt64) {
        guard generation == timerGeneration, !stopped else { return }
        timerTask = nil
        timerDeadline = .max
        perform(coordinator.tick(now: clock.nowMs()))
    }
}

extension TransactionReply {
    /// The error code of any reply (a reply of another kind than asked for only comes from a stopped
    /// coordinator).
    var errorCode: ErrorCode {
        switch self {
        case let .initProducerID(_, code, _, _), let .addPartitions(_, code), let .endTransaction(_, code, _, _): code
        }
    }
}

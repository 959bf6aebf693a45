import KafkaProtocol

/// A producer id and epoch, as InitProducerId v3+ sends its own (KIP-360).
public struct ProducerIDAndEpoch: Hashable, Sendable {
    public var producerID: Int64
    public var epoch: Int16
    public init(producerID: Int64, epoch: Int16) {
        self.producerID = producerID
        self.epoch = epoch
    }
}

/// The transaction coordinator: every transactional id whose `__transaction_state` partition this
/// broker leads, and the transitions in flight (Kafka's `TransactionCoordinator` with its
/// `TransactionStateManager`).
///
/// Pure: each input takes `now` and returns `[TransactionAction]` in the order the shell carries them
/// out. A transition is written first and takes effect when its append completes (`appendCompleted`),
/// as in Kafka: while it is pending, other requests for the id get CONCURRENT_TRANSACTIONS. EndTxn is
/// answered once PrepareCommit/PrepareAbort is written; the markers follow, and when every partition
/// has one, CompleteCommit/CompleteAbort is written.
///
/// Requests for an id are served only when this coordinator owns its partition (`partition(for:)`):
/// NOT_COORDINATOR otherwise, COORDINATOR_LOAD_IN_PROGRESS while the partition is being replayed.
public struct TransactionCoordinator: Sendable {
    public let config: TransactionCoordinatorConfig
    public internal(set) var transactions: [String: TransactionMetadata] = [:]
    /// The owned `__transaction_state` partitions and their coordinator epochs (the partition's
    /// leader epoch when this broker became its leader).
    public internal(set) var ownedPartitions: [Int32: Int32] = [:]
    /// Partitions being replayed, with the coordinator epoch they will be owned with, and what the
    /// replay has read so far.
    var loading: [Int32: (coordinatorEpoch: Int32, transactions: [String: TransactionMetadata])] = [:]
    /// For each id with a pending transition: what completes it and who waits for it.
    var inFlight: [String: InFlight] = [:]
    /// When an id's markers or completion are tried again (see `tick`).
    var retryAt: [String: Int64] = [:]
    var nextTimeoutScan: Int64 = 0
    var nextExpiryScan: Int64 = 0

    public init(config: TransactionCoordinatorConfig = TransactionCoordinatorConfig()) {
        self.config = config
    }

    public func partition(for transactionalID: String) -> Int32 {
        CoordinatorPartitioner.partition(for: transactionalID, partitionCount: config.transactionStateLogPartitions)
    }

    /// Who waits for a pending transition.
    enum Waiter: Hashable, Sendable {
        case none
        case initProducerID(UInt64)
        /// InitProducerId found an ongoing transaction: it is aborted with a bumped epoch and the
        /// producer is told CONCURRENT_TRANSACTIONS, so that it retries and bumps once more.
        case initProducerIDFence(UInt64)
        case addPartitions(UInt64)
        case endTransaction(UInt64)
    }

    struct InFlight: Hashable, Sendable {
        enum Phase: Hashable, Sendable {
            /// The transition's record is being appended.
            case appending
            /// Markers are being written; the transition (Complete*) is appended after them.
            case markers
            /// A marker request is out.
            case markersSent
            /// A partition refused the markers as from an older coordinator: nothing more is sent.
            case fenced
        }
        var transition: TransactionMetadata.Transition
        var coordinatorEpoch: Int32
        var waiter: Waiter
        var phase: Phase
    }

    /// The coordinator epoch for `transactionalID`, or why this coordinator cannot serve it.
    func coordinatorEpoch(for transactionalID: String) -> Result<Int32, CoordinatorError> {
        let p = partition(for: transactionalID)
        if loading[p] != nil { return .failure(.loadInProgress) }
        guard let epoch = ownedPartitions[p] else { return .failure(.notCoordinator) }
        return .success(epoch)
    }

    /// Starts `transition` of `transactionalID`: marks it pending and asks for its append.
    mutating func begin(_ transition: TransactionMetadata.Transition, of transactionalID: String, coordinatorEpoch: Int32,
                        waiter: Waiter) -> [TransactionAction] {
        transactions[transactionalID]?.pending = transition
        inFlight[transactionalID] = InFlight(
            transition: transition, coordinatorEpoch: coordinatorEpoch, waiter: waiter, phase: .appending)
        return [appendAction(transactionalID, transition, coordinatorEpoch: coordinatorEpoch)]
    }

    func appendAction(_ transactionalID: String, _ transition: TransactionMetadata.Transition, coordinatorEpoch: Int32) -> TransactionAction {
        .append(partition: partition(for: transactionalID), coordinatorEpoch: coordinatorEpoch, transactionalID: transactionalID,
                TransactionRecord(transactionalID: transactionalID, transition))
    }

    /// The reply to `waiter`: `code`, or on success what the request asked for.
    func reply(_ waiter: Waiter, _ code: ErrorCode, _ metadata: TransactionMetadata?) -> [TransactionAction] {
        switch waiter {
        case .none:
            return []
        case let .initProducerID(id):
            if code == .noError, let m = metadata {
                return [.respond(.initProducerID(requestID: id, .noError, producerID: m.producerID, producerEpoch: m.producerEpoch))]
            }
            return [.respond(.initProducerID(requestID: id, code, producerID: NoProducer.id, producerEpoch: NoProducer.epoch))]
        case let .initProducerIDFence(id):
            let answer: ErrorCode = code == .noError ? .concurrentTransactions : code
            return [.respond(.initProducerID(requestID: id, answer, producerID: NoProducer.id, producerEpoch: NoProducer.epoch))]
        case let .addPartitions(id):
            return [.respond(.addPartitions(requestID: id, code))]
        case let .endTransaction(id):
            if code == .noError, let m = metadata, m.clientTransactionVersion >= 2 {
                let next = m.producerAfterCompletion
                return [.respond(.endTransaction(requestID: id, .noError, producerID: next.id, producerEpoch: next.epoch))]
            }
            return [.respond(.endTransaction(requestID: id, code))]
        }
    }

    // MARK: Append completion

    /// The append asked for by the last `.append` of `transactionalID` committed (`.noError`) or failed.
    public mutating func appendCompleted(transactionalID: String, _ code: ErrorCode, now: Int64) -> [TransactionAction] {
        // Nothing in flight: the partition was unloaded meanwhile and the waiter already answered.
        guard let flight = inFlight[transactionalID], flight.phase == .appending else { return [] }
        inFlight[transactionalID] = nil
        guard var m = transactions[transactionalID] else { return reply(flight.waiter, .notCoordinator, nil) }
        guard code == .noError else {
            m.pending = nil
            transactions[transactionalID] = m
            if flight.transition.state == .completeCommit || flight.transition.state == .completeAbort {
                // The markers are written; only the completion is missing. Try it again later.
                retryAt[transactionalID] = now + config.markerRetryBackoffMs
            }
            return reply(flight.waiter, CoordinatorError.appendFailure(code).code, nil)
        }
        guard ownedPartitions[partition(for: transactionalID)] == flight.coordinatorEpoch else {
            return reply(flight.waiter, .notCoordinator, nil)
        }
        m.apply(flight.transition)
        if m.state == .dead {
            transactions[transactionalID] = nil
            return []
        }
        transactions[transactionalID] = m
        var actions = reply(flight.waiter, .noError, m)
        if m.state == .prepareCommit || m.state == .prepareAbort {
            actions += startMarkers(transactionalID, coordinatorEpoch: flight.coordinatorEpoch, now: now)
        }
        return actions
    }
}

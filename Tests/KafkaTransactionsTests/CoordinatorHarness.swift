import KafkaProtocol
import Testing
@testable import KafkaTransactions

/// A coordinator that owns every `__transaction_state` partition, with the shell's side played by
/// hand: appends and markers wait in lists until a test completes them; committed records are kept
/// per partition, so a test can reload them into a fresh coordinator.
struct CoordinatorHarness {
    var coordinator: TransactionCoordinator
    var now: Int64 = 1_000
    var nextRequestID: UInt64 = 0
    var nextProducerID: Int64 = 4_000
    /// Appends asked for and not yet completed, oldest first.
    var appends: [(partition: Int32, epoch: Int32, id: String, record: TransactionRecord)] = []
    var markers: [TransactionMarkers] = []
    var replies: [TransactionReply] = []
    /// Records committed to each partition, in order.
    var log: [Int32: [TransactionRecord]] = [:]
    /// A coordinator loading every partition, replaying each record as it commits: `reloaded()`
    /// finishes its load instead of replaying the whole log again.
    var shadow: TransactionCoordinator
    let coordinatorEpoch: Int32

    init(config: TransactionCoordinatorConfig = TransactionCoordinatorConfig(), coordinatorEpoch: Int32 = 7) {
        coordinator = TransactionCoordinator(config: config)
        shadow = TransactionCoordinator(config: config)
        self.coordinatorEpoch = coordinatorEpoch
        for p in 0..<config.transactionStateLogPartitions {
            _ = coordinator.beginLoading(partition: p, coordinatorEpoch: coordinatorEpoch)
            _ = coordinator.finishLoading(partition: p, now: now)
            _ = shadow.beginLoading(partition: p, coordinatorEpoch: coordinatorEpoch + 1)
        }
        // The shell ticks once at start; the periodic scans count from then.
        _ = coordinator.tick(now: now)
    }

    /// "app" held by producer 4000 at epoch 0 with `partitions` in an ongoing transaction, every
    /// record committed and every reply taken.
    static func ongoing(_ partitions: [TopicPartition], config: TransactionCoordinatorConfig = TransactionCoordinatorConfig()) -> CoordinatorHarness {
        var h = CoordinatorHarness(config: config)
        h.initProducerID("app")
        h.completeAllAppends()
        h.addPartitions("app", 4_000, 0, partitions)
        h.completeAppend()
        h.replies.removeAll()
        return h
    }

    mutating func take(_ actions: [TransactionAction]) {
        for action in actions {
            switch action {
            case let .append(partition, epoch, id, record): appends.append((partition, epoch, id, record))
            case let .respond(reply): replies.append(reply)
            case let .writeMarkers(m): markers.append(m)
            }
        }
    }

    mutating func requestID() -> UInt64 {
        nextRequestID += 1
        return nextRequestID
    }

    /// The one reply to `requestID`, removed from `replies`.
    mutating func reply(_ requestID: UInt64) -> TransactionReply? {
        guard let i = replies.firstIndex(where: { $0.requestID == requestID }) else { return nil }
        return replies.remove(at: i)
    }

    @discardableResult
    mutating func initProducerID(_ id: String, timeoutMs: Int32 = 60_000, expected: ProducerIDAndEpoch? = nil) -> UInt64 {
        let r = requestID()
        var newID: Int64?
        if coordinator.needsNewProducerID(transactionalID: id, timeoutMs: timeoutMs, expected: expected) {
            newID = nextProducerID
            nextProducerID += 1
        }
        take(coordinator.initProducerID(transactionalID: id, timeoutMs: timeoutMs, expected: expected, newProducerID: newID, requestID: r, now: now))
        return r
    }

    @discardableResult
    mutating func addPartitions(_ id: String, _ pid: Int64, _ epoch: Int16, _ partitions: [TopicPartition], version: Int16 = 0) -> UInt64 {
        let r = requestID()
        take(coordinator.addPartitions(transactionalID: id, producerID: pid, producerEpoch: epoch, partitions: Set(partitions),
                                       transactionVersion: version, requestID: r, now: now))
        return r
    }

    @discardableResult
    mutating func endTransaction(_ id: String, _ pid: Int64, _ epoch: Int16, _ result: TransactionResult, version: Int16 = 0,
                                 newProducerID: Int64? = nil) -> UInt64 {
        let r = requestID()
        take(coordinator.endTransaction(transactionalID: id, producerID: pid, producerEpoch: epoch, result: result,
                                        transactionVersion: version, newProducerID: newProducerID, requestID: r, now: now))
        return r
    }

    /// Completes the oldest pending append with `code`; on success its record joins the log.
    mutating func completeAppend(_ code: ErrorCode = .noError) {
        let a = appends.removeFirst()
        if code == .noError {
            log[a.partition, default: []].append(a.record)
            do { try shadow.replay(a.record, partition: a.partition) } catch { Issue.record("replay: \(error)") }
        }
        take(coordinator.appendCompleted(transactionalID: a.id, code, now: now))
    }

    mutating func completeAllAppends() {
        while !appends.isEmpty { completeAppend() }
    }

    /// Answers the oldest marker request: every partition gets `outcome`.
    mutating func answerMarkers(_ outcome: MarkerOutcome = .written) {
        let m = markers.removeFirst()
        take(coordinator.markersWritten(
            transactionalID: m.transactionalID, coordinatorEpoch: m.coordinatorEpoch,
            Dictionary(uniqueKeysWithValues: m.partitions.map { ($0, outcome) }), now: now))
    }

    mutating func tick(to time: Int64) {
        now = time
        take(coordinator.tick(now: now))
    }

    /// A fresh coordinator loaded from the committed log.
    func reloaded() -> TransactionCoordinator {
        var c = shadow
        for p in 0..<c.config.transactionStateLogPartitions { _ = c.finishLoading(partition: p, now: now) }
        return c
    }

    func state(_ id: String) -> TransactionMetadata? { coordinator.transactions[id] }
}

let tp0 = TopicPartition("orders", 0)
let tp1 = TopicPartition("orders", 1)
let tp2 = TopicPartition("payments", 0)

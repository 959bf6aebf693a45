import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import KafkaReplication
import NIOConcurrencyHelpers
import NIOCore

/// This node's state of one partition (Kafka's `kafka.cluster.Partition`): its log, the leader epoch of
/// the partition registration it follows, the topic settings, the one path by which a leader appends
/// (``appendAsLeader(_:origin:requiredAcks:decompressionLimit:now:leaderEpoch:)``) and, while this node
/// leads, the leader's replication state (`PartitionLeaderState`: followers' progress, ISR changes, the
/// high watermark; `Replication/Partition+Leader.swift`). Followers write only through
/// `Replication/Partition+Follower.swift`.
///
/// Invariants: `logStartOffset <= highWatermark <= logEndOffset`; the high watermark only moves forward
/// here and is assigned in one place, ``maybeIncrementHighWatermark(_:in:)`` (the log itself lowers it
/// only when it truncates, and raises it to a new log start offset). On a leader it is what the leader
/// state computes: the smallest log end offset of the ISR, where the leader counts its own appends once
/// they are durable enough (at once, or after the flush an acks=all append waits for when
/// `flush.messages`/`flush.ms` are not set, ``Settings/flushBeforeAcksAll``). Leadership changes and
/// follower writes happen under the partition's lock, so no follower write lands in a leader's log.
///
/// Every log access holds the partition's lock (the log is not thread-safe), one caller at a time;
/// validation runs before it, without the lock, so producers to one partition check their records in
/// parallel. Blocking file work belongs on the node's ``BlockingIOExecutor``, not on Swift's cooperative
/// threads or event loops.
final class Partition: @unchecked Sendable {
    let topicPartition: TopicPartition
    let topicID: KafkaUUID
    /// The log directory (one of `log.dirs`) holding this partition.
    let logDirectory: String
    let lock = NIOLock()
    private(set) var log: PartitionLog
    var _settings: Settings
    var _leaderEpoch: Int32
    /// The leader's view of replication while this node leads the partition (followers' progress, the
    /// ISR, the high watermark); nil on a follower, and for the metadata log, whose quorum commits.
    var leaderState: PartitionLeaderState?
    /// The partition registration this node last applied (``recordRegistration(_:)``).
    var appliedRegistration: PartitionRegistration?
    /// acks=all produce requests waiting for the high watermark.
    let highWatermarkWaiters: HighWatermarkWaiters
    /// KIP-890: per producer id, the guard of a verification with its transaction coordinator in
    /// progress (see `Partition+Verification.swift`).
    var verificationGuards: [Int64: VerificationGuard] = [:]
    var lastVerificationGuard: UInt64 = 0
    /// Where leader effects go (fetch wake-ups, ISR proposals).
    let hooks: ReplicationHooks

    struct Settings: Sendable, Equatable {
        var logAppendTime: Bool
        var flushBeforeAcksAll: Bool
        var maxMessageBytes: Int
        var timestampBeforeMaxMs: Int64
        var timestampAfterMaxMs: Int64
        /// `cleanup.policy` includes `compact`: producers must key every record.
        var compacted: Bool = false
        /// `min.insync.replicas`: acks=all needs this many in-sync replicas.
        var minInsyncReplicas: Int = 1

        /// For partitions no client writes to (`__cluster_metadata`).
        static let internalOnly = Settings(logAppendTime: false, flushBeforeAcksAll: false, maxMessageBytes: .max,
                                           timestampBeforeMaxMs: .max, timestampAfterMaxMs: .max)
    }

    init(topicPartition: TopicPartition, topicID: KafkaUUID, logDirectory: String, log: PartitionLog, settings: Settings,
         leaderEpoch: Int32, hooks: ReplicationHooks = ReplicationHooks()) {
        self.hooks = hooks
        self.topicPartition = topicPartition
        self.topicID = topicID
        self.logDirectory = logDirectory
        self.log = log
        self._settings = settings
        self._leaderEpoch = leaderEpoch
        self.highWatermarkWaiters = HighWatermarkWaiters(highWatermark: log.highWatermark)
    }

    var settings: Settings { lock.withLock { _settings } }
    /// The leader epoch of the partition registration this node last applied (Kafka's `leaderEpoch`):
    /// stamped on every batch a leader appends.
    var leaderEpoch: Int32 { lock.withLock { _leaderEpoch } }
    var highWatermark: Int64 { lock.withLock { log.highWatermark } }
    var logEndOffset: Int64 { lock.withLock { log.logEndOffset } }
    var logStartOffset: Int64 { lock.withLock { log.logStartOffset } }

    /// Records the leadership of a newer partition registration.
    func updateLeaderEpoch(_ epoch: Int32) {
        lock.withLock { _leaderEpoch = epoch }
    }

    /// Runs `body` on the log under the partition's lock. For reads and for the log's own maintenance
    /// (retention, cleaning, flush policies, DeleteRecords, truncation); appends go through
    /// ``appendAsLeader(_:origin:requiredAcks:decompressionLimit:now:leaderEpoch:)``.
    func withLog<T>(_ body: (PartitionLog) throws -> T) rethrows -> T {
        try lock.withLock { try body(log) }
    }

    /// Swaps in a log reopened with new settings (topic configs changed).
    func replace(log newLog: (PartitionLog) throws -> PartitionLog, settings: Settings) rethrows {
        try lock.withLock {
            // The reopened log starts with the high watermark the old one had, not at its end.
            let highWatermark = log.highWatermark
            log = try newLog(log)
            log.updateHighWatermark(highWatermark)
            _settings = settings
            leaderState?.minInsyncReplicas = settings.minInsyncReplicas
        }
    }

    /// What a leader's append did.
    struct LeaderAppend: Sendable {
        var info: AppendInfo
        /// The flush this append waits for before its records count toward the high watermark; the
        /// caller performs it with ``flush(_:now:)``, on the blocking-I/O executor.
        var pendingFlush: PendingFlush?
        /// The leader epoch the records were appended under (acks=all waits within it).
        var leaderEpoch: Int32 = -1
    }

    /// The one path by which this node appends to the partition as its leader (Kafka's
    /// `appendRecordsToLeader`): validates `records` for `origin` (``LogValidator``, without the lock),
    /// then under the lock appends them at the log end offset, stamped with the leader epoch (this
    /// partition's, unless `leaderEpoch` is given: the metadata quorum writes each entry at its own epoch),
    /// and advances the high watermark when nothing more is needed:
    /// - a client's acks=all append with ``Settings/flushBeforeAcksAll`` and a coordinator's append (group
    ///   changes are durable before any client hears of them) return a pending flush instead, and the high
    ///   watermark moves when it completes;
    /// - the metadata quorum's appends never move it: the quorum commits by a majority of voters and says
    ///   so with ``maybeIncrementHighWatermark(_:)``.
    ///
    /// Also returns the bytes that validating the records inflated, whether or not the append then
    /// succeeded (Produce charges them to the request's decompression budget).
    ///
    /// Only a client's records may be stamped with LogAppendTime (`message.timestamp.type`).
    ///
    /// A client's records are appended only while this node leads (it has leader state), checked under
    /// the lock ``makeFollower(_:)`` takes, else NOT_LEADER_OR_FOLLOWER and nothing is written.
    ///
    /// With `requiredLeaderEpoch` the append happens only while this node leads under exactly that
    /// epoch, else NOT_LEADER_OR_FOLLOWER: the group coordinator writes only to the leadership it loaded.
    ///
    /// Blocks on file writes: call it on the blocking-I/O executor. (The metadata quorum and the group
    /// coordinator still call it on their actors: their ordering relies on the write and its fsync
    /// finishing before the actor takes its next message.)
    ///
    /// With `verification`, a transactional batch that would open a transaction here must carry the
    /// guard its verification with the coordinator got, still current (KIP-890; see
    /// ``transactionVerificationGuard(producerID:)``), else INVALID_TXN_STATE.
    func appendAsLeader(_ records: ByteBuffer?, origin: LogValidator.Origin, requiredAcks: Int16 = -1, decompressionLimit: Int,
                        now: Int64, leaderEpoch explicitEpoch: Int32? = nil, requiredLeaderEpoch: Int32? = nil,
                        verification: TransactionVerification? = nil)
        -> (result: Result<LeaderAppend, LogValidator.Failure>, inflatedBytes: Int) {
        let (validation, inflatedBytes) = validateForLeader(records, origin: origin, decompressionLimit: decompressionLimit, now: now)
        switch validation {
        case let .success(v):
            return (appendValidated(v, requiredAcks: requiredAcks, leaderEpoch: explicitEpoch, requiredLeaderEpoch: requiredLeaderEpoch,
                                    verification: verification), inflatedBytes)
        case let .failure(f):
            return (.failure(f), inflatedBytes)
        }
    }

    /// Records that passed ``LogValidator`` under this partition's settings, waiting to be appended
    /// with ``appendValidated(_:requiredAcks:leaderEpoch:requiredLeaderEpoch:verification:)``. They
    /// carry what the validation decided (the origin, the timestamp type, the time), so the append
    /// stamps them as they were validated even if the topic's settings change in between.
    struct LeaderValidation: Sendable {
        var records: ValidatedRecords
        var origin: LogValidator.Origin
        var timestampType: TimestampType
        var now: Int64
    }

    /// The first half of ``appendAsLeader(_:origin:requiredAcks:decompressionLimit:now:leaderEpoch:requiredLeaderEpoch:verification:)``:
    /// validates `records` for `origin` without the lock and without looking at the log, so a
    /// connection's next Produce request can be validated while the one before it is still being
    /// appended. Returns the bytes that validating inflated, whether or not the records are valid.
    /// Blocks on CPU work (CRC32C, decompression): call it on the blocking-I/O executor.
    func validateForLeader(_ records: ByteBuffer?, origin: LogValidator.Origin, decompressionLimit: Int, now: Int64)
        -> (result: Result<LeaderValidation, LogValidator.Failure>, inflatedBytes: Int) {
        let (settings, config) = lock.withLock { (_settings, log.config) }
        var limits = LogValidator.Limits(maxMessageBytes: settings.maxMessageBytes, decompressionLimit: decompressionLimit)
        limits.logAppendTime = settings.logAppendTime
        limits.timestampBeforeMaxMs = settings.timestampBeforeMaxMs
        limits.timestampAfterMaxMs = settings.timestampAfterMaxMs
        limits.requireKeys = settings.compacted
        let (validation, inflatedBytes) = LogValidator.validate(records, origin: origin, limits: limits, config: config, now: now)
        switch validation {
        case let .success(v):
            let timestampType: TimestampType
            if case .client = origin, settings.logAppendTime { timestampType = .logAppendTime } else { timestampType = .createTime }
            return (.success(LeaderValidation(records: v, origin: origin, timestampType: timestampType, now: now)), inflatedBytes)
        case let .failure(f):
            return (.failure(f), inflatedBytes)
        }
    }

    /// The second half of ``appendAsLeader(_:origin:requiredAcks:decompressionLimit:now:leaderEpoch:requiredLeaderEpoch:verification:)``:
    /// under the lock, checks that this node still leads (and the ISR, the transaction verification and
    /// the producer's sequence), then appends the validated records at the log end offset. Blocks on the
    /// file write: call it on the blocking-I/O executor.
    func appendValidated(_ validation: LeaderValidation, requiredAcks: Int16 = -1, leaderEpoch explicitEpoch: Int32? = nil,
                         requiredLeaderEpoch: Int32? = nil, verification: TransactionVerification? = nil)
        -> Result<LeaderAppend, LogValidator.Failure> {
        let settings = lock.withLock { _settings }
        let validated = validation.records, origin = validation.origin, now = validation.now
        let timestampType = validation.timestampType
        let sync: Bool
        let advance: Bool
        switch origin {
        case .client: (sync, advance) = (requiredAcks == -1 && settings.flushBeforeAcksAll, true)
        case .coordinator: (sync, advance) = (true, true)
        case .raftLeader: (sync, advance) = (false, false)
        }
        do {
            let (append, effects) = try lock.withLock { () throws -> (LeaderAppend, [LeaderEffect]) in
                // Checked under the lock makeFollower takes: the caller found this node leading in an
                // image that may be older than the partition's state, and a client's records written to
                // a follower's log would sit at offsets the leader gives to other records (replicas diverge).
                if case .client = origin, leaderState == nil {
                    throw LogValidator.Failure(code: .notLeaderOrFollower,
                                               message: "This broker does not lead \(topicPartition) (it knows leader epoch \(_leaderEpoch))")
                }
                if let required = requiredLeaderEpoch, leaderState == nil || _leaderEpoch != required {
                    throw LogValidator.Failure(code: .notLeaderOrFollower,
                                               message: "This broker does not lead \(topicPartition) in leader epoch \(required) (it knows epoch \(_leaderEpoch))")
                }
                if case .client = origin, let leaderState,
                   let error = leaderState.minIsrCheck(requiredAcks: requiredAcks, minInsyncReplicas: settings.minInsyncReplicas) {
                    throw LogValidator.Failure(code: ErrorCode(rawValue: error.code),
                                               message: "The size of the current ISR \(leaderState.isr.sorted()) is insufficient to satisfy the min.isr requirement of \(settings.minInsyncReplicas) for partition \(topicPartition)")
                }
                let epoch = explicitEpoch ?? _leaderEpoch
                if let verification { try checkVerification(verification, validated) }
                var coordinatorWrite = false
                if case .coordinator = origin { coordinatorWrite = true }
                let info = try log.append(validated, leaderEpoch: epoch, timestampType: timestampType, now: now,
                                          checksSequences: !coordinatorWrite)
                if verification != nil, let pid = validated.headers.first?.producerId { verificationGuards[pid] = nil }
                if sync, let pending = try log.prepareFlush() {
                    return (LeaderAppend(info: info, pendingFlush: pending, leaderEpoch: epoch), [])
                }
                let effects = advance ? advanceLeaderEnd(log.logEndOffset, now: now) : []
                return (LeaderAppend(info: info, pendingFlush: nil, leaderEpoch: epoch), effects)
            }
            perform(effects)
            return .success(append)
        } catch let failure as LogValidator.Failure {
            return .failure(failure)
        } catch let error as LogError {
            return .failure(LogValidator.Failure(error))
        } catch {
            return .failure(LogValidator.Failure(code: .unknownServerError, message: "\(error)"))
        }
    }

    /// Performs an append's pending flush (it blocks: call it on the blocking-I/O executor), without the
    /// partition's lock, then records it and lets the high watermark cover what it made durable. A
    /// failed sync takes the log offline (see ``KafkaLog/PartitionLog/failFlush(_:)``) and is rethrown.
    func flush(_ pending: PendingFlush, now: @autoclosure () -> Int64) throws(LogError) {
        try performFlush(pending)
        let now = now()
        let effects = lock.withLock { () -> [LeaderEffect] in
            log.completeFlush(pending, now: now)
            return advanceLeaderEnd(pending.end, now: now)
        }
        perform(effects)
    }

    /// Makes the segments a roll sealed durable, without holding the lock across their fsyncs (a roll
    /// syncs nothing, ``KafkaLog/PartitionLog/roll(now:)``): Kafka's "flush-log" task after a roll. The
    /// active segment's records so far are flushed with them. Only the log's recovery point moves: a
    /// leader's high watermark follows its own appends' flushes, a follower's the leader's word.
    /// Blocks: call it on the blocking-I/O executor. Returns whether there was anything to flush; a
    /// failed sync takes the log offline, as any flush's does.
    @discardableResult
    func flushSealedSegments(now: @autoclosure () -> Int64) throws(LogError) -> Bool {
        let pending = try withLogTyped { log throws(LogError) -> PendingFlush? in
            log.hasUnflushedSealedSegment ? try log.prepareFlush() : nil
        }
        guard let pending else { return false }
        try performFlush(pending)
        let now = now()
        withLog { $0.completeFlush(pending, now: now) }
        return true
    }

    /// Syncs `pending`'s files without the lock (it blocks); a failed sync takes the log offline (see
    /// ``KafkaLog/PartitionLog/failFlush(_:)``) and is rethrown. Recording it is the caller's.
    func performFlush(_ pending: PendingFlush) throws(LogError) {
        do {
            try pending.perform()
        } catch {
            withLog { $0.failFlush(error) }
            throw error
        }
    }

    /// Raises the high watermark to `offset` (clamped to the log end offset) when that is higher: for
    /// the metadata quorum's commits.
    func maybeIncrementHighWatermark(_ offset: Int64) {
        lock.withLock { maybeIncrementHighWatermark(offset, in: log) }
    }

    /// The one place this node assigns a partition's high watermark: forward only, never past the log
    /// end offset. Caller holds the lock.
    func maybeIncrementHighWatermark(_ candidate: Int64, in log: PartitionLog) {
        if candidate > log.highWatermark { log.updateHighWatermark(candidate) }
    }
}

import KafkaClient
import KafkaGroups
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers

/// The shell around the pure `GroupCoordinator`: feeds it requests with the current time, carries
/// out its actions in order, and wakes it for its deadlines: one timer on the node's clock, set to the
/// earliest deadline the core scheduled (`scheduleTimeout`) or the next offsets-retention check,
/// whichever comes first. A timer the core moved later fires early and harmlessly; the next one is then
/// taken from `nextDeadline`.
///
/// Coordination follows partition leadership (Kafka's `onElection` / `onResignation`): the node
/// coordinates exactly the `__consumer_offsets` partitions it leads. When it is elected leader of one (a
/// new leader epoch) it replays that partition's records from its own replica, which it kept up to date
/// as a follower, and serves its groups; when it resigns it drops them, answering parked requests
/// NOT_COORDINATOR. Changes are heard from the replica manager (`ConsumerOffsetsLog.onLeadershipChange`)
/// and applied by whoever next takes the gate, so a load or unload never runs between a request's
/// decision and its append.
///
/// Invariant: a client hears of a group change, or of state that depends on one, only after the records
/// describing it are committed: durable in this leader's log and covered by the partition's high
/// watermark, so every ISR member has them and a new leader loads them. Requests run one at a time
/// through `gate`, which is held while the core decides and the records are appended and fsync'd (on
/// the blocking-I/O executor) but not while the reply waits for the ISR: each reply waits, outside the
/// gate, until the high watermark reaches the end of what has been written to its groups' partitions
/// (``CommitPoint``), as Kafka's coordinator runtime defers a reply until its writes (or the writes
/// before a read) are committed. So one slow follower delays only the replies of its partitions, never
/// the heartbeats of other groups. A wait that does not end well is answered with Kafka's mapping
/// (``CoordinatorWriteError``): NOT_COORDINATOR when the leadership ended, COORDINATOR_NOT_AVAILABLE
/// after `offsets.commit.timeout.ms`. If an append fails, the partition is unloaded, and reloaded from the
/// log while this node still leads it, so memory never runs ahead of the log.
public actor GroupCoordinatorService {
    var coordinator: GroupCoordinator

    /// The committed offsets of the groups this node coordinates now, by group (for the consumer lag
    /// metrics): a snapshot, read between two requests.
    func committedOffsets() -> [String: OffsetStore] {
        coordinator.offsets
    }
    let log: ConsumerOffsetsLog
    let logger: Logger
    let joins = ParkedReplies<JoinGroupResponse>()
    let syncs = ParkedReplies<SyncGroupResponse>()
    let clock: NodeClock
    /// `offsets.commit.timeout.ms`: the longest a reply waits for its records to be committed.
    let commitTimeoutMs: Int64
    /// The `__consumer_offsets` partition count groups are placed by.
    let partitions: Int32
    private var timerTask: Task<Void, Never>?
    /// One request (or timer firing, or leadership change) at a time, across the awaits of its appends.
    private var gate = SerialGate()
    /// When the timer fires (.max: no timer); nil until started.
    private var timerDeadline: Int64?
    /// Tells the current timer from one cancelled after it had already woken.
    private var timerGeneration: UInt64 = 0
    private var lastExpiry: Int64 = 0
    var stopped = false
    /// The `__consumer_offsets` partitions this node coordinates, each with the leader epoch it was
    /// loaded under.
    var loaded: [Int32: Int32] = [:]
    /// Per coordinated partition, the end of what has been written to it (the log end offset a load
    /// read, then each append's end): replies about its groups wait until it is committed.
    var written: [Int32: CommitPoint] = [:]
    /// Leadership changes heard but not applied yet: per partition, the latest leader epoch this node
    /// leads it under, or nil.
    let pendingLeadership = NIOLockedValueBox<[Int32: Int32?]>([:])

    /// Where a partition's records end, within one leadership: what a reply waits for the high
    /// watermark to reach.
    struct CommitPoint: Sendable, Hashable {
        var offset: Int64
        var leaderEpoch: Int32
    }

    init(config: GroupCoordinatorConfig, log: ConsumerOffsetsLog, commitTimeoutMs: Int64 = 5_000, clock: NodeClock, logger: Logger) {
        coordinator = GroupCoordinator(config: config, seed: UInt64.random(in: 1...UInt64.max))
        partitions = config.offsetsTopicPartitions
        self.log = log
        self.commitTimeoutMs = commitTimeoutMs
        self.clock = clock
        self.logger = logger
    }

    /// Whether this node coordinates the groups of `partition` (it leads it and loaded it).
    func owns(partition: Int32) -> Bool { loaded[partition] != nil }

    /// Whether this node coordinates `groupID` (its `__consumer_offsets` partition is led and loaded here).
    func owns(_ groupID: String) -> Bool { owns(partition: coordinator.partition(for: groupID)) }

    /// Starts the timer loop and follows this node's leadership of `__consumer_offsets`: the partitions
    /// it leads now are loaded before the first request is decided, later elections and resignations
    /// as they come. The first offsets cleanup runs one interval from now, as Kafka schedules it
    /// (running it at once would delete groups whose only member was just told MEMBER_ID_REQUIRED).
    func start() {
        lastExpiry = clock.nowMs()
        timerDeadline = .max
        scheduleNextTimer()
        log.onLeadershipChange { [weak self] changes in self?.leadershipChanged(changes) }
    }

    /// Records leadership changes (from the replica manager, under its lock: no waiting here) and has
    /// them applied in the gate.
    nonisolated func leadershipChanged(_ changes: [(partition: Int32, leaderEpoch: Int32?)]) {
        pendingLeadership.withLockedValue { pending in
            for change in changes { pending.updateValue(change.leaderEpoch, forKey: change.partition) }
        }
        Task {
            await self.enter()
            await self.leave()
        }
    }

    func stop() {
        stopped = true
        timerTask?.cancel()
        timerTask = nil
        timerDeadline = nil
        joins.drain(with: JoinGroupResponse(errorCode: ErrorCode.coordinatorNotAvailable.rawValue))
        syncs.drain(with: SyncGroupResponse(errorCode: ErrorCode.coordinatorNotAvailable.rawValue))
    }

    /// Takes the gate, then applies the leadership changes heard so far.
    func enter() async {
        if !gate.tryEnter() { await withCheckedContinuation { gate.park($0) } }
        await applyLeadershipChanges()
    }

    func leave() {
        gate.leave()
    }

    // MARK: Timer

    private func fire(_ generation: UInt64) async {
        await enter()
        guard timerDeadline != nil, generation == timerGeneration else { return leave() }
        timerTask = nil
        timerDeadline = .max
        let now = clock.nowMs()
        var actions: [GroupAction] = []
        if let deadline = coordinator.nextDeadline, deadline <= now {
            actions += coordinator.timeout(now: now)
        }
        if now - lastExpiry >= coordinator.config.offsetsRetentionCheckIntervalMs {
            lastExpiry = now
            actions += coordinator.expireOffsets(now: now)
        }
        let turn = finish(await perform(actions), for: [])
        scheduleNextTimer()
        leave()
        if !turn.isEmpty { await settle(turn) }
    }

    /// Sets the timer to the core's earliest deadline or the next retention check.
    private func scheduleNextTimer() {
        let retention = lastExpiry &+ coordinator.config.offsetsRetentionCheckIntervalMs
        wake(at: min(coordinator.nextDeadline ?? .max, retention))
    }

    /// Makes the timer fire no later than `deadline` (once started).
    func wake(at deadline: Int64) {
        guard let current = timerDeadline, deadline < current else { return }
        timerDeadline = deadline
        timerTask?.cancel()
        timerGeneration &+= 1
        let clock = self.clock, generation = timerGeneration
        timerTask = Task { [weak self] in
            do { try await clock.sleep(untilMs: deadline) } catch { return }
            await self?.fire(generation)
        }
    }
}

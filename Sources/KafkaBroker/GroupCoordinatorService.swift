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
    let log: ConsumerOffsetsLog
    private let logger: Logger
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
    private var stopped = false
    /// The `__consumer_offsets` partitions this node coordinates, each with the leader epoch it was
    /// loaded under.
    private(set) var loaded: [Int32: Int32] = [:]
    /// Per coordinated partition, the end of what has been written to it (the log end offset a load
    /// read, then each append's end): replies about its groups wait until it is committed.
    private var written: [Int32: CommitPoint] = [:]
    /// Leadership changes heard but not applied yet: per partition, the latest leader epoch this node
    /// leads it under, or nil.
    private let pendingLeadership = NIOLockedValueBox<[Int32: Int32?]>([:])

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

    // MARK: Leadership

    /// Loads the partitions this node now leads under a leader epoch it has not loaded, and unloads the
    /// ones it no longer leads. Leader epochs rise only when the leader changes, so a different epoch
    /// means another leader may have written in between: the partition is reloaded from the log. One
    /// log line says what changed (partition@leader epoch, with the records replayed for a load).
    private func applyLeadershipChanges() async {
        guard !stopped else { return }
        let changes = pendingLeadership.withLockedValue { pending in
            defer { pending = [:] }
            return pending
        }
        var loads: [String] = [], unloads: [String] = []
        for (partition, epoch) in changes.sorted(by: { $0.key < $1.key }) where (0..<partitions).contains(partition) {
            if loaded[partition] == epoch { continue }
            if let was = loaded[partition] {
                unload(partition)
                unloads.append("\(partition)@\(was)")
            }
            if let epoch, let replayed = await load(partition, leaderEpoch: epoch) {
                loads.append("\(partition)@\(epoch) (\(replayed) records)")
            }
        }
        if !loads.isEmpty || !unloads.isEmpty {
            logger.info("group coordination follows the offsets partitions' leadership", metadata: [
                "kafka.topic": "\(ConsumerOffsetsLog.topic)", "groups.loaded": "\(loads)", "groups.unloaded": "\(unloads)",
                "groups.coordinated_partitions": "\(loaded.count)",
            ])
        }
    }

    /// Replays `partition`'s records (read while this node leads it under `leaderEpoch`) and starts its
    /// members' sessions. A record that does not decode (a key or value this version cannot read) is
    /// skipped with a log line, as Kafka's loader skips unknown record types. A partition whose log
    /// cannot be read here is left out with an error line: its groups get NOT_COORDINATOR while the
    /// others are served. Returns how many records it replayed; nil when it did not load.
    @discardableResult
    private func load(_ partition: Int32, leaderEpoch: Int32) async -> Int? {
        let read: ConsumerOffsetsLog.Loaded?
        do {
            read = try await log.load(partition: partition, leaderEpoch: leaderEpoch)
        } catch {
            logger.error("not coordinating the groups of an offsets partition whose log cannot be read", metadata: [
                "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "error": "\(error)",
            ])
            return nil
        }
        guard let read else {
            // The leadership ended before the log was read; the change that ended it is pending.
            return nil
        }
        var replayed = 0
        for record in read.records {
            do {
                try coordinator.replay(record)
                replayed += 1
            } catch {
                logger.error("skipped a __consumer_offsets record that does not decode", metadata: [
                    "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "error": "\(error)",
                    "key.bytes": "\(record.key.count)",
                ])
            }
        }
        loaded[partition] = leaderEpoch
        written[partition] = CommitPoint(offset: read.logEndOffset, leaderEpoch: leaderEpoch)
        let turn = finish(await perform(coordinator.finishLoading(partition: partition, now: clock.nowMs())), for: [])
        if !turn.isEmpty { Task { await settle(turn) } }
        logger.debug("coordinating the groups of an offsets partition", metadata: [
            "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "kafka.leader_epoch": "\(leaderEpoch)",
            "groups.records": "\(replayed)", "log.end_offset": "\(read.logEndOffset)",
        ])
        return replayed
    }

    /// Drops `partition`'s groups (Kafka's `onResignation`); their parked requests get NOT_COORDINATOR.
    private func unload(_ partition: Int32) {
        let leaderEpoch = loaded.removeValue(forKey: partition)
        written[partition] = nil
        for action in coordinator.unload(partition: partition) {
            switch action {
            case let .respondJoin(group, member, response): joins.deliver(group: group, member: member, response)
            case let .respondSync(group, member, response): syncs.deliver(group: group, member: member, response)
            case .append, .scheduleTimeout: break
            }
        }
        logger.debug("stopped coordinating the groups of an offsets partition", metadata: [
            "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "kafka.leader_epoch": "\(leaderEpoch.map { "\($0)" } ?? "none")",
        ])
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
    private func wake(at deadline: Int64) {
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

    // MARK: Actions

    /// A parked JoinGroup or SyncGroup's answer, held until the records before it are committed.
    enum ParkedReply: Sendable {
        case join(groupID: String, memberID: String, JoinGroupResponse)
        case sync(groupID: String, memberID: String, SyncGroupResponse)

        var groupID: String {
            switch self {
            case let .join(group, _, _), let .sync(group, _, _): group
            }
        }

        /// The same answer carrying `code` instead (the member keeps its id; the rest is empty, as in
        /// Kafka's error responses; a join's protocol name stays null or empty as its version wants).
        func failed(_ code: ErrorCode) -> ParkedReply {
            switch self {
            case let .join(group, member, response):
                var r = JoinGroupResponse(errorCode: code.rawValue, memberID: response.memberID)
                r.protocolName = response.protocolName.map { _ in "" }
                return .join(groupID: group, memberID: member, r)
            case let .sync(group, member, _):
                return .sync(groupID: group, memberID: member, SyncGroupResponse(errorCode: code.rawValue))
            }
        }
    }

    /// What carrying out actions leaves to do once the gate is released.
    struct Performed: Sendable {
        /// Partitions an append failed on here, with the error their groups' replies carry.
        var failures: [Int32: ErrorCode] = [:]
        /// Parked replies, in order, to send once the records before them are committed.
        var replies: [ParkedReply] = []
        /// Partitions appended to.
        var appended: Set<Int32> = []
    }

    /// A request's turn after the gate: what it carried out and what its replies wait for.
    struct Turn: Sendable {
        var performed: Performed
        var points: [Int32: CommitPoint]

        var isEmpty: Bool { performed.replies.isEmpty && performed.failures.isEmpty && points.isEmpty }
    }

    /// Carries out actions in order, in the gate: appends (durable in this leader's log when they
    /// return), timers; parked replies are collected for ``settle(_:)``. After an append fails, its
    /// partition is unloaded (and reloaded from the log, unless the leadership ended) and the rest of
    /// that partition's appends are skipped; other partitions' actions go on.
    func perform(_ actions: [GroupAction]) async -> Performed {
        var done = Performed()
        for action in actions {
            switch action {
            case let .append(partition, records):
                guard !records.isEmpty, done.failures[partition] == nil else { continue }
                guard let epoch = loaded[partition] else {
                    done.failures[partition] = .notCoordinator
                    continue
                }
                do {
                    let end = try await log.append(records, partition: partition, leaderEpoch: epoch, now: clock.nowMs())
                    written[partition] = CommitPoint(offset: end, leaderEpoch: epoch)
                    done.appended.insert(partition)
                } catch {
                    let code = (error as? ConsumerOffsetsLog.AppendFailure)?.code ?? .unknownServerError
                    logger.error("could not write group records; unloading the partition", metadata: [
                        "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "error": "\(error)",
                    ])
                    done.failures[partition] = CoordinatorWriteError.clientError(for: code)
                    unload(partition)
                    if code != .notLeaderOrFollower { await load(partition, leaderEpoch: epoch) }
                }
            case let .respondJoin(group, member, response):
                done.replies.append(.join(groupID: group, memberID: member, response))
            case let .respondSync(group, member, response):
                done.replies.append(.sync(groupID: group, memberID: member, response))
            case let .scheduleTimeout(_, deadline):
                wake(at: deadline)
            }
        }
        return done
    }

    /// Ends a turn in the gate: the commit points of `partitions` (the request's groups'), of the
    /// partitions appended to and of those the parked replies belong to.
    func finish(_ performed: Performed, for partitions: Set<Int32>) -> Turn {
        let involved = partitions.union(performed.appended).union(performed.replies.map { coordinator.partition(for: $0.groupID) })
        var points: [Int32: CommitPoint] = [:]
        for p in involved where performed.failures[p] == nil {
            if let point = written[p] { points[p] = point }
        }
        return Turn(performed: performed, points: points)
    }

    /// After the gate: waits until each commit point is committed, sends the parked replies (with their
    /// partition's error when that failed), and returns the failures by partition.
    @discardableResult
    nonisolated func settle(_ turn: Turn) async -> [Int32: ErrorCode] {
        var failures = turn.performed.failures
        if !turn.points.isEmpty {
            let log = self.log, clock = self.clock, timeoutMs = commitTimeoutMs
            await withTaskGroup(of: (Int32, ErrorCode?).self) { group in
                for (partition, point) in turn.points {
                    group.addTask {
                        (partition, await log.waitUntilCommitted(partition: partition, offset: point.offset, leaderEpoch: point.leaderEpoch,
                                                                 timeoutMs: timeoutMs, clock: clock))
                    }
                }
                for await (partition, code) in group {
                    if let code { failures[partition] = CoordinatorWriteError.clientError(for: code) }
                }
            }
        }
        for reply in turn.performed.replies {
            let code = failures[GroupPartitioner.partition(for: reply.groupID, partitionCount: partitions)]
            switch code.map(reply.failed) ?? reply {
            case let .join(group, member, response): joins.deliver(group: group, member: member, response)
            case let .sync(group, member, response): syncs.deliver(group: group, member: member, response)
            }
        }
        return failures
    }
}

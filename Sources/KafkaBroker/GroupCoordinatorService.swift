import KafkaGroups
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers

/// The shell around the pure `GroupCoordinator`: feeds it requests with the current time, carries
/// out its actions in order (records appended and fsync'd to `__consumer_offsets` before any answer
/// that follows them; parked JoinGroup/SyncGroup requests answered when their group completes), and
/// wakes it for its deadlines: one timer on the node's clock, set to the earliest deadline the core
/// scheduled (`scheduleTimeout`) or the next offsets-retention check, whichever comes first. A timer the
/// core moved later fires early and harmlessly; the next one is then taken from `nextDeadline`.
///
/// Invariant: a client hears of a group change only after the records describing it are durable.
/// Requests run one at a time through `gate`, an appended batch's fsync included, so no request sees
/// state whose records are not yet durable; the fsync itself runs on the node's blocking-I/O executor,
/// not on a cooperative thread, so other actors (heartbeats, the quorum) keep running meanwhile.
/// If an append fails, the affected partition is unloaded and reloaded from the log, so memory never
/// runs ahead of disk.
public actor GroupCoordinatorService {
    var coordinator: GroupCoordinator
    private let log: ConsumerOffsetsLog
    private let logger: Logger
    let joins = ParkedReplies<JoinGroupResponse>()
    let syncs = ParkedReplies<SyncGroupResponse>()
    let clock: NodeClock
    private var timerTask: Task<Void, Never>?
    /// One request (or timer firing) at a time, across the awaits of its appends.
    private var gate = SerialGate()
    /// When the timer fires (.max: no timer); nil until the groups are loaded.
    private var timerDeadline: Int64?
    /// Tells the current timer from one cancelled after it had already woken.
    private var timerGeneration: UInt64 = 0
    private var lastExpiry: Int64 = 0
    /// The `__consumer_offsets` partitions this node coordinates (nil: every partition, before loading).
    private var owned: Set<Int32>?

    init(config: GroupCoordinatorConfig, log: ConsumerOffsetsLog, clock: NodeClock, logger: Logger) {
        coordinator = GroupCoordinator(config: config, seed: UInt64.random(in: 1...UInt64.max))
        self.log = log
        self.clock = clock
        self.logger = logger
    }

    /// The `__consumer_offsets` partition count groups are placed by.
    var partitions: Int32 { coordinator.config.offsetsTopicPartitions }

    /// Whether this node coordinates `groupID` (its `__consumer_offsets` partition is led here).
    func owns(_ groupID: String) -> Bool {
        owned.map { $0.contains(coordinator.partition(for: groupID)) } ?? true
    }

    /// Replays the `__consumer_offsets` partitions this node holds (`owned`), then starts the members'
    /// sessions and the timer loop. Groups placed on other partitions get NOT_COORDINATOR.
    /// A partition whose log is not available here (it could not be opened) is left out with an error
    /// line: its groups get NOT_COORDINATOR while the others are served.
    func load(partitions: Int32, owned: Set<Int32>) async throws {
        await enter()
        defer { leave() }
        var loadedPartitions = owned
        var loaded = 0
        for p in 0..<partitions where owned.contains(p) {
            do {
                loaded += try replayPartition(p)
            } catch let unavailable as ConsumerOffsetsLog.Unavailable {
                logger.error("not coordinating the groups of an offsets partition that is offline", metadata: [
                    "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(p)", "error": "\(unavailable)",
                ])
                loadedPartitions.remove(p)
            }
        }
        self.owned = loadedPartitions
        let now = clock.nowMs()
        // The first offsets cleanup runs one interval from now, as Kafka schedules it: running it at
        // once would delete groups whose only member was just told MEMBER_ID_REQUIRED.
        lastExpiry = now
        timerDeadline = .max
        await perform(coordinator.finishLoading(now: now))
        logger.info("loaded consumer groups", metadata: ["groups.count": "\(coordinator.groups.count)", "groups.records": "\(loaded)"])
        scheduleNextTimer()
    }

    /// Replays one partition's records in log order; returns how many replayed. A record that does not
    /// decode (a key or value this version cannot read) is skipped with a log line, as Kafka's loader
    /// skips unknown record types: one bad record must not keep the node from starting.
    @discardableResult
    private func replayPartition(_ partition: Int32) throws -> Int {
        var replayed = 0
        for record in try log.readAll(partition: partition) {
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
        return replayed
    }

    func stop() {
        timerTask?.cancel()
        timerTask = nil
        timerDeadline = nil
        joins.drain(with: JoinGroupResponse(errorCode: ErrorCode.coordinatorNotAvailable.rawValue))
        syncs.drain(with: SyncGroupResponse(errorCode: ErrorCode.coordinatorNotAvailable.rawValue))
    }

    func enter() async {
        if !gate.tryEnter() { await withCheckedContinuation { gate.park($0) } }
    }

    func leave() {
        gate.leave()
    }

    private func fire(_ generation: UInt64) async {
        await enter()
        defer { leave() }
        guard timerDeadline != nil, generation == timerGeneration else { return }
        timerTask = nil
        timerDeadline = .max
        let now = clock.nowMs()
        if let deadline = coordinator.nextDeadline, deadline <= now {
            await perform(coordinator.timeout(now: now))
        }
        if now - lastExpiry >= coordinator.config.offsetsRetentionCheckIntervalMs {
            lastExpiry = now
            await perform(coordinator.expireOffsets(now: now))
        }
        scheduleNextTimer()
    }

    /// Sets the timer to the core's earliest deadline or the next retention check.
    private func scheduleNextTimer() {
        let retention = lastExpiry &+ coordinator.config.offsetsRetentionCheckIntervalMs
        wake(at: min(coordinator.nextDeadline ?? .max, retention))
    }

    /// Makes the timer fire no later than `deadline` (once loaded; before that, loading schedules it).
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

    /// Carries out actions in order: appends first become durable, then parked requests are answered.
    /// False when an append failed (the partition was reloaded and the rest not carried out).
    @discardableResult
    func perform(_ actions: [GroupAction]) async -> Bool {
        for action in actions {
            switch action {
            case let .append(partition, records):
                do {
                    try await log.append(records, partition: partition, now: clock.nowMs())
                } catch {
                    logger.error("could not write group records; reloading the partition", metadata: [
                        "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "error": "\(error)",
                    ])
                    await reload(partition: partition)
                    return false
                }
            case let .respondJoin(group, member, response):
                joins.deliver(group: group, member: member, response)
            case let .respondSync(group, member, response):
                syncs.deliver(group: group, member: member, response)
            case let .scheduleTimeout(_, deadline):
                wake(at: deadline)
            }
        }
        return true
    }

    private func reload(partition: Int32) async {
        await perform(coordinator.unload(partition: partition).filter { if case .append = $0 { false } else { true } })
        do {
            try replayPartition(partition)
            await perform(coordinator.finishLoading(now: clock.nowMs()))
        } catch {
            logger.error("could not reload group records", metadata: ["kafka.partition": "\(partition)", "error": "\(error)"])
        }
    }
}

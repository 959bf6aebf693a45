import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import KafkaRaftWire
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The shell around the pure `RaftCore` for `__cluster_metadata`: feeds it inputs with the time, carries
/// out its actions in order, and runs its timer.
///
/// Action order is the core's contract: `quorum-state` is fsync'd before anything after it (a vote or a
/// leadership is never announced before it is durable); log appends and truncations are mirrored to
/// `MetadataRaftLog` at once and a flush is reported back as `persisted` before the next input; messages
/// go out last. Committed entries are handed to `onCommit` in offset order, exactly once each.
///
/// The disk work of those actions (writes, fsyncs, snapshot files) runs inside the actor, as the order
/// requires, so the actor runs on the blocking-I/O executor's serial lane rather than on a cooperative
/// thread (`unownedExecutor`).
public actor QuorumDriver {
    /// Why a client append did not commit.
    public struct AppendFailure: Error, CustomStringConvertible {
        public var code: ErrorCode
        public var description: String
    }

    /// The quorum as other layers see it: who leads in which epoch, and whether this node is that leader.
    public struct Status: Sendable, Equatable {
        public var epoch: Int32
        public var leaderID: Int32?
        public var isLeader: Bool
        /// The offset of the leader-change entry of this leader's epoch (nil when not leading).
        public var epochStartOffset: Int64?
        /// The kraft.version of the quorum's log, its latest KRaftVersion control record included
        /// (Kafka's `KafkaRaftClient.kraftVersion()`): 0 until a leader writes one.
        public var kraftVersion: Int16 = 0
    }

    public let localID: Int32
    private nonisolated let executor: UnownedSerialExecutor
    /// The node's blocking-I/O executor: snapshot builds run on its pool.
    let io: BlockingIOExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor }
    public let clusterID: String
    var core: RaftCore<MemoryRaftLog>
    let disk: MetadataRaftLog
    private let stateFile: QuorumStateFile
    nonisolated let codec: RaftEntryBatches
    /// Connections to the other voters, following the effective voter set (`votersChanged`).
    var peers: QuorumPeers
    /// Admin-client requests (AddRaftVoter, RemoveRaftVoter) get correlation ids from here.
    var nextAdminCorrelationID: Int32 = 0
    let logger: Logger
    let clock: NodeClock
    /// Committed entries go here, in order, with the high watermark that committed them (entries may be
    /// empty when only the high watermark moved); `appliedOffset` is the next one to hand over.
    let onCommit: @Sendable (_ firstOffset: Int64, _ entries: [RaftEntry], _ highWatermark: Int64) -> Void
    private let onStatus: @Sendable (Status) -> Void
    /// Loads the state machine from a snapshot's `.checkpoint` bytes (at start, and after an install).
    let onSnapshot: @Sendable (_ id: OffsetAndEpoch, _ bytes: [UInt8]) -> Void
    /// The metadata image as replayed so far (its provenance is the last applied entry).
    let snapshotSource: @Sendable () -> MetadataImage
    /// When to take the next snapshot (`SnapshotScheduler`); builds run off the actor.
    var snapshots: SnapshotScheduler
    /// Downloads from the leader in progress, by snapshot id.
    var incomingSnapshots: [OffsetAndEpoch: CheckpointChunkWriter] = [:]
    private let initialSnapshot: OffsetAndEpoch?
    var appliedOffset: Int64 = 0
    private(set) var status: Status
    /// Inbound requests waiting for the core's answer, by (sender, correlation id).
    var inbound: [InboundKey: (token: UInt64, continuation: CheckedContinuation<RaftMessage?, Never>)] = [:]
    var nextInboundToken: UInt64 = 0
    /// Client appends waiting for their last offset to commit.
    var appendWaiters: [(lastOffset: Int64, epoch: Int32, continuation: CheckedContinuation<Int64, Error>)] = []
    /// The leader's commit latency (Kafka's raft-metrics `commit-latency-*`): written here, read by
    /// metrics scrapes without waiting for the actor.
    nonisolated let commitLatency = NIOLockedValueBox(CommitLatency())
    private var timer: Task<Void, Never>?
    private var timerDeadline: Int64 = .max
    var stopped = false

    /// How long a resigning leader waits for its EndQuorumEpoch requests at shutdown.
    static let resignWaitMs: Int64 = 200

    struct InboundKey: Hashable {
        var source: Int32
        var correlationID: Int32
    }

    init(localID: Int32, clusterID: String, voters: VoterSet, config: QuorumConfig,
         snapshotPolicy: SnapshotPolicy, disk: MetadataRaftLog, io: BlockingIOExecutor, connections: ControllerConnections,
         clock: NodeClock, logger: Logger,
         onCommit: @escaping @Sendable (Int64, [RaftEntry], Int64) -> Void, onStatus: @escaping @Sendable (Status) -> Void,
         onSnapshot: @escaping @Sendable (OffsetAndEpoch, [UInt8]) -> Void,
         snapshotSource: @escaping @Sendable () -> MetadataImage) throws {
        self.localID = localID
        executor = io.serialLane
        self.io = io
        self.clusterID = clusterID
        self.disk = disk
        self.logger = logger
        self.clock = clock
        snapshots = SnapshotScheduler(policy: snapshotPolicy, now: clock.nowMs())
        self.onCommit = onCommit
        self.onStatus = onStatus
        self.onSnapshot = onSnapshot
        self.snapshotSource = snapshotSource
        stateFile = QuorumStateFile(partitionDirectory: disk.directory)
        codec = RaftEntryBatches()
        peers = QuorumPeers(localID: localID, listenerName: config.listenerName, connections: connections, logger: logger)
        let (log, snapshot) = try disk.load(now: clock.nowMs(), logger: logger)
        initialSnapshot = snapshot
        appliedOffset = snapshot?.offset ?? 0
        let stored = try stateFile.read()
        // The voter set and kraft.version a snapshot carries in its header batch seed the core's history.
        var snapshotControls: [RaftControlRecord] = []
        if let snapshot, let size = log.snapshotSize(snapshot) {
            let bytes = log.readSnapshot(snapshot, position: 0, maxBytes: Int(size))
            let reader = try CheckpointReader(bytes: ByteBuffer(bytes: bytes))
            snapshotControls = reader.controlRecords.compactMap { try? RaftEntryBatches.raftControl($0) }
        }
        let core = RaftCore(localID: localID, clusterID: clusterID, voters: voters, config: config, quorumState: stored, log: log,
                            snapshotControlRecords: snapshotControls, now: clock.nowMs(), seed: UInt64.random(in: 1...UInt64.max))
        self.core = core
        // As the publication starts: the first step publishes the real status, kraft.version included.
        status = Status(epoch: 0, leaderID: nil, isLeader: false, epochStartOffset: nil)
        logger.info("metadata quorum loaded", metadata: [
            "raft.log_end_offset": "\(log.endOffset.offset)", "raft.epoch": "\(stored?.leaderEpoch ?? 0)",
            "raft.snapshot": "\(snapshot.map { "\($0)" } ?? "none")",
            "raft.voters": "\(core.voters.sorted)",
        ])
    }

    /// Loads the state machine from the latest snapshot, runs the core's initial actions and starts its timer.
    func start() {
        peers.follow(core.voters)
        if let id = initialSnapshot, let size = core.log.snapshotSize(id) {
            onSnapshot(id, core.log.readSnapshot(id, position: 0, maxBytes: Int(size)))
        }
        handle(.tick)
    }

    /// The effective voter set changed (a VotersRecord, or an installed snapshot's): follow it.
    func votersChanged(_ set: VoterSet) {
        logger.info("the metadata quorum's voters changed", metadata: ["raft.voters": "\(set.sorted)"])
        peers.follow(set)
    }

    /// Graceful shutdown: a leader hands over to its preferred successor (waiting, at most
    /// `resignWaitMs`, for its EndQuorumEpoch requests to be answered), then the timer stops.
    func shutdown() async {
        if status.isLeader {
            let before = Set(peers.inFlight.keys)
            handle(.resign)
            let sent = peers.inFlight.filter { !before.contains($0.key) }.map(\.value)
            let clock = self.clock
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for task in sent { await task.value } }
                group.addTask { try? await clock.sleep(forMs: Self.resignWaitMs) }
                await group.next()
                group.cancelAll()
            }
        }
        stopped = true
        timer?.cancel()
        for (_, waiting) in inbound { waiting.continuation.resume(returning: nil) }
        inbound.removeAll()
        failAppends(code: .notController, "the node is shutting down")
        await peers.disconnectAll()
    }

    func describeQuorum() -> KafkaRaft.DescribeQuorumResponse {
        core.describeQuorum(now: clock.nowMs())
    }

    var logEndOffset: Int64 { core.log.endOffset.offset }
    var voterSet: VoterSet { core.voters }
    /// The kraft.version the log has reached (0 until a leader wrote one).
    var kraftVersion: Int16 { core.controlRecords.kraftVersion }

    // MARK: the core loop

    func handle(_ input: RaftInput) {
        guard !stopped else { return }
        perform(core.handle(input, now: clock.nowMs()))
    }

    func perform(_ actions: [RaftAction]) {
        var flushedTo: Int64?
        for action in actions {
            switch action {
            case .persistQuorumState(let state):
                do { try stateFile.write(state) } catch {
                    // Without a durable vote the replica must not go on: it could vote twice in an epoch.
                    logger.critical("could not write quorum-state; stopping the quorum", metadata: ["error": "\(error)"])
                    stop()
                    return
                }
            case .appendToLog(let base, let entries):
                do { try disk.append(entries, baseOffset: base, codec: codec, now: clock.nowMs()) } catch {
                    logger.critical("could not append to the metadata log; stopping the quorum", metadata: ["error": "\(error)"])
                    stop()
                    return
                }
            case .truncateLog(let offset):
                do { try disk.truncate(to: offset, now: clock.nowMs()) } catch {
                    logger.critical("could not truncate the metadata log; stopping the quorum", metadata: ["error": "\(error)"])
                    stop()
                    return
                }
                if appliedOffset > offset {
                    logger.critical("the quorum truncated committed entries", metadata: ["raft.applied": "\(appliedOffset)", "raft.truncate_to": "\(offset)"])
                }
            case .flushLog(let upTo):
                do { try disk.flush(now: clock.nowMs()) } catch {
                    logger.critical("could not flush the metadata log; stopping the quorum", metadata: ["error": "\(error)"])
                    stop()
                    return
                }
                flushedTo = max(flushedTo ?? upTo, upTo)
            case .send(let envelope):
                send(envelope)
            case .becameLeader(let epoch, let start):
                logger.info("elected leader of the metadata quorum", metadata: ["raft.epoch": "\(epoch)"])
                setStatus(Status(epoch: epoch, leaderID: localID, isLeader: true, epochStartOffset: start))
            case .becameFollower(let leader, let epoch):
                logger.info("following the metadata quorum leader", metadata: ["raft.leader": "\(leader)", "raft.epoch": "\(epoch)"])
                setStatus(Status(epoch: epoch, leaderID: leader, isLeader: false, epochStartOffset: nil))
            case .resigned(let epoch):
                logger.info("resigned leadership of the metadata quorum", metadata: ["raft.epoch": "\(epoch)"])
                setStatus(Status(epoch: epoch, leaderID: nil, isLeader: false, epochStartOffset: nil))
            case .committed(let hw):
                commit(upTo: hw)
            case .appendAccepted, .appendRejected:
                break
            case .votersChanged(let set):
                votersChanged(set)
            case .writeSnapshotChunk, .freezeSnapshot, .abandonSnapshot, .deleteLogPrefix, .installSnapshot, .snapshotRejected:
                guard performSnapshotAction(action) else {
                    stop()
                    return
                }
            case .scheduleTick(let at):
                schedule(at: at)
            }
        }
        if let flushedTo { handle(.persisted(upTo: flushedTo)) }
        syncStatusFromCore()
    }

    /// After a failed write the core and the disk may disagree: the quorum stops taking part, every
    /// waiter is answered, and this node stops presenting itself as leader.
    private func stop() {
        guard !stopped else { return }
        stopped = true
        timer?.cancel()
        for (_, waiting) in inbound { waiting.continuation.resume(returning: nil) }
        inbound.removeAll()
        failAppends(code: .notController, "the metadata quorum stopped on this node after a storage failure")
        setStatus(Status(epoch: status.epoch, leaderID: nil, isLeader: false, epochStartOffset: nil))
    }

    /// States the core entered without a dedicated action (Unattached, Candidate, Prospective) lose the leader.
    /// A Resigned replica names itself as leader in the core but leads nothing: it is reported without
    /// a leader, so controller requests wait for (or go to) the next one.
    private func syncStatusFromCore() {
        guard !stopped else { return }
        var isLeader = false
        if case .leader = core.state { isLeader = true }
        var leader = core.leaderID
        if case .resigned = core.state { leader = nil }
        if core.epoch != status.epoch || leader != status.leaderID || isLeader != status.isLeader
            || core.controlRecords.kraftVersion != status.kraftVersion {
            setStatus(Status(epoch: core.epoch, leaderID: leader, isLeader: isLeader,
                             epochStartOffset: isLeader ? status.epochStartOffset : nil))
        }
    }

    /// Publishes `next` with the log's current kraft.version (which the callers leave out).
    private func setStatus(_ next: Status) {
        var next = next
        next.kraftVersion = core.controlRecords.kraftVersion
        guard next != status else { return }
        let lostLeadership = status.isLeader && (!next.isLeader || next.epoch != status.epoch)
        status = next
        if lostLeadership {
            failAppends(code: .notController, "leadership of the metadata quorum moved")
            commitLatency.withLockedValue { $0.leadershipEnded() }
        }
        onStatus(next)
    }

    private func schedule(at deadline: Int64) {
        guard deadline != timerDeadline || timer == nil else { return }
        timerDeadline = deadline
        timer?.cancel()
        let clock = self.clock
        timer = Task { [weak self] in
            do { try await clock.sleep(untilMs: deadline) } catch { return }
            await self?.fire()
        }
    }

    private func fire() {
        timer = nil
        timerDeadline = .max
        handle(.tick)
    }
}

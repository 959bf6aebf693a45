import KafkaRaft

/// A deterministic cluster: a seeded scheduler on a manual clock, an in-memory network that drops,
/// delays, duplicates, reorders and partitions messages, and replicas that crash (losing unflushed log
/// entries) and restart from their persisted `quorum-state`, snapshot and flushed log, or lose everything
/// (`wipe`). Replicas apply committed entries to a state machine and snapshot it
/// (`SimCluster+Snapshot.swift`). Invariants are checked after every event (`SimCluster+Invariants.swift`).
struct SimCluster {
    enum Event {
        case deliver(RaftEnvelope, sentAt: Int64)
        case tick(node: Int32, incarnation: Int)
        case flushed(node: Int32, incarnation: Int, upTo: Int64, truncations: Int)
    }

    struct Faults {
        var dropPercent: UInt64 = 0
        var duplicatePercent: UInt64 = 0
        var maxDelayMs: Int64 = 20
        /// One message in this many is held back up to `longDelayMs` (reordering past later messages).
        var longDelayOneIn: UInt64 = 0
        var longDelayMs: Int64 = 1500
        var maxFlushDelayMs: Int64 = 5
    }

    let seed: UInt64
    /// `controller.quorum.voters`, every replica's starting point.
    let staticVoters: VoterSet
    /// The voter set of the committed log: its last VotersRecord, else the static set. Entries are
    /// committed by a majority of the set in force, so invariants check against this one.
    var voters: VoterSet
    /// Answers the cores sent to admin clients (AddRaftVoter, RemoveRaftVoter), in order.
    var adminResponses: [RaftEnvelope] = []
    var adminCorrelationID: Int32 = 0
    /// Replicas that were ever voters by their own log: they may have voted or led, so they never lose
    /// their disk (a wiped replica forgets its votes; KIP-853 would give it a new directory id).
    var everVoters: Set<Int32> = []
    let config: QuorumConfig
    var nodes: [Int32: SimNode] = [:]
    var queue = EventQueue<Event>()
    var now: Int64 = 0
    var random: RaftRandom
    var faults = Faults()
    /// Directed links that lose every message: `source << 32 | destination`.
    var blocked: Set<UInt64> = []
    var eventCount = 0
    /// The committed log as the replicas reported it: the longest prefix any of them committed.
    var committed: [RaftEntry] = []
    /// Which replica led each epoch.
    var leaders: [Int32: Int32] = [:]
    var failure: String?
    var trace: [String] = []
    var payloadCounter = 0
    var crashes = 0
    var snapshotsTaken = 0

    init(seed: UInt64, voterIDs: [Int32], observerIDs: [Int32] = [], config: QuorumConfig = QuorumConfig()) {
        self.seed = seed
        staticVoters = VoterSet(voterIDs)
        voters = staticVoters
        self.config = config
        random = RaftRandom(seed: seed)
        for id in voterIDs + observerIDs {
            nodes[id] = SimNode(id: id)
            start(id)
        }
    }

    var nodeIDs: [Int32] { nodes.keys.sorted() }

    mutating func record(_ line: String) {
        trace.append("[\(now)] \(line)")
        if trace.count > 60 { trace.removeFirst(trace.count - 60) }
    }

    // MARK: - Replica lifecycle

    mutating func start(_ id: Int32) {
        guard var node = nodes[id], node.core == nil else { return }
        node.incarnation += 1
        node.disk = Array(node.durableEntries)
        node.partialSnapshots = [:]
        node.pendingTick = nil
        node.highWatermark = 0
        let log: MemoryRaftLog
        var snapshotControlRecords: [RaftControlRecord] = []
        if let snapshot = node.startSnapshot {
            log = MemoryRaftLog(snapshot: snapshot, entries: node.disk)
            node.applied = SimSnapshot.decode(snapshot.bytes) ?? []
            // The state machine's snapshot holds every applied entry: its last kraft.version and voters are
            // what a checkpoint would carry.
            let controls = node.applied.compactMap(\.control)
            snapshotControlRecords = [controls.last { if case .kraftVersion = $0 { true } else { false } },
                                      controls.last { if case .voters = $0 { true } else { false } }].compactMap { $0 }
        } else {
            log = MemoryRaftLog(entries: node.disk)
            node.applied = []
        }
        node.core = RaftCore(localID: id, clusterID: "sim", voters: staticVoters, config: config,
                             quorumState: node.persistedQuorumState, log: log,
                             snapshotControlRecords: snapshotControlRecords, now: now, seed: random.next())
        nodes[id] = node
        record("start \(id) incarnation \(node.incarnation)")
        handle(id, .tick)
    }

    mutating func crash(_ id: Int32) {
        guard nodes[id]?.core != nil else { return }
        let durable = Array(nodes[id]!.durableEntries)
        nodes[id]?.core = nil
        nodes[id]?.disk = durable
        crashes += 1
        record("crash \(id)")
    }

    /// Feeds one input to a running replica and performs its actions in order.
    mutating func handle(_ id: Int32, _ input: RaftInput) {
        guard var core = nodes[id]?.core else { return }
        let actions = core.handle(input, now: now)
        nodes[id]?.core = core
        for action in actions { perform(action, at: id) }
        if core.isVoter { everVoters.insert(id) }
        checkInvariants(after: id)
    }

    mutating func perform(_ action: RaftAction, at id: Int32) {
        guard var node = nodes[id] else { return }
        switch action {
        case .persistQuorumState(let state):
            node.persistedQuorumState = state
        case .appendToLog(let baseOffset, let entries):
            let end = node.diskStart + Int64(node.disk.count)
            if baseOffset != end { fail("node \(id) appends at \(baseOffset) to a log ending at \(end)") }
            node.disk += entries
        case .truncateLog(let offset):
            if offset < node.highWatermark { fail("node \(id) truncates to \(offset) below its high watermark \(node.highWatermark)") }
            if offset < node.diskStart { return fail("node \(id) truncates to \(offset) below its log start \(node.diskStart)") }
            node.disk.removeSubrange(Int(offset - node.diskStart)...)
            node.durableCount = min(node.durableCount, Int(offset - node.diskStart))
            node.truncations += 1
        case .flushLog(let upTo):
            queue.push(.flushed(node: id, incarnation: node.incarnation, upTo: upTo, truncations: node.truncations),
                       at: now + random.below(faults.maxFlushDelayMs + 1))
        case .send(let envelope):
            nodes[id] = node
            if envelope.isForAdminClient {
                adminResponses.append(envelope)
                record("admin answer from \(id): \(envelope.message)")
            } else {
                transmit(envelope)
            }
            return
        case .becameLeader(let epoch, _):
            record("\(id) leads epoch \(epoch)")
        case .committed(let highWatermark):
            nodes[id] = node
            onCommitted(id, highWatermark: highWatermark)
            return
        case .scheduleTick(let time):
            if node.pendingTick == nil || time < node.pendingTick! || node.pendingTick! <= now {
                node.pendingTick = time
                queue.push(.tick(node: id, incarnation: node.incarnation), at: time)
            }
        case .becameFollower, .resigned, .appendAccepted, .appendRejected, .votersChanged:
            break
        case .writeSnapshotChunk, .freezeSnapshot, .abandonSnapshot, .deleteLogPrefix, .installSnapshot,
             .snapshotRejected:
            return performSnapshotAction(action, at: id)
        }
        nodes[id] = node
    }

    // MARK: - Network

    /// Requests travel with their sender's incarnation in the top bits of the correlation id, and the answer
    /// echoes it: an answer reaching a later incarnation is dropped, as a closed connection would drop it
    /// (each incarnation numbers its requests from 1 again).
    private static let incarnationShift: Int32 = 22

    private mutating func transmit(_ envelope: RaftEnvelope) {
        var envelope = envelope
        if envelope.message.isRequest, let incarnation = nodes[envelope.source]?.incarnation {
            envelope.correlationID |= Int32(incarnation % 256) << Self.incarnationShift
        }
        let link = UInt64(UInt32(bitPattern: envelope.source)) << 32 | UInt64(UInt32(bitPattern: envelope.destination))
        if blocked.contains(link) || random.below(100) < faults.dropPercent { return }
        let copies = random.below(100) < faults.duplicatePercent ? 2 : 1
        for _ in 0..<copies {
            var delay = 1 + random.below(faults.maxDelayMs)
            if faults.longDelayOneIn > 0, random.below(Int64(faults.longDelayOneIn)) == 0 {
                delay += random.below(faults.longDelayMs)
            }
            queue.push(.deliver(envelope, sentAt: now), at: now + delay)
        }
    }

    mutating func partition(_ side: Set<Int32>) {
        for a in nodeIDs where side.contains(a) {
            for b in nodeIDs where !side.contains(b) {
                block(from: a, to: b)
                block(from: b, to: a)
            }
        }
        record("partition \(side.sorted()) | rest")
    }

    mutating func block(from source: Int32, to destination: Int32) {
        blocked.insert(UInt64(UInt32(bitPattern: source)) << 32 | UInt64(UInt32(bitPattern: destination)))
    }

    mutating func heal() {
        blocked.removeAll()
        record("heal")
    }

    // MARK: - Scheduler

    /// Runs events until `time` (or a failure).
    mutating func run(until time: Int64) {
        while failure == nil, let next = queue.peekTime(), next <= time {
            let (eventTime, event) = queue.pop()!
            now = eventTime
            eventCount += 1
            switch event {
            case .deliver(var envelope, let sentAt):
                guard let node = nodes[envelope.destination], node.isRunning, sentAt >= node.lostMessagesBefore else { continue }
                if !envelope.message.isRequest {
                    guard envelope.correlationID >> Self.incarnationShift == Int32(node.incarnation % 256) else { continue }
                    envelope.correlationID &= (1 << Self.incarnationShift) - 1
                }
                handle(envelope.destination, .received(envelope))
            case .tick(let id, let incarnation):
                guard let node = nodes[id], node.incarnation == incarnation, node.pendingTick == eventTime else { continue }
                nodes[id]?.pendingTick = nil
                handle(id, .tick)
            case .flushed(let id, let incarnation, let upTo, let truncations):
                guard let node = nodes[id], node.isRunning, node.incarnation == incarnation,
                      node.truncations == truncations else { continue }
                let durable = max(0, min(Int(upTo - node.diskStart), node.disk.count))
                if durable > node.durableCount { nodes[id]?.durableCount = durable }
                handle(id, .persisted(upTo: node.diskStart + Int64(durable)))
            }
        }
        if failure == nil { now = max(now, time) }
    }

    /// Appends a unique payload at every replica that believes it leads; returns the payloads appended.
    @discardableResult
    mutating func clientAppend(count: Int = 1) -> [[UInt8]] {
        var appended: [[UInt8]] = []
        for id in nodeIDs where nodes[id]?.core?.state.isLeader == true {
            let payloads = (0..<count).map { _ -> [UInt8] in
                payloadCounter += 1
                return Array("n\(id)-\(payloadCounter)".utf8)
            }
            handle(id, .append(payloads))
            appended += payloads
        }
        return appended
    }

    /// An admin client's request (AddRaftVoter, RemoveRaftVoter) handed to a replica directly.
    mutating func adminRequest(_ message: RaftMessage, to id: Int32) {
        adminCorrelationID += 1
        record("admin request to \(id): \(message)")
        handle(id, .received(RaftEnvelope(source: RaftEnvelope.adminClient, destination: id,
                                          correlationID: adminCorrelationID, message: message)))
    }

    /// One line per replica: state, epoch, log end, high watermark, voter set (for failure reports).
    var nodeSummary: String {
        nodeIDs.map { id in
            guard let core = nodes[id]?.core else { return "\(id): down" }
            var line = "\(id): \(core.state.name) epoch \(core.epoch) end \(core.log.endOffset.offset) "
                + "hw \(core.highWatermark ?? -1) voters \(core.voters) at \(core.controlRecords.lastVoterSetOffset ?? -1)"
            if case .leader(let leader) = core.state {
                line += " observers \(leader.observerStates.values.map { "\($0.replicaID)@\($0.endOffset ?? -1)/\($0.lastFetchTimestamp)" })"
            }
            return line
        }.joined(separator: "; ")
    }

    mutating func fail(_ message: String) {
        guard failure == nil else { return }
        failure = "seed \(seed) at \(now) ms after \(eventCount) events: \(message)\n" + trace.suffix(25).joined(separator: "\n")
    }
}

extension EventQueue {
    func peekTime() -> Int64? { peekFirstTime }
}

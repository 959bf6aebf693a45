import KafkaGroups
import KafkaProtocol

/// Carrying out the core's actions and answering once their records are committed: appends in the gate
/// (durable in this leader's log when they return), then, outside it, the wait for the high watermark
/// (``CommitPoint``) before parked replies go out and the request is answered.
extension GroupCoordinatorService {
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
            case .append, .appendTransactional:
                let (partition, records, producer): (Int32, [CoordinatorRecord], InternalTopicLog.TransactionalProducer?)
                switch action {
                case let .appendTransactional(p, id, epoch, r): (partition, records, producer) = (p, r, .init(producerID: id, producerEpoch: epoch))
                case let .append(p, r): (partition, records, producer) = (p, r, nil)
                default: continue
                }
                guard !records.isEmpty, done.failures[partition] == nil else { continue }
                guard let epoch = loaded[partition] else {
                    done.failures[partition] = .notCoordinator
                    continue
                }
                do {
                    let end = try await log.append(records, partition: partition, leaderEpoch: epoch, producer: producer, now: clock.nowMs())
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
            let code = failures[CoordinatorPartitioner.partition(for: reply.groupID, partitionCount: partitions)]
            switch code.map(reply.failed) ?? reply {
            case let .join(group, member, response): joins.deliver(group: group, member: member, response)
            case let .sync(group, member, response): syncs.deliver(group: group, member: member, response)
            }
        }
        return failures
    }
}

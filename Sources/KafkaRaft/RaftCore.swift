/// The KRaft state machine of one replica (KIP-595 with KIP-996 pre-vote), pure: no I/O, no clock.
///
/// `handle(_:now:)` takes one input and returns the actions to perform, in order (see `RaftAction`).
/// The core keeps its own view of the log (`log`), changes it itself and reports each change as an
/// action so the shell can mirror it durably; `flushedOffset` tracks what the shell reported durable.
/// Invariants: the epoch never decreases; a vote or leadership is persisted (an earlier
/// `persistQuorumState` action) before any message announcing it; a voter fetches only once its log is
/// durable up to its end offset, so the leader counts only durable positions toward the high watermark.
public struct RaftCore<Log: RaftLog>: Sendable {
    public let localID: Int32
    public let clusterID: String?
    /// The voter sets and kraft.version the log has written (KIP-853); `voters` is the latest.
    public internal(set) var controlRecords: ControlRecordHistory
    public let config: QuorumConfig
    public internal(set) var log: Log
    public internal(set) var flushedOffset: Int64
    public internal(set) var state: EpochState
    var requests = RequestManager()
    var random: RaftRandom
    /// Actions produced by `init` (the initial persist), returned by the first `handle`.
    var pendingActions: [RaftAction] = []
    /// Messages that contradict Raft's guarantees (e.g. two leaders in one epoch); always empty when the
    /// quorum is safe. Kept for tests and diagnostics instead of crashing.
    public internal(set) var protocolViolations: [String] = []

    /// Starts (or restarts) a replica from its `quorum-state` (nil when there is no file yet) and its
    /// durable log, following Kafka's `QuorumState.initialize`: a former leader comes back Resigned in its
    /// epoch, a former candidate as Candidate, a follower as Follower; a log written in a later epoch than
    /// the file wins. `voters` is the static `controller.quorum.voters`; the latest `VotersRecord` in the
    /// log (found by reading the whole log once), or else `snapshotControlRecords` (the KRaftVersion and
    /// VotersRecord kept with the snapshot the log starts after), takes precedence over it.
    public init(localID: Int32, clusterID: String? = nil, voters: VoterSet, config: QuorumConfig = QuorumConfig(),
                quorumState: QuorumStateData?, log: Log, snapshotControlRecords: [RaftControlRecord] = [],
                now: Int64, seed: UInt64) {
        self.localID = localID
        self.clusterID = clusterID
        controlRecords = ControlRecordHistory(staticVoters: voters, log: log, snapshotRecords: snapshotControlRecords)
        let effective = controlRecords.voters
        self.config = config
        self.log = log
        flushedOffset = log.endOffset.offset
        random = RaftRandom(seed: seed)
        let election = quorumState ?? QuorumStateData(leaderEpoch: 0)
        let isVoter = effective.contains(localID)
        let logEpoch = log.endOffset.epoch
        state = .unattached(UnattachedState(epoch: 0, votedID: nil, electionDeadline: .max, highWatermark: nil))
        let initial: EpochState
        if election.leaderEpoch < logEpoch {
            initial = .unattached(UnattachedState(epoch: logEpoch, votedID: nil,
                                                  electionDeadline: electionDeadline(now: now), highWatermark: nil))
        } else if election.leaderID == localID {
            // A former leader resigns even if its log no longer names it a voter (it removed itself).
            initial = .resigned(ResignedState(epoch: election.leaderEpoch, preferredSuccessors: [],
                                              unackedVoters: effective.ids.subtracting([localID]),
                                              electionDeadline: now + randomElectionTimeoutMs()))
        } else if election.votedID == localID && isVoter {
            initial = .candidate(CandidateState(epoch: election.leaderEpoch,
                                                election: EpochElection(voters: effective, localID: localID), retries: 1,
                                                electionDeadline: now + randomElectionTimeoutMs(),
                                                backoffDeadline: nil, highWatermark: nil))
        } else if election.hasLeader && effective.contains(election.leaderID) {
            initial = .follower(FollowerState(epoch: election.leaderEpoch, leaderID: election.leaderID,
                                              votedID: election.hasVoted ? election.votedID : nil,
                                              fetchDeadline: now + config.fetchTimeoutMs, highWatermark: nil))
        } else {
            initial = .unattached(UnattachedState(epoch: election.leaderEpoch,
                                                  votedID: election.hasVoted && isVoter ? election.votedID : nil,
                                                  electionDeadline: electionDeadline(now: now), highWatermark: nil))
        }
        state = initial
        pendingActions.append(.persistQuorumState(initial.election(localID: localID, voters: effective)))
        if case .resigned(let resigned) = initial { pendingActions.append(.resigned(epoch: resigned.epoch)) }
    }

    /// The effective voter set: the latest `VotersRecord` in the log, else the static set from `init`.
    public var voters: VoterSet { controlRecords.voters }
    public var isVoter: Bool { voters.contains(localID) }
    public var epoch: Int32 { state.epoch }
    public var leaderID: Int32? { state.leaderID(localID: localID) }
    public var highWatermark: Int64? { state.highWatermark }

    /// Feeds one input; returns what to do, in order, ending with the next `scheduleTick`.
    public mutating func handle(_ input: RaftInput, now: Int64) -> [RaftAction] {
        var actions = pendingActions
        pendingActions.removeAll()
        switch input {
        case .tick:
            break
        case .received(let envelope):
            guard envelope.destination == localID else { break }
            receive(envelope, now: now, into: &actions)
        case .append(let payloads):
            appendAsLeader(payloads, now: now, into: &actions)
        case .persisted(let offset):
            onPersisted(upTo: offset, now: now, into: &actions)
        case .createSnapshot(let id, let bytes):
            createSnapshot(id: id, bytes: bytes, into: &actions)
        case .resign:
            if case .leader(let leader) = state {
                transitionToResigned(preferredSuccessors: leader.nonLeaderVotersByDescendingFetchOffset, now: now,
                                     into: &actions)
            }
        }
        poll(now: now, into: &actions)
        actions.append(.scheduleTick(at: nextDeadline(now: now)))
        return actions
    }

    // MARK: - Helpers shared by the extensions

    /// `[electionTimeoutMs, 2 * electionTimeoutMs)`, Kafka's `randomElectionTimeoutMs`.
    /// A lone voter has no one to wait for: it elects itself at once (as Kafka's `QuorumState` does).
    mutating func randomElectionTimeoutMs() -> Int64 {
        if voters.isOnlyVoter(localID) { return 0 }
        return config.electionTimeoutMs == 0 ? 0 : config.electionTimeoutMs + random.below(config.electionTimeoutMs)
    }

    /// A voter's election deadline from now; observers never start elections.
    mutating func electionDeadline(now: Int64) -> Int64 {
        voters.contains(localID) ? now + randomElectionTimeoutMs() : .max
    }

    func isLogUpToDate(lastOffsetEpoch: Int32, lastOffset: Int64) -> Bool {
        OffsetAndEpoch(offset: lastOffset, epoch: lastOffsetEpoch) >= log.endOffset
    }

    mutating func send(_ message: RaftMessage, to destination: Int32, now: Int64, into actions: inout [RaftAction]) {
        let correlationID = requests.onRequestSent(to: destination, now: now, timeoutMs: config.requestTimeoutMs)
        actions.append(.send(RaftEnvelope(source: localID, destination: destination, correlationID: correlationID,
                                          message: message)))
    }

    func respond(_ message: RaftMessage, to request: RaftEnvelope, into actions: inout [RaftAction]) {
        actions.append(.send(RaftEnvelope(source: localID, destination: request.source,
                                          correlationID: request.correlationID, message: message)))
    }

    mutating func violation(_ text: String) {
        protocolViolations.append(text)
    }
}

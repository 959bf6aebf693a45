import KafkaRaft

typealias Core = RaftCore<MemoryRaftLog>

/// A replica for transcript-style tests: 3 voters by default, no cluster id.
func makeCore(id: Int32 = 1, voters: [Int32] = [1, 2, 3], quorumState: QuorumStateData? = nil,
              log: [RaftEntry] = [], now: Int64 = 0, seed: UInt64 = 7) -> Core {
    startCore(id: id, voters: voters, quorumState: quorumState, log: log, now: now, seed: seed).core
}

/// A replica after its first tick, and what that tick did (the initial persist, a first Fetch...).
func startCore(id: Int32 = 1, voters: [Int32] = [1, 2, 3], quorumState: QuorumStateData? = nil,
               log: [RaftEntry] = [], now: Int64 = 0, seed: UInt64 = 7) -> (core: Core, actions: [RaftAction]) {
    var core = Core(localID: id, voters: VoterSet(voters), quorumState: quorumState,
                    log: MemoryRaftLog(entries: log), now: now, seed: seed)
    let actions = core.handle(.tick, now: now)
    return (core, actions)
}

func entries(_ epochs: [Int32]) -> [RaftEntry] {
    epochs.enumerated().map { RaftEntry(epoch: $1, payload: Array("e\($0)".utf8)) }
}

extension Array where Element == RaftAction {
    var sent: [RaftEnvelope] {
        compactMap { if case .send(let envelope) = $0 { envelope } else { nil } }
    }

    var persisted: [QuorumStateData] {
        compactMap { if case .persistQuorumState(let state) = $0 { state } else { nil } }
    }

    func index(where predicate: (RaftAction) -> Bool) -> Int? { firstIndex(where: predicate) }

    var firstSendIndex: Int? { firstIndex { if case .send = $0 { true } else { false } } }
    var firstPersistIndex: Int? { firstIndex { if case .persistQuorumState = $0 { true } else { false } } }

    var committed: [Int64] {
        compactMap { if case .committed(let highWatermark) = $0 { highWatermark } else { nil } }
    }
}

extension RaftEnvelope {
    var voteRequest: VoteRequest? { if case .voteRequest(let request) = message { request } else { nil } }
    var voteResponse: VoteResponse? { if case .voteResponse(let response) = message { response } else { nil } }
    var fetchRequest: FetchRequest? { if case .fetchRequest(let request) = message { request } else { nil } }
    var fetchResponse: FetchResponse? { if case .fetchResponse(let response) = message { response } else { nil } }
    var beginQuorumEpochResponse: BeginQuorumEpochResponse? {
        if case .beginQuorumEpochResponse(let response) = message { response } else { nil }
    }
    var endQuorumEpochRequest: EndQuorumEpochRequest? {
        if case .endQuorumEpochRequest(let request) = message { request } else { nil }
    }

    /// The reply to this request, from its destination.
    func reply(_ message: RaftMessage) -> RaftEnvelope {
        RaftEnvelope(source: destination, destination: source, correlationID: correlationID, message: message)
    }
}

/// A request to `core` from `source`.
func request(_ message: RaftMessage, from source: Int32, to destination: Int32 = 1, correlationID: Int32 = 99) -> RaftInput {
    .received(RaftEnvelope(source: source, destination: destination, correlationID: correlationID, message: message))
}

/// Drives replica 1 of voters 1-3 to leadership of epoch 1: election timeout, pre-vote granted by 2,
/// vote granted by 2. Returns the time it became leader.
@discardableResult
func electLeader(_ core: inout Core, now start: Int64 = 0) -> Int64 {
    let now = start + 2_000
    let prospective = core.handle(.tick, now: now)
    let preVote = prospective.sent.first { $0.destination == 2 && $0.voteRequest != nil }!
    let candidate = core.handle(.received(preVote.reply(.voteResponse(
        VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: core.epoch, voteGranted: true)))), now: now)
    let vote = candidate.sent.first { $0.destination == 2 && $0.voteRequest != nil }!
    _ = core.handle(.received(vote.reply(.voteResponse(
        VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: core.epoch, voteGranted: true)))), now: now)
    return now
}

/// The leader-change entry `leader` writes at the start of `epoch` (voter details left out).
func leaderChangeEntry(epoch: Int32, leader: Int32) -> RaftEntry {
    RaftEntry(epoch: epoch, control: .leaderChange(LeaderChange(leaderID: leader, voters: [], grantingVoters: [])))
}

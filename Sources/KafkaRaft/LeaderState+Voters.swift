/// The leader's side of KIP-853: its replica states follow the voter set as `VotersRecord`s are appended
/// (or truncated away), and it tracks the one membership change in flight.
extension LeaderState {
    /// An AddRaftVoter or RemoveRaftVoter whose `VotersRecord` (at `offset`) the leader appended and whose
    /// client waits for it to commit (high watermark beyond `offset`) or for `deadline`.
    public struct PendingVoterChange: Hashable, Sendable {
        public enum Kind: Hashable, Sendable {
            case add(ReplicaKey)
            case remove(ReplicaKey)
        }

        public var kind: Kind
        /// Where the answer goes: the request's source and correlation id.
        public var replyTo: Int32
        public var correlationID: Int32
        public var offset: Int64
        public var deadline: Int64

        /// The answer's message for this change.
        func response(_ error: RaftErrorCode, message: String? = nil) -> RaftMessage {
            let response = RaftVoterChangeResponse(errorCode: error, errorMessage: message)
            switch kind {
            case .add: return .addRaftVoterResponse(response)
            case .remove: return .removeRaftVoterResponse(response)
            }
        }
    }

    /// Kafka's `isReplicaCaughtUp` for a replica about to become a voter: it fetched within
    /// `fetchTimeoutMs` and its log reaches the high watermark.
    func isCaughtUpObserver(_ replicaID: Int32, now: Int64, fetchTimeoutMs: Int64) -> Bool {
        guard let highWatermark, let state = observerStates[replicaID], let endOffset = state.endOffset else {
            return false
        }
        return state.lastFetchTimestamp >= 0 && now - state.lastFetchTimestamp < fetchTimeoutMs
            && endOffset >= highWatermark
    }

    /// The voter set changed (a `VotersRecord` appended or truncated away): voters keep their progress,
    /// replicas that left the set become observers, replicas that joined are voters from now on (an
    /// observer's progress carries over). Returns true when the high watermark advanced, which a smaller
    /// majority can cause.
    mutating func updateVoters(_ newVoters: VoterSet) -> Bool {
        guard newVoters != voters else { return false }
        var all = observerStates
        for (id, state) in voterStates { all[id] = state }
        voters = newVoters
        voterStates = [:]
        observerStates = [:]
        for (id, state) in all {
            if newVoters.contains(id) { voterStates[id] = state } else { observerStates[id] = state }
        }
        for id in newVoters.ids where voterStates[id] == nil {
            voterStates[id] = ReplicaState(replicaID: id)
        }
        fetchedVoters.formIntersection(newVoters.ids)
        return maybeUpdateHighWatermark()
    }
}

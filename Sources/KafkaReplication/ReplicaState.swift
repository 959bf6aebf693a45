extension PartitionLeaderState {
    /// A follower's progress as the leader sees it (Kafka's `ReplicaState`), fed by its fetches.
    ///
    /// Invariant: `lastCaughtUpTimeMs` is the latest time t (that the leader can vouch for) at which this
    /// follower had fetched up to the leader's log end offset as of t; it never decreases, except when
    /// a new leadership resets it.
    public struct ReplicaState: Hashable, Sendable {
        /// -1 until the first fetch in this leadership.
        public internal(set) var logStartOffset: Int64 = -1
        /// The fetch offset of the follower's latest fetch; -1 until its first fetch in this leadership.
        public internal(set) var logEndOffset: Int64 = -1
        /// The leader's log end offset when that latest fetch was received.
        public internal(set) var lastFetchLeaderLogEndOffset: Int64 = 0
        public internal(set) var lastFetchTimeMs: Int64 = 0
        public internal(set) var lastCaughtUpTimeMs: Int64 = 0
        /// The broker epoch its latest fetch carried (nil before one arrives).
        public internal(set) var brokerEpoch: Int64?
        /// What the metadata image says of its broker (fenced brokers and unknown ones are not eligible).
        public internal(set) var brokerStatus = FollowerBrokerStatus(aliveBrokerEpoch: nil)

        public init() {}

        /// Kafka's `resetReplicaState` for a new leader: position unknown; caught up `now` if in the ISR.
        static func newLeader(now: Int64, isInSync: Bool) -> ReplicaState {
            var state = ReplicaState()
            state.lastFetchLeaderLogEndOffset = -1
            state.lastCaughtUpTimeMs = isInSync ? now : 0
            return state
        }

        /// Kafka's `resetReplicaState` for a leader re-elected in a new epoch: position kept; the ISR members
        /// count as fetched and caught up `now` against the epoch's start offset, the others as never.
        mutating func resetForNewLeaderEpoch(now: Int64, leaderEpochStartOffset: Int64, isInSync: Bool) {
            lastFetchLeaderLogEndOffset = leaderEpochStartOffset
            lastFetchTimeMs = isInSync ? now : 0
            lastCaughtUpTimeMs = isInSync ? now : 0
        }

        /// Kafka's `updateFetchStateOrThrow` without the fence: a fetch at or past the leader's log end offset
        /// makes the follower caught up now; a fetch at or past the leader's log end offset as of the previous
        /// fetch makes it caught up as of that previous fetch.
        mutating func recordFetch(fetchOffset: Int64, logStartOffset: Int64, now: Int64, leaderLogEndOffset: Int64, brokerEpoch: Int64) {
            if fetchOffset >= leaderLogEndOffset {
                lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, now)
            } else if fetchOffset >= lastFetchLeaderLogEndOffset {
                lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, lastFetchTimeMs)
            }
            self.logStartOffset = logStartOffset
            logEndOffset = fetchOffset
            lastFetchLeaderLogEndOffset = max(leaderLogEndOffset, lastFetchLeaderLogEndOffset)
            lastFetchTimeMs = now
            self.brokerEpoch = brokerEpoch
        }

        /// Kafka's `isCaughtUp`: at the leader's log end offset, or caught up within the lag time.
        public func isCaughtUp(leaderLogEndOffset: Int64, now: Int64, replicaLagTimeMaxMs: Int64) -> Bool {
            leaderLogEndOffset == logEndOffset || now - lastCaughtUpTimeMs <= replicaLagTimeMaxMs
        }

        /// Kafka's `isReplicaIsrEligible` for this replica now.
        public var isIsrEligible: Bool { brokerStatus.isIsrEligible(fetchBrokerEpoch: brokerEpoch) }
    }
}

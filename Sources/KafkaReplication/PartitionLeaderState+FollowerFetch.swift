/// One follower Fetch of this partition as the leader served it (the inputs of Kafka's
/// `Partition.updateFollowerFetchState`). Only fetches answered without a diverging epoch count.
public struct FollowerFetch: Hashable, Sendable {
    public var replicaId: Int32
    /// The broker epoch in the Fetch request (`ReplicaState.ReplicaEpoch`); -1 when not sent.
    public var brokerEpoch: Int64
    public var fetchOffset: Int64
    public var logStartOffset: Int64
    /// The leader's log end offset when it started serving this fetch (read before the read, so appends
    /// racing the fetch do not keep the follower from catching up).
    public var leaderLogEndOffset: Int64
    /// What the leader's metadata image says of the follower's broker now.
    public var brokerStatus: FollowerBrokerStatus

    public init(replicaId: Int32, brokerEpoch: Int64, fetchOffset: Int64, logStartOffset: Int64 = 0,
                leaderLogEndOffset: Int64, brokerStatus: FollowerBrokerStatus) {
        self.replicaId = replicaId
        self.brokerEpoch = brokerEpoch
        self.fetchOffset = fetchOffset
        self.logStartOffset = logStartOffset
        self.leaderLogEndOffset = leaderLogEndOffset
        self.brokerStatus = brokerStatus
    }
}

extension PartitionLeaderState {
    /// A follower fetched (Kafka's `updateFollowerFetchState`): records its progress, then maybe proposes
    /// adding it to the ISR, then maybe raises the high watermark (only if its log end offset moved).
    ///
    /// Throws `.notLeaderOrFollower` for a replica not assigned, or a fetch whose broker epoch is older
    /// than the broker's live registration (a stale fetch from before a restart); nothing changes then.
    public mutating func followerFetched(_ fetch: FollowerFetch, now: Int64) throws(ReplicationError) -> [PartitionLeaderAction] {
        guard var replica = followers[fetch.replicaId] else { throw .notLeaderOrFollower }
        if fetch.brokerEpoch != -1, let alive = fetch.brokerStatus.aliveBrokerEpoch, alive > fetch.brokerEpoch {
            throw .notLeaderOrFollower
        }
        let previousLogEndOffset = replica.logEndOffset
        replica.recordFetch(
            fetchOffset: fetch.fetchOffset, logStartOffset: fetch.logStartOffset, now: now,
            leaderLogEndOffset: fetch.leaderLogEndOffset, brokerEpoch: fetch.brokerEpoch)
        replica.brokerStatus = fetch.brokerStatus
        followers[fetch.replicaId] = replica

        var actions = maybeExpandIsr(replicaId: fetch.replicaId)
        if previousLogEndOffset != replica.logEndOffset {
            actions += maybeIncrementHighWatermark(now: now)
        }
        return actions
    }

    /// The metadata image changed a follower's broker (fenced, unfenced, shutting down, re-registered with a
    /// new epoch). Eligibility feeds the next high watermark and expansion decisions; nothing is decided now.
    public mutating func brokerStatusChanged(replicaId: Int32, to status: FollowerBrokerStatus) {
        followers[replicaId]?.brokerStatus = status
    }

    /// The metadata image changed the followers' brokers: records each status, then raises the high
    /// watermark if a broker that held it back is no longer eligible (a fenced or shutting-down broker
    /// that was caught up within the lag time). Without this, acks=all produces waiting on the high
    /// watermark would wait for the next append or fetch, which they themselves may be holding back.
    public mutating func brokerStatusesChanged(_ statuses: [Int32: FollowerBrokerStatus], now: Int64) -> [PartitionLeaderAction] {
        for (id, status) in statuses where followers[id] != nil { followers[id]!.brokerStatus = status }
        return maybeIncrementHighWatermark(now: now)
    }
}

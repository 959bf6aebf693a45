/// One replica as a replica selector weighs it (Kafka's `ReplicaView`): the rack of its broker (nil when
/// the broker has none, or cannot be reached on the client's listener: such a replica is never in a
/// client's rack), how far its log reaches, and how long ago it was last caught up (0 for the leader).
public struct ReadReplicaCandidate: Hashable, Sendable {
    public var brokerId: Int32
    public var rack: String?
    public var logEndOffset: Int64
    public var timeSinceLastCaughtUpMs: Int64

    public init(brokerId: Int32, rack: String?, logEndOffset: Int64, timeSinceLastCaughtUpMs: Int64) {
        self.brokerId = brokerId
        self.rack = rack
        self.logEndOffset = logEndOffset
        self.timeSinceLastCaughtUpMs = timeSinceLastCaughtUpMs
    }

    /// Kafka's `ReplicaView.comparator`: more caught up means a larger log end offset, then a shorter time
    /// since caught up, then (for a deterministic choice) a larger broker id.
    public static func isLessCaughtUp(_ a: ReadReplicaCandidate, than b: ReadReplicaCandidate) -> Bool {
        if a.logEndOffset != b.logEndOffset { return a.logEndOffset < b.logEndOffset }
        if a.timeSinceLastCaughtUpMs != b.timeSinceLastCaughtUpMs { return a.timeSinceLastCaughtUpMs > b.timeSinceLastCaughtUpMs }
        return a.brokerId < b.brokerId
    }
}

/// Kafka's `RackAwareReplicaSelector` (KIP-392): a client that names its rack (`client.rack`) reads from
/// the leader when the leader is in that rack or no candidate is, and otherwise from the most caught up
/// candidate in its rack. A client without a rack reads from the leader.
public enum RackAwareReplicaSelector {
    /// The replica a client in `clientRack` should read from, among `leader` and `followers` (the
    /// candidates the leader allows, ``PartitionLeaderState/readReplicaCandidates(fetchOffset:racks:now:)``).
    public static func select(clientRack: String, leader: ReadReplicaCandidate, followers: [ReadReplicaCandidate]) -> ReadReplicaCandidate {
        guard !clientRack.isEmpty else { return leader }
        if leader.rack == clientRack { return leader }
        let sameRack = followers.filter { $0.rack == clientRack }
        return sameRack.max(by: ReadReplicaCandidate.isLessCaughtUp) ?? leader
    }
}

extension PartitionLeaderState {
    /// The followers a consumer fetching at `fetchOffset` may be sent to (the filter of Kafka's
    /// `findPreferredReadReplica`): members of the committed ISR whose log, as of their latest fetch, holds
    /// `fetchOffset` (log start offset at most, log end offset at least the fetch offset). A follower out
    /// of the ISR may lag without bound, so a consumer sent there could fall behind for good.
    /// - Parameter racks: the rack of each replica's broker that clients can reach on the request's listener.
    public func readReplicaCandidates(fetchOffset: Int64, racks: [Int32: String], now: Int64) -> [ReadReplicaCandidate] {
        followers.keys.sorted().compactMap { id in
            guard isr.contains(id), let replica = followers[id],
                  replica.logEndOffset >= fetchOffset, replica.logStartOffset <= fetchOffset else { return nil }
            return ReadReplicaCandidate(brokerId: id, rack: racks[id], logEndOffset: replica.logEndOffset,
                                        timeSinceLastCaughtUpMs: now - replica.lastCaughtUpTimeMs)
        }
    }

    /// Kafka's `findPreferredReadReplica` with ``RackAwareReplicaSelector``: the follower a consumer in
    /// `clientRack` fetching at `fetchOffset` should read from instead, or nil when it should read here
    /// (the leader is never named: a consumer told nothing keeps reading from the leader).
    /// - Parameter racks: as for ``readReplicaCandidates(fetchOffset:racks:now:)``, the leader's included.
    public func preferredReadReplica(clientRack: String, fetchOffset: Int64, racks: [Int32: String], now: Int64) -> Int32? {
        let leader = ReadReplicaCandidate(brokerId: localBrokerId, rack: racks[localBrokerId], logEndOffset: logEndOffset,
                                          timeSinceLastCaughtUpMs: 0)
        let followers = readReplicaCandidates(fetchOffset: fetchOffset, racks: racks, now: now)
        let chosen = RackAwareReplicaSelector.select(clientRack: clientRack, leader: leader, followers: followers)
        return chosen.brokerId == localBrokerId ? nil : chosen.brokerId
    }
}

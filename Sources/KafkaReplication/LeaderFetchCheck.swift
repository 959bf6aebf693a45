/// How the leader must answer one partition of a follower's Fetch before reading (Kafka's
/// `Partition.fetchRecords`/`readRecords` checks for a follower).
public enum LeaderFetchCheck: Hashable, Sendable {
    /// Read from `fetchOffset`, answer, then report the fetch with `PartitionLeaderState.followerFetched`.
    case read
    /// Answer no records with this diverging epoch; do not record the fetch as progress.
    case divergingEpoch(EpochEndOffset)
    /// Answer this error.
    case error(ReplicationError)

    /// The checks, in Kafka's order: the request's current leader epoch against ours (older: FENCED_LEADER_EPOCH,
    /// newer: UNKNOWN_LEADER_EPOCH); with a last fetched epoch, its end offset in our log must be known and
    /// the fetch offset not below our log start (else OFFSET_OUT_OF_RANGE), and our log diverges if that epoch
    /// ends earlier or is unknown to us; finally the fetch offset must lie within our log.
    /// - Parameter endOffsetForEpoch: the leader epoch cache's `endOffsetFor` (nil or undefined when unknown).
    public static func check(
        currentLeaderEpoch: Int32?, lastFetchedEpoch: Int32?, fetchOffset: Int64, leaderEpoch: Int32,
        logStartOffset: Int64, logEndOffset: Int64, endOffsetForEpoch: (Int32) -> EpochEndOffset?
    ) -> LeaderFetchCheck {
        if let currentLeaderEpoch {
            if leaderEpoch > currentLeaderEpoch { return .error(.fencedLeaderEpoch) }
            if leaderEpoch < currentLeaderEpoch { return .error(.unknownLeaderEpoch) }
        }
        if let lastFetchedEpoch {
            guard let epochEnd = endOffsetForEpoch(lastFetchedEpoch), epochEnd.leaderEpoch != EpochEndOffset.undefinedEpoch,
                  epochEnd.endOffset != EpochEndOffset.undefinedEpochOffset else {
                return .error(.offsetOutOfRange)
            }
            if fetchOffset < logStartOffset { return .error(.offsetOutOfRange) }
            if epochEnd.leaderEpoch < lastFetchedEpoch || epochEnd.endOffset < fetchOffset {
                return .divergingEpoch(epochEnd)
            }
        }
        if fetchOffset < logStartOffset || fetchOffset > logEndOffset { return .error(.offsetOutOfRange) }
        return .read
    }
}

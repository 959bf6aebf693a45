extension FollowerFetchState {
    /// The offset to truncate to when the leader reports a diverging epoch (Kafka's
    /// `getOffsetTruncationState`, with truncation on fetch): never beyond the local log end offset, and
    /// never beyond where the local log and the leader's can still agree.
    /// - Leader's end offset undefined: the current fetch offset.
    /// - Leader's epoch undefined: the leader's end offset.
    /// - The local log's largest epoch at or below the leader's is the leader's epoch: the smaller of both
    ///   logs' end offsets for it.
    /// - It is a smaller epoch: that epoch's local end offset (the next fetch narrows it further).
    /// - The local log has no epoch that small: the leader's end offset.
    ///
    /// `endOffsetForEpoch` is the local leader epoch cache's `endOffsetFor` (nil: no epochs known).
    public static func offsetTruncationState(
        leaderEpochEndOffset leader: EpochEndOffset, fetchOffset: Int64, localLogEndOffset: Int64,
        endOffsetForEpoch: (Int32) -> EpochEndOffset?
    ) -> Int64 {
        if leader.endOffset == EpochEndOffset.undefinedEpochOffset { return fetchOffset }
        if leader.leaderEpoch == EpochEndOffset.undefinedEpoch { return min(leader.endOffset, localLogEndOffset) }
        guard let local = endOffsetForEpoch(leader.leaderEpoch), local.leaderEpoch != EpochEndOffset.undefinedEpoch,
              local.endOffset != EpochEndOffset.undefinedEpochOffset else {
            return min(leader.endOffset, localLogEndOffset)
        }
        if local.leaderEpoch != leader.leaderEpoch { return min(local.endOffset, localLogEndOffset) }
        return min(local.endOffset, leader.endOffset, localLogEndOffset)
    }
}

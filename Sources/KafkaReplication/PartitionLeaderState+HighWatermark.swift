extension PartitionLeaderState {
    /// The leader appended to its log (or its log end offset otherwise moved forward): the high watermark
    /// may rise (a lone ISR member commits its own appends).
    public mutating func leaderAppended(logEndOffset newLogEndOffset: Int64, now: Int64) -> [PartitionLeaderAction] {
        precondition(newLogEndOffset >= logEndOffset, "the leader's log end offset went back")
        logEndOffset = newLogEndOffset
        return maybeIncrementHighWatermark(now: now)
    }

    /// The high watermark the replicas' positions allow now (Kafka's `maybeIncrementLeaderHW`, 3.7+):
    /// the smallest log end offset over the leader, the maximal ISR, and the eligible replicas caught up
    /// within the lag time (so a catching-up follower is not outrun); nil while under min ISR.
    public func highWatermarkCandidate(now: Int64) -> Int64? {
        if isUnderMinIsr { return nil }
        let maximal = maximalIsr
        var candidate = logEndOffset
        for (id, replica) in followers where replica.logEndOffset < candidate {
            let holdsBack = maximal.contains(id)
                || (replica.isCaughtUp(leaderLogEndOffset: logEndOffset, now: now, replicaLagTimeMaxMs: replicaLagTimeMaxMs)
                    && replica.isIsrEligible)
            if holdsBack { candidate = replica.logEndOffset }
        }
        return candidate
    }

    /// Raises the high watermark to the candidate if that is higher; returns the announcement.
    mutating func maybeIncrementHighWatermark(now: Int64) -> [PartitionLeaderAction] {
        guard let candidate = highWatermarkCandidate(now: now), candidate > highWatermark else { return [] }
        highWatermark = candidate
        return [.highWatermarkAdvanced(to: candidate)]
    }
}

import KafkaLog
import KafkaRecords
import NIOCore

extension Partition {
    /// What a follower's write to its log did.
    enum FollowerWrite: Equatable {
        case done
        /// This node no longer follows the partition in the leader epoch the fetch was made in (it leads
        /// it now, or a newer registration arrived): nothing was written.
        case notFollowing
    }

    /// Whether this node follows the partition in `leaderEpoch`. Caller holds the lock.
    private func isFollowing(in leaderEpoch: Int32) -> Bool {
        leaderState == nil && _leaderEpoch == leaderEpoch
    }

    /// Appends the leader's batches byte for byte at their offsets (Kafka's `appendRecordsToFollowerOrFutureReplica`)
    /// and makes them durable when acks=all appends are flushed before they are acknowledged, so a record
    /// the leader counts as in the ISR's logs is on this node's disk too. Writes only while this node
    /// still follows in `leaderEpoch`, checked under the same lock `makeLeader` and `makeFollower` take,
    /// so a response that arrives after a leadership change never lands in the new leader's log. The
    /// high watermark is the caller's to set (``updateFollowerHighWatermark(_:)``). Blocks on file
    /// writes: call it on the blocking-I/O executor.
    func appendAsFollower(_ records: ByteBuffer, leaderEpoch: Int32, now: Int64) throws(LogError) -> FollowerWrite {
        let flushFirst = settings.flushBeforeAcksAll
        let pending = try withLogTyped { log throws(LogError) -> PendingFlush?? in
            guard isFollowing(in: leaderEpoch) else { return .none }
            if records.readableBytes > 0 { try log.appendAsFollower(records, now: now) }
            return .some(flushFirst ? try log.prepareFlush() : nil)
        }
        guard let pending else { return .notFollowing }
        if let pending {
            try performFlush(pending)
            withLog { $0.completeFlush(pending, now: now) }
        }
        return .done
    }

    /// A follower's high watermark, as `FollowerFetchState.appended` computes it from the leader's; it
    /// never moves back here (only truncation lowers it). When it rises, fetches waiting for records wake
    /// (consumers may read from followers, KIP-392, up to this high watermark), as on a leader.
    func updateFollowerHighWatermark(_ leaderHighWatermark: Int64) {
        let advanced = withLog { log -> Bool in
            let candidate = min(leaderHighWatermark, log.logEndOffset)
            guard candidate > log.highWatermark else { return false }
            log.updateHighWatermark(candidate)
            return true
        }
        if advanced { hooks.highWatermarkAdvanced(topicPartition) }
    }

    /// Truncates this follower's log to `offset` (a diverging epoch, or an out-of-range fetch offset),
    /// as Kafka's `truncateTo`, while it still follows in `leaderEpoch`.
    func truncate(to offset: Int64, leaderEpoch: Int32, now: Int64) throws(LogError) -> FollowerWrite {
        try withLogTyped { log throws(LogError) -> FollowerWrite in
            guard isFollowing(in: leaderEpoch) else { return .notFollowing }
            try log.truncate(to: offset, now: now)
            return .done
        }
    }

    /// Empties the log and restarts it at the leader's log start offset (this follower's fetch offset
    /// fell below it), while it still follows in `leaderEpoch`.
    func truncateFullyAndStart(at offset: Int64, leaderEpoch: Int32, now: Int64) throws(LogError) -> FollowerWrite {
        try withLogTyped { log throws(LogError) -> FollowerWrite in
            guard isFollowing(in: leaderEpoch) else { return .notFollowing }
            try log.truncateFullyAndStart(at: offset, now: now)
            return .done
        }
    }

    /// The local answer for a leader's epoch (Kafka's `endOffsetForEpoch`): the largest epoch at most
    /// `epoch` this log knows and where it ends; nil when the log knows no epoch that old.
    func endOffset(forLeaderEpoch epoch: Int32) -> (leaderEpoch: Int32, endOffset: Int64)? {
        withLog { log in
            let answer = log.endOffset(forLeaderEpoch: epoch)
            return answer.leaderEpoch < 0 ? nil : answer
        }
    }

    /// ``withLog(_:)`` for bodies with typed `LogError` throws.
    func withLogTyped<T>(_ body: (PartitionLog) throws(LogError) -> T) throws(LogError) -> T {
        do {
            return try withLog { log in try body(log) }
        } catch let error as LogError {
            throw error
        } catch {
            throw .invalidArgument("\(error)")
        }
    }
}

import Logging

extension PartitionLog {
    /// The newest leader epoch with an entry in ``leaderEpochCache`` (Kafka's `latestEpoch`).
    public var latestEpoch: Int32? { leaderEpochCache.latestEpoch }

    /// What OffsetForLeaderEpoch answers for `leaderEpoch` (Kafka's `endOffsetForEpoch`): the largest
    /// epoch at or below it and the offset where that epoch ends, the log end offset for the latest
    /// epoch; `(-1, -1)` when unknown. See ``LeaderEpochCache/endOffset(for:logEndOffset:)``.
    public func endOffset(forLeaderEpoch leaderEpoch: Int32) -> (leaderEpoch: Int32, endOffset: Int64) {
        let found = leaderEpochCache.endOffset(for: leaderEpoch, logEndOffset: logEndOffset)
        return (found.epoch, found.endOffset)
    }

    /// A new leader's first step (Kafka's `maybeAssignEpochStartOffset`, from `makeLeader` with the log
    /// end offset): `epoch` starts at `startOffset`, under ``LeaderEpochCache/assign(epoch:startOffset:)``'s
    /// rules. The checkpoint file is written before the next records are (``leaderEpochCheckpointIsStale``),
    /// not here: an entry with no records behind it is worth no fsync (becoming the leader of 20,000
    /// partitions must not cost 20,000), and one lost in a crash is harmless, since the node's next
    /// leadership starts a newer epoch and its last batch's epoch is what it tells leaders as a follower.
    public func assignEpochStartOffset(epoch: Int32, startOffset: Int64) throws(LogError) {
        try ensureOpen()
        if leaderEpochCache.assign(epoch: epoch, startOffset: startOffset) { leaderEpochCheckpointIsStale = true }
    }

    /// Applies `change` (which says whether it changed anything) to the cache, then writes
    /// `leader-epoch-checkpoint` if the cache changed or the file was stale. Callers run it inside
    /// ``changingFiles(_:)``.
    func updateLeaderEpochCache(_ change: (inout LeaderEpochCache) -> Bool) throws(LogError) {
        if change(&leaderEpochCache) || leaderEpochCheckpointIsStale {
            try writeLeaderEpochCheckpoint()
        }
    }

    /// ``updateLeaderEpochCache(_:)`` as a step of its own (``changingFiles(_:)``), taken only when it
    /// writes the checkpoint (`change` changes the entries, or the file is stale): a step that changes
    /// nothing must not sync a cleanly opened log's directory (``markerRemovalIsUnsynced``).
    func updateLeaderEpochCacheIfChanged(_ change: (inout LeaderEpochCache) -> Bool) throws(LogError) {
        var copy = leaderEpochCache
        guard change(&copy) || leaderEpochCheckpointIsStale else { return }
        try changingFiles { () throws(LogError) in try updateLeaderEpochCache(change) }
    }

    /// Before records are written: the checkpoint must describe the log up to them.
    func writeLeaderEpochCheckpointIfStale() throws(LogError) {
        if leaderEpochCheckpointIsStale { try writeLeaderEpochCheckpoint() }
    }

    private func writeLeaderEpochCheckpoint() throws(LogError) {
        let bytes = leaderEpochCache.encoded()
        let path = FileSystem.join(directory, LogFileNames.leaderEpochCheckpoint)
        try fileCache.retryingOnExhaustion { () throws(LogError) in try AtomicFile.write(bytes, to: path) }
        leaderEpochCheckpointIsStale = false
    }

    /// The cache `leader-epoch-checkpoint` holds; nil when the file is missing or unreadable (logged).
    static func readLeaderEpochCheckpoint(in directory: String, topic: String, partition: Int32, logger: Logger) throws(LogError) -> LeaderEpochCache? {
        guard let bytes = try FileSystem.readFile(FileSystem.join(directory, LogFileNames.leaderEpochCheckpoint)) else { return nil }
        guard let cache = LeaderEpochCache(parsing: bytes) else {
            logger.warning("rebuilding an unreadable leader epoch checkpoint from the log", metadata: [
                "kafka.topic": "\(topic)", "kafka.partition": "\(partition)", "log.file": "\(LogFileNames.leaderEpochCheckpoint)",
            ])
            return nil
        }
        return cache
    }
}

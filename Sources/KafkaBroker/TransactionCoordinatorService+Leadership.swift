import KafkaProtocol
import KafkaTransactions

/// Coordination follows the leadership of `__transaction_state` partitions (Kafka's
/// `onElection`/`onResignation` for transactions): changes are applied one at a time, in the order
/// heard, by one loop.
extension TransactionCoordinatorService {
    /// Records leadership changes (from the replica manager, under its lock: no waiting here).
    nonisolated func leadershipChanged(_ changes: [(partition: Int32, leaderEpoch: Int32?)]) {
        pendingLeadership.withLockedValue { pending in
            for change in changes { pending.updateValue(change.leaderEpoch, forKey: change.partition) }
        }
        Task { await self.applyLeadershipChanges() }
    }

    /// Loads the partitions this node now leads under a new leader epoch and unloads the others.
    func applyLeadershipChanges() async {
        guard !applyingLeadership else { return }
        applyingLeadership = true
        defer { applyingLeadership = false }
        while true {
            let changes = pendingLeadership.withLockedValue { pending in
                defer { pending = [:] }
                return pending
            }
            if changes.isEmpty { return }
            var loads: [String] = [], unloads: [String] = []
            for (partition, epoch) in changes.sorted(by: { $0.key < $1.key })
            where (0..<coordinator.config.transactionStateLogPartitions).contains(partition) {
                if let epoch, loaded[partition] == epoch { continue }
                guard let epoch else {
                    if let was = loaded.removeValue(forKey: partition) {
                        perform(coordinator.unload(partition: partition))
                        unloads.append("\(partition)@\(was)")
                    }
                    continue
                }
                if let records = await load(partition, leaderEpoch: epoch) { loads.append("\(partition)@\(epoch) (\(records) records)") }
            }
            if !loads.isEmpty || !unloads.isEmpty {
                logger.info("transaction coordination follows the transaction state partitions' leadership", metadata: [
                    "kafka.topic": "\(Self.topic)", "transactions.loaded": "\(loads)", "transactions.unloaded": "\(unloads)",
                    "transactions.coordinated_partitions": "\(loaded.count)",
                ])
            }
        }
    }

    /// Replays `partition` as read while this node leads it under `leaderEpoch`; records that do not
    /// decode are skipped with a log line. Returns how many records it replayed; nil when it did not
    /// load (the leadership ended first, or the log cannot be read).
    @discardableResult
    func load(_ partition: Int32, leaderEpoch: Int32) async -> Int? {
        loaded[partition] = nil
        perform(coordinator.beginLoading(partition: partition, coordinatorEpoch: leaderEpoch))
        let read: InternalTopicLog.Loaded?
        do {
            read = try await log.load(partition: partition, leaderEpoch: leaderEpoch)
        } catch {
            logger.error("not coordinating the transactions of a partition whose log cannot be read", metadata: [
                "kafka.partition": "\(Self.topic)-\(partition)", "error": "\(error)",
            ])
            read = nil
        }
        guard let read else {
            perform(coordinator.unload(partition: partition))
            return nil
        }
        var skipped = 0
        for entry in read.entries {
            do {
                try coordinator.replay(TransactionRecord(key: entry.key, value: entry.value), partition: partition)
            } catch {
                skipped += 1
                logger.error("skipped a __transaction_state record that does not decode", metadata: [
                    "kafka.partition": "\(Self.topic)-\(partition)", "error": "\(error)",
                ])
            }
        }
        loaded[partition] = leaderEpoch
        perform(coordinator.finishLoading(partition: partition, now: clock.nowMs()))
        logger.debug("coordinating the transactions of a partition", metadata: [
            "kafka.partition": "\(Self.topic)-\(partition)", "kafka.leader_epoch": "\(leaderEpoch)",
            "transactions.records": "\(read.entries.count - skipped)", "log.end_offset": "\(read.logEndOffset)",
        ])
        return read.entries.count - skipped
    }
}

import KafkaGroups
import KafkaProtocol

/// Coordination follows leadership (Kafka's `onElection` / `onResignation`): the changes heard from the
/// replica manager are applied by whoever next takes the gate, so a load or unload never runs between
/// a request's decision and its append. Elected under a new leader epoch, the node replays the
/// partition from its own replica; resigning, it drops the partition's groups.
extension GroupCoordinatorService {
    /// Loads the partitions this node now leads under a leader epoch it has not loaded, and unloads the
    /// ones it no longer leads. Leader epochs rise only when the leader changes, so a different epoch
    /// means another leader may have written in between: the partition is reloaded from the log. One
    /// log line says what changed (partition@leader epoch, with the records replayed for a load).
    func applyLeadershipChanges() async {
        guard !stopped else { return }
        let changes = pendingLeadership.withLockedValue { pending in
            defer { pending = [:] }
            return pending
        }
        var loads: [String] = [], unloads: [String] = []
        for (partition, epoch) in changes.sorted(by: { $0.key < $1.key }) where (0..<partitions).contains(partition) {
            if loaded[partition] == epoch { continue }
            if let was = loaded[partition] {
                unload(partition)
                unloads.append("\(partition)@\(was)")
            }
            if let epoch, let replayed = await load(partition, leaderEpoch: epoch) {
                loads.append("\(partition)@\(epoch) (\(replayed) records)")
            }
        }
        if !loads.isEmpty || !unloads.isEmpty {
            logger.info("group coordination follows the offsets partitions' leadership", metadata: [
                "kafka.topic": "\(ConsumerOffsetsLog.topic)", "groups.loaded": "\(loads)", "groups.unloaded": "\(unloads)",
                "groups.coordinated_partitions": "\(loaded.count)",
            ])
        }
    }

    /// Replays `partition`'s records (read while this node leads it under `leaderEpoch`) and starts its
    /// members' sessions. A record that does not decode (a key or value this version cannot read) is
    /// skipped with a log line, as Kafka's loader skips unknown record types. A partition whose log
    /// cannot be read here is left out with an error line: its groups get NOT_COORDINATOR while the
    /// others are served. Returns how many records it replayed; nil when it did not load.
    @discardableResult
    func load(_ partition: Int32, leaderEpoch: Int32) async -> Int? {
        let read: ConsumerOffsetsLog.Loaded?
        do {
            read = try await log.load(partition: partition, leaderEpoch: leaderEpoch)
        } catch {
            logger.error("not coordinating the groups of an offsets partition whose log cannot be read", metadata: [
                "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "error": "\(error)",
            ])
            return nil
        }
        guard let read else {
            // The leadership ended before the log was read; the change that ended it is pending.
            return nil
        }
        var replayed = 0
        for item in read.items {
            switch item {
            case let .record(record, producerID):
                do {
                    if let producerID { try coordinator.replay(record, producerID: producerID) } else { try coordinator.replay(record) }
                    replayed += 1
                } catch {
                    logger.error("skipped a __consumer_offsets record that does not decode", metadata: [
                        "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "error": "\(error)",
                        "key.bytes": "\(record.key.count)",
                    ])
                }
            case let .marker(producerID, committed):
                coordinator.replayEndTransaction(producerID: producerID, committed: committed, partition: partition)
            }
        }
        loaded[partition] = leaderEpoch
        written[partition] = CommitPoint(offset: read.logEndOffset, leaderEpoch: leaderEpoch)
        let turn = finish(await perform(coordinator.finishLoading(partition: partition, now: clock.nowMs())), for: [])
        if !turn.isEmpty { Task { await settle(turn) } }
        logger.debug("coordinating the groups of an offsets partition", metadata: [
            "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "kafka.leader_epoch": "\(leaderEpoch)",
            "groups.records": "\(replayed)", "log.end_offset": "\(read.logEndOffset)",
        ])
        return replayed
    }

    /// Drops `partition`'s groups (Kafka's `onResignation`); their parked requests get NOT_COORDINATOR.
    func unload(_ partition: Int32) {
        let leaderEpoch = loaded.removeValue(forKey: partition)
        written[partition] = nil
        for action in coordinator.unload(partition: partition) {
            switch action {
            case let .respondJoin(group, member, response): joins.deliver(group: group, member: member, response)
            case let .respondSync(group, member, response): syncs.deliver(group: group, member: member, response)
            case .append, .appendTransactional, .scheduleTimeout: break
            }
        }
        logger.debug("stopped coordinating the groups of an offsets partition", metadata: [
            "kafka.partition": "\(ConsumerOffsetsLog.topic)-\(partition)", "kafka.leader_epoch": "\(leaderEpoch.map { "\($0)" } ?? "none")",
        ])
    }
}

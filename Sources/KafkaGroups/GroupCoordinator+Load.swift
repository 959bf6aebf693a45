import KafkaProtocol

/// Loading from and unloading a `__consumer_offsets` partition.
///
/// Load: `replay` each record of the partition in log order (a nil value is a tombstone), then
/// `finishLoading(now:)`, which starts every loaded member's session (and revocation deadline). Kafka's replay rules: an offset
/// commit for an unknown group creates a simple group (replaced by a consumer group whose records come later,
/// which happens once compaction has moved them); a group metadata value replaces the group (Stable
/// with members, Empty without); a group tombstone removes it. Consumer (KIP-848) group records replay into
/// `consumerGroups` (see `ConsumerGroup.replay`); share group records are skipped.
extension GroupCoordinator {
    public mutating func replay(_ record: CoordinatorRecord) throws(ProtocolError) {
        replay(try record.decode())
    }

    /// Replays a record of a transactional batch written by `producerID` (a TxnOffsetCommit): an offset
    /// commit waits in `transactionalOffsets` for the producer's marker (``replayEndTransaction(producerID:committed:partition:)``);
    /// a transaction writes nothing else.
    public mutating func replay(_ record: CoordinatorRecord, producerID: Int64) throws(ProtocolError) {
        guard case let .offsetCommit(key, value?) = try record.decode() else { return }
        if groups[key.group] == nil && consumerGroups[key.group] == nil {
            groups[key.group] = ClassicGroup(groupID: key.group, now: nil, offsetsTopicPartitions: config.offsetsTopicPartitions)
        }
        transactionalOffsets.record(producerID: producerID, group: key.group, TopicPartition(key.topic, key.partition),
                                    OffsetAndMetadata(value))
    }

    /// Replays a COMMIT or ABORT marker of `producerID` in `__consumer_offsets` partition `partition`
    /// (Kafka's `replayEndTransactionMarker`): committed, the transaction's offsets for the partition's
    /// groups become the groups' committed offsets (unless written before the one they have); aborted,
    /// they are dropped.
    public mutating func replayEndTransaction(producerID: Int64, committed: Bool, partition: Int32) {
        let count = config.offsetsTopicPartitions
        let ended = transactionalOffsets.end(producerID: producerID, committed: committed) {
            CoordinatorPartitioner.partition(for: $0, partitionCount: count) == partition
        }
        for (group, tp, offset) in ended {
            var store = offsets[group] ?? OffsetStore()
            store.apply(topic: tp.topic, partition: tp.partition, offset)
            offsets[group] = store
        }
    }

    public mutating func replay(_ record: CoordinatorRecord.Decoded) {
        switch record {
        case .offsetCommit(let key, let value):
            if value != nil && groups[key.group] == nil && consumerGroups[key.group] == nil {
                groups[key.group] = ClassicGroup(groupID: key.group, now: nil, offsetsTopicPartitions: config.offsetsTopicPartitions)
            }
            if !transactionalOffsets.isEmpty { transactionalOffsets.supersede(group: key.group, TopicPartition(key.topic, key.partition)) }
            var store = offsets[key.group] ?? OffsetStore()
            store.apply(topic: key.topic, partition: key.partition, value.map(OffsetAndMetadata.init))
            offsets[key.group] = store.isEmpty ? nil : store
        case .groupMetadata(let key, let value):
            groups[key.group] = value.map {
                ClassicGroup(groupID: key.group, loading: $0, offsetsTopicPartitions: config.offsetsTopicPartitions)
            }
        case .consumerGroup(let r):
            if case .metadata(let id, nil) = r {
                consumerGroups[id] = nil
                return
            }
            guard consumerGroups[r.groupID] != nil || !r.isTombstone else { return }
            // After compaction a group's offset commits can come before its consumer-group records and
            // will have created a simple classic group; the consumer group replaces it, as in Kafka
            // (a group id lives in one of the two maps only). Its offsets are kept.
            if consumerGroups[r.groupID] == nil, let classic = groups[r.groupID], classic.state == .empty {
                groups[r.groupID] = nil
            }
            var group = consumerGroups[r.groupID] ?? ConsumerGroup(groupID: r.groupID, offsetsTopicPartitions: config.offsetsTopicPartitions)
            group.replay(r)
            consumerGroups[r.groupID] = group
        case .unknown:
            break
        }
    }

    /// Applies records this coordinator produced, exactly as a load would.
    mutating func apply(_ records: [CoordinatorRecord]) {
        for r in records {
            do { try replay(r) } catch { preconditionFailure("a record written here failed to decode: \(error)") }
        }
    }

    /// Kafka's `onLoaded`: every loaded member gets a session from now; a group over `group.max.size`
    /// rebalances. With `partition`, only the groups of that `__consumer_offsets` partition (the one just
    /// loaded): the sessions of other partitions' members go on as they were.
    public mutating func finishLoading(partition: Int32? = nil, now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        for id in groups.keys.sorted() {
            guard var group = groups[id], partition == nil || group.partition == partition else { continue }
            for m in group.members { group.rescheduleHeartbeat(m.memberID, timeoutMs: m.sessionTimeoutMs, now: now, actions: &actions) }
            if group.memberCount > Int(config.maxGroupSize) && group.canRebalance {
                group.prepareRebalance(config: config, now: now, actions: &actions)
            }
            groups[id] = group
        }
        for id in consumerGroups.keys.sorted() {
            guard var group = consumerGroups[id], partition == nil || group.partition == partition else { continue }
            for m in group.sortedMembers {
                scheduleSession(m.memberID, in: &group, now: now, actions: &actions)
                if m.state == .unrevokedPartitions {
                    let deadline = now + Int64(max(m.rebalanceTimeoutMs, 0))
                    group.rebalanceDeadlines[m.memberID] = .init(deadline: deadline, epoch: m.memberEpoch)
                    actions.append(.scheduleTimeout(.consumerRebalance(groupID: id, memberID: m.memberID), deadline: deadline))
                }
            }
            consumerGroups[id] = group
        }
        return actions
    }

    /// Kafka's `onUnloaded`, for a partition this broker no longer leads: parked requests are answered
    /// NOT_COORDINATOR and the partition's groups and offsets are dropped, leaving nothing of it in memory.
    public mutating func unload(partition: Int32) -> [GroupAction] {
        var actions: [GroupAction] = []
        for id in groups.keys.sorted() {
            guard let group = groups[id], group.partition == partition else { continue }
            for m in group.members {
                if let v = m.awaitingJoinVersion {
                    let r = JoinGroupResponse.joinError(.notCoordinator, memberID: m.memberID).normalized(version: v)
                    actions.append(.respondJoin(groupID: id, memberID: m.memberID, r))
                }
                if m.isAwaitingSync {
                    actions.append(.respondSync(groupID: id, memberID: m.memberID, SyncGroupResponse(errorCode: ErrorCode.notCoordinator.rawValue)))
                }
            }
            groups[id] = nil
            offsets[id] = nil
        }
        for (id, group) in consumerGroups where group.partition == partition {
            consumerGroups[id] = nil
            offsets[id] = nil
        }
        // Offsets whose group record is gone (a group tombstone without offset tombstones) go too, so
        // a later load of the partition starts from nothing but its log.
        for id in offsets.keys where self.partition(for: id) == partition {
            offsets[id] = nil
        }
        let count = config.offsetsTopicPartitions
        transactionalOffsets.drop { CoordinatorPartitioner.partition(for: $0, partitionCount: count) == partition }
        return actions
    }
}

extension ClassicGroup {
    /// What a reload of this group's records yields, for comparing a live group with a reloaded one.
    ///
    /// Meaningful for Empty and Stable groups: a rebalancing group's latest record describes its previous
    /// generation. Members are listed with the metadata of the selected protocol only (a loaded member
    /// knows no other). The state timestamp counts only for an Empty group with a protocol type, where
    /// offset expiry uses it; Kafka persists a Stable group's assignment with the timestamp of the
    /// CompletingRebalance state it left.
    public struct Persisted: Hashable, Sendable {
        public var state: ClassicGroupState
        public var generationID: Int32
        public var protocolType: String?
        public var protocolName: String?
        public var leaderID: String?
        public var emptySince: Int64?
        public var members: [GroupMetadataValue.MemberMetadata]
    }

    public var persisted: Persisted {
        Persisted(
            state: state, generationID: generationID, protocolType: protocolType, protocolName: protocolName,
            leaderID: leaderID,
            emptySince: state == .empty && protocolType != nil ? currentStateTimestamp : nil,
            members: groupMetadataValue(assignments: Dictionary(uniqueKeysWithValues: members.map { ($0.memberID, $0.assignment) })).members)
    }
}

import KafkaMetadata
import KafkaProtocol
import KafkaReplication
import Logging

/// The replica manager's links to the rest of replication, set after construction.
struct ReplicationLinks: Sendable {
    var alterPartitions: AlterPartitionManager?
    var brokerEpoch: Int64 = -1
    /// The periodic ISR check (every `replica.lag.time.max.ms` / 2).
    var isrCheck: Task<Void, Never>?
}

extension ReplicaManager {
    /// What every partition this node opens reports to: fetch wake-ups and ISR proposals.
    var replicationHooks: ReplicationHooks {
        ReplicationHooks(
            highWatermarkAdvanced: { [appended] partition in appended.notify(partition) },
            propose: { [weak self] partition, proposal in self?.propose(partition, proposal) }
        )
    }

    /// Starts the leader side: ISR proposals go through `send` (to the active controller), and the ISR is
    /// checked for lagging followers every `replica.lag.time.max.ms` / 2 on the node's clock.
    func startReplication(send: @escaping AlterPartitionManager.Send) {
        let manager = AlterPartitionManager(
            nodeID: config.nodeID, brokerEpoch: { [weak self] in self?.brokerEpoch ?? -1 }, send: send,
            answer: { [weak self] tp, proposal, result in
                guard let self, let partition = self.replica(tp) else { return }
                partition.alterPartitionAnswered(proposal, result: result, now: self.clock.nowMs())
            },
            clock: clock, logger: logger)
        let interval = max(1, config.replicaLagTimeMaxMs / 2)
        let check = Task { [weak self, clock] in
            while !Task.isCancelled {
                do { try await clock.sleep(forMs: interval) } catch { return }
                guard let self else { return }
                // On the blocking-I/O executor: each check takes the partition's lock, which an append
                // holds across its file write. Skipped when the executor stops or the task is cancelled
                // (replication is stopping); `now` is read once the job runs, not before its wait.
                _ = try? await self.io.run {
                    let now = clock.nowMs()
                    for partition in self.allReplicas where partition.isLeader { partition.maybeShrinkIsr(now: now) }
                }
            }
        }
        replication.withLockedValue {
            $0.alterPartitions = manager
            $0.isrCheck = check
        }
    }

    /// Stops the fetchers and the ISR check (shutdown).
    func stopReplication() async {
        let check = replication.withLockedValue { links -> Task<Void, Never>? in
            defer { links.isrCheck = nil }
            return links.isrCheck
        }
        check?.cancel()
        await fetchers.shutdown()
    }

    private func propose(_ partition: Partition, _ proposal: AlterPartitionProposal) {
        guard let manager = replication.withLockedValue({ $0.alterPartitions }) else { return }
        let item = AlterPartitionManager.Item(topicPartition: partition.topicPartition, topicID: partition.topicID, proposal: proposal)
        Task { await manager.submit(item) }
    }

    /// What the image says of each broker, as a leader judges its followers.
    static func brokerStatuses(_ image: MetadataImage) -> [Int32: FollowerBrokerStatus] {
        image.brokers.mapValues { b in
            FollowerBrokerStatus(aliveBrokerEpoch: b.epoch, isFenced: b.fenced, isShuttingDown: b.inControlledShutdown)
        }
    }

    /// Leads or follows each partition of `topics` as the image says (Kafka's `applyDelta` of the
    /// replica manager): a partition led here gets (or updates) its leader state; one led elsewhere is
    /// fetched from its leader; one without a leader waits. Partitions whose registration did not change
    /// are left alone, so an ISR change in flight is not disturbed by a change to another partition.
    /// Returns the role changes it made, for the leadership listeners: every registration applied (an
    /// election or a resignation with its leader epoch) and every partition this node no longer holds.
    func applyRoles(_ topics: [TopicImage], removed: [TopicImage], image: MetadataImage, brokersChanged: Bool) -> [LeadershipChange] {
        let nodeID = config.nodeID
        let epoch = image.brokers[nodeID]?.epoch ?? -1
        let epochChanged = replication.withLockedValue { links -> Bool in
            defer { links.brokerEpoch = epoch }
            return links.brokerEpoch != epoch
        }
        let statuses = Self.brokerStatuses(image)
        let now = clock.nowMs()
        var changes: [LeadershipChange] = []
        for topic in removed {
            for index in topic.partitionIndexes {
                fetchers.unfollow(TopicPartition(topic.name, index))
                changes.append(.resigned(TopicPartition(topic.name, index), leaderEpoch: nil))
            }
        }
        var touched = Set<TopicPartition>()
        for topic in topics {
            for (index, registration) in topic.partitions {
                let tp = TopicPartition(topic.name, index)
                guard registration.replicas.contains(nodeID), let partition = replica(tp) else {
                    fetchers.unfollow(tp)
                    if registration.replicas.contains(nodeID) || replica(tp) != nil { changes.append(.resigned(tp, leaderEpoch: nil)) }
                    continue
                }
                guard partition.recordRegistration(registration) else { continue }
                touched.insert(tp)
                if registration.leader == nodeID {
                    fetchers.unfollow(tp)
                    partition.makeLeader(registration, localBrokerEpoch: epoch,
                                         brokerStatus: statuses.filter { registration.replicas.contains($0.key) },
                                         replicaLagTimeMaxMs: config.replicaLagTimeMaxMs, now: now)
                    let state = partition.leaderStateSnapshot
                    logger.debug("leading a partition", metadata: [
                        "kafka.partition": "\(tp)", "kafka.leader_epoch": "\(registration.leaderEpoch)",
                        "kafka.partition_epoch": "\(registration.partitionEpoch)", "kafka.isr": "\(registration.isr)",
                        "kafka.high_watermark": "\(partition.highWatermark)",
                        "log.end_offset": "\(state?.logEndOffset ?? -1)",
                        "kafka.followers": "\(state.map { s in s.followers.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.logEndOffset)\($0.value.isIsrEligible ? "" : " ineligible")" } } ?? [])",
                    ])
                    changes.append(.elected(tp, leaderEpoch: registration.leaderEpoch))
                } else {
                    partition.makeFollower(registration)
                    changes.append(.resigned(tp, leaderEpoch: registration.leaderEpoch))
                    if registration.leader >= 0 {
                        fetchers.follow(tp, leader: registration.leader,
                                        assignment: .init(topicID: topic.id, leaderEpoch: registration.leaderEpoch), image: image)
                    } else {
                        fetchers.unfollow(tp)
                    }
                }
            }
        }
        if brokersChanged || epochChanged {
            for partition in allReplicas where !touched.contains(partition.topicPartition) {
                partition.brokerStatusChanged(statuses, localBrokerEpoch: epoch, now: now)
            }
            fetchers.updateEndpoints(image: image)
        }
        // One line per applied change of roles (20,000 partitions must not mean 20,000 lines); each
        // partition's details are at debug level.
        let led = changes.filter { if case .elected = $0 { true } else { false } }
        if !changes.isEmpty {
            logger.info("applied partition leadership", metadata: [
                "kafka.leading": "\(led.count)", "kafka.following": "\(changes.count - led.count)",
                "kafka.partitions": "\(changes.prefix(8).map { "\($0.topicPartition)" })\(changes.count > 8 ? "..." : "")",
            ])
        }
        return changes
    }

    /// Adds a listener for this node's leadership changes (Kafka's coordinator `onElection` /
    /// `onResignation`); it first hears of every partition this node leads now. See ``LeadershipListeners``.
    func addLeadershipListener(_ listener: @escaping @Sendable ([LeadershipChange]) -> Void) {
        leadership.add(listener) {
            allReplicas.compactMap { p in p.leaderEpochIfLeading.map { .elected(p.topicPartition, leaderEpoch: $0) } }
        }
    }
}

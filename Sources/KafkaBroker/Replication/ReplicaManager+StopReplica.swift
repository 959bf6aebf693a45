import KafkaMetadata
import KafkaProtocol

/// Partitions a reassignment (KIP-455) takes off this node: Kafka's `stopReplica(delete = true)`.
extension ReplicaManager {
    /// For every partition of `topics` held here whose replica set no longer lists this node: it stops
    /// being served (removed from the partitions held, so requests for it see NOT_LEADER_OR_FOLLOWER),
    /// stops being fetched, drops any leader state (acks=all waiters are released), and its log is
    /// deleted. Called after `applyRoles`, which already stopped its fetches; a partition reassigned
    /// back later starts from an empty log and fetches everything again.
    func stopRemovedReplicas(_ topics: [TopicImage]) {
        let nodeID = config.nodeID
        var deleted = false
        defer { if deleted { logsDeleted() } }
        for topic in topics {
            for (index, registration) in topic.partitions where !registration.replicas.contains(nodeID) {
                let tp = TopicPartition(topic.name, index)
                guard let partition = takeReplica(tp) else { continue }
                fetchers.unfollow(tp)
                partition.stopReplica()
                deleteLog(of: partition)
                deleted = true
                logger.info("stopped a replica reassigned away from this node and deleted its log", metadata: [
                    "kafka.partition": "\(tp)", "kafka.replicas": "\(registration.replicas)",
                ])
            }
        }
    }
}

extension Partition {
    /// This node no longer holds the partition: any leader state goes, and acks=all waiters with it.
    func stopReplica() {
        let hw = lock.withLock { () -> Int64 in
            leaderState = nil
            return log.highWatermark
        }
        highWatermarkWaiters.leadershipChanged(to: nil, highWatermark: hw)
    }
}

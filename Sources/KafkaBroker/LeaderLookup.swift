import KafkaLog
import KafkaMetadata
import KafkaProtocol

extension ReplicaManager {
    /// The local replica of `tp` when this node leads it, else the error Kafka answers:
    /// UNKNOWN_TOPIC_OR_PARTITION (not in the image), NOT_LEADER_OR_FOLLOWER (led elsewhere, or no
    /// local log yet), KAFKA_STORAGE_ERROR (led here, but its log could not be opened), FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (the client's `currentLeaderEpoch`, when
    /// given, is older / newer than the leader's).
    func leader(of tp: TopicPartition, image: MetadataImage, nodeID: Int32, currentLeaderEpoch: Int32 = -1)
        -> Result<(replica: Partition, registration: PartitionRegistration), ErrorCode> {
        guard let registration = image.topic(named: tp.topic)?.partitions[tp.partition] else { return .failure(.unknownTopicOrPartition) }
        guard registration.leader == nodeID else { return .failure(.notLeaderOrFollower) }
        guard let replica = replica(tp) else {
            return .failure(offlineReason(tp) != nil ? .kafkaStorageError : .notLeaderOrFollower)
        }
        if currentLeaderEpoch >= 0 && currentLeaderEpoch < registration.leaderEpoch { return .failure(.fencedLeaderEpoch) }
        if currentLeaderEpoch > registration.leaderEpoch { return .failure(.unknownLeaderEpoch) }
        return .success((replica, registration))
    }

    /// The local replica of `tp` when this node is one of its replicas, leader or follower (Kafka's
    /// `localLogWithEpochOrThrow` without requiring the leader: for consumers' Fetch v11+, KIP-392), else
    /// UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER (not a replica here, or no local log yet),
    /// KAFKA_STORAGE_ERROR, or FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH when the client's
    /// `currentLeaderEpoch`, when given, is older / newer than the partition's.
    func localReplica(of tp: TopicPartition, image: MetadataImage, nodeID: Int32, currentLeaderEpoch: Int32 = -1)
        -> Result<Partition, ErrorCode> {
        guard let registration = image.topic(named: tp.topic)?.partitions[tp.partition] else { return .failure(.unknownTopicOrPartition) }
        guard registration.replicas.contains(nodeID) else { return .failure(.notLeaderOrFollower) }
        guard let replica = replica(tp) else {
            return .failure(offlineReason(tp) != nil ? .kafkaStorageError : .notLeaderOrFollower)
        }
        if currentLeaderEpoch >= 0 && currentLeaderEpoch < registration.leaderEpoch { return .failure(.fencedLeaderEpoch) }
        if currentLeaderEpoch > registration.leaderEpoch { return .failure(.unknownLeaderEpoch) }
        return .success(replica)
    }
}

extension Partition {
    /// Runs `body` on the log, mapping a failure to the Kafka error it stands for.
    func withLogResult<T>(_ body: (PartitionLog) throws -> T) -> Result<T, ErrorCode> {
        do {
            return .success(try withLog(body))
        } catch let error as LogError {
            return .failure(error.errorCode)
        } catch {
            return .failure(.unknownServerError)
        }
    }
}

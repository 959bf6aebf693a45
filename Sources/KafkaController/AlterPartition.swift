import KafkaMetadata
import KafkaProtocol

/// AlterPartition (v0-3): a partition leader asks the controller to change its ISR (and leader recovery
/// state), as Kafka's `ReplicationControlManager.alterPartition` decides it. Pure.
///
/// The whole request: STALE_BROKER_EPOCH when the sender is not registered with that broker epoch.
/// Per topic: UNKNOWN_TOPIC_ID (v2+, by id) or UNKNOWN_TOPIC_OR_PARTITION (v0-1, by name). Per
/// partition, checked in this order:
/// - UNKNOWN_TOPIC_OR_PARTITION: no such partition;
/// - NOT_CONTROLLER: a leader or partition epoch above the controller's (this controller is behind);
/// - FENCED_LEADER_EPOCH: a lower leader epoch;
/// - INVALID_REQUEST: the sender does not lead the partition (Kafka's answer, not NOT_LEADER_OR_FOLLOWER);
/// - INVALID_UPDATE_VERSION: a lower partition epoch;
/// - INVALID_REQUEST: an ISR with a non-replica or a duplicate, without the leader, with more than the
///   leader while RECOVERING, or a move from RECOVERED back to RECOVERING (or an unknown state);
/// - INELIGIBLE_REPLICA (v2+; OPERATION_NOT_ATTEMPTED before): an ISR member not registered, fenced, in
///   controlled shutdown, or (v3) registered with another broker epoch than given (-1 skips that check).
/// Otherwise the PartitionChangeBuilder's record (none when the ISR and state are already so) and the
/// partition as it then is: leader, leader epoch, ISR, recovery state and partition epoch. An ISR that
/// now holds every replica a reassignment adds completes it (see `PartitionChangeBuilder`). Should the
/// change elect another leader (the completed reassignment removed the sender), the answer is
/// NEW_LEADER_ELECTED (v2+; FENCED_LEADER_EPOCH before), with the change made.
public enum AlterPartition {
    public static func alter(_ request: AlterPartitionRequest, version: Int16, image: MetadataImage,
                             unclean: UncleanLeaderElection) -> ControllerResult<AlterPartitionResponse> {
        var response = AlterPartitionResponse()
        guard let sender = image.brokers[request.brokerID], sender.epoch == request.brokerEpoch else {
            response.errorCode = ErrorCode.staleBrokerEpoch.rawValue
            return ControllerResult(response: response)
        }
        var working = MetadataDelta(base: image)
        var records: [MetadataRecordAndVersion] = []
        for topicData in request.topics {
            var topicResult = AlterPartitionResponse.TopicData(topicName: topicData.topicName, topicID: topicData.topicID)
            let topic = version >= 2 ? working.current.topic(id: topicData.topicID) : working.current.topic(named: topicData.topicName)
            guard let topic else {
                let code: ErrorCode = version >= 2 ? .unknownTopicID : .unknownTopicOrPartition
                topicResult.partitions = topicData.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue) }
                response.topics.append(topicResult)
                continue
            }
            for data in topicData.partitions {
                let partition = working.current.topic(id: topic.id)?.partitions[data.partitionIndex]
                let newISR = version >= 3
                    ? data.newIsrWithEpochs
                    : data.newIsr.map { AlterPartitionRequest.TopicData.PartitionData.BrokerState(brokerID: $0, brokerEpoch: -1) }
                if let code = problem(data, newISR: newISR, partition: partition, sender: request.brokerID, version: version,
                                      image: working.current) {
                    topicResult.partitions.append(.init(partitionIndex: data.partitionIndex, errorCode: code.rawValue))
                    continue
                }
                var registration = partition!
                var builder = PartitionChangeBuilder(partition: registration, topicID: topic.id, partitionID: data.partitionIndex,
                                                     isAcceptableLeader: working.current.isAcceptableLeader)
                builder.election = unclean.onlineElection(topic: topic.name, image: working.current)
                builder.followELR(topic: topic.name, image: working.current, defaults: unclean)
                builder.targetISR = newISR.map(\.brokerID)
                builder.targetLeaderRecoveryState = data.leaderRecoveryState
                if let change = builder.build() {
                    try? working.replay(change)
                    records.append(MetadataRecordAndVersion(change, version: change.lowestVersion))
                    registration = registration.applying(change)
                    if change.leader != request.brokerID && change.leader != -2 {
                        let code: ErrorCode = version >= 2 ? .newLeaderElected : .fencedLeaderEpoch
                        topicResult.partitions.append(.init(partitionIndex: data.partitionIndex, errorCode: code.rawValue))
                        continue
                    }
                }
                topicResult.partitions.append(.init(
                    partitionIndex: data.partitionIndex, errorCode: 0, leaderID: registration.leader, leaderEpoch: registration.leaderEpoch,
                    isr: registration.isr, leaderRecoveryState: registration.leaderRecoveryState, partitionEpoch: registration.partitionEpoch))
            }
            response.topics.append(topicResult)
        }
        return ControllerResult(records: records, response: response)
    }

    /// Why one partition's change is refused, or nil.
    static func problem(_ data: AlterPartitionRequest.TopicData.PartitionData,
                        newISR: [AlterPartitionRequest.TopicData.PartitionData.BrokerState],
                        partition: PartitionRegistration?, sender: Int32, version: Int16, image: MetadataImage) -> ErrorCode? {
        guard let partition else { return .unknownTopicOrPartition }
        if data.leaderEpoch > partition.leaderEpoch || data.partitionEpoch > partition.partitionEpoch { return .notController }
        if data.leaderEpoch < partition.leaderEpoch { return .fencedLeaderEpoch }
        if sender != partition.leader { return .invalidRequest }
        if data.partitionEpoch < partition.partitionEpoch { return .invalidUpdateVersion }
        let ids = newISR.map(\.brokerID)
        guard Set(ids).count == ids.count, ids.allSatisfy(partition.replicas.contains), ids.contains(partition.leader) else {
            return .invalidRequest
        }
        switch data.leaderRecoveryState {
        case LeaderRecoveryState.recovered: break
        case LeaderRecoveryState.recovering:
            if ids.count > 1 || partition.leaderRecoveryState == LeaderRecoveryState.recovered { return .invalidRequest }
        default: return .invalidRequest
        }
        let ineligible = newISR.contains { state in
            guard let broker = image.brokers[state.brokerID] else { return true }
            return broker.inControlledShutdown || broker.fenced || (state.brokerEpoch != -1 && state.brokerEpoch != broker.epoch)
        }
        if ineligible { return version >= 2 ? .ineligibleReplica : .operationNotAttempted }
        return nil
    }
}

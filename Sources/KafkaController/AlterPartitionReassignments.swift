import KafkaMetadata
import KafkaProtocol

/// AlterPartitionReassignments (KIP-455; v1 KIP-860): moves partitions to new replica sets, or cancels
/// moves in progress, as Kafka's `ReplicationControlManager.alterPartitionReassignments` decides it. Pure.
///
/// Per partition, in request order:
/// - UNKNOWN_TOPIC_OR_PARTITION: no such topic or partition;
/// - replicas null (cancel): NO_REASSIGNMENT_IN_PROGRESS when none is; otherwise the partition goes back
///   to its original replicas (`ReassignmentRevert`), and INVALID_REPLICA_ASSIGNMENT when that needs an
///   unclean election the topic does not allow;
/// - replicas given: INVALID_REPLICA_ASSIGNMENT for an empty list, an unregistered broker or a broker
///   twice (`ManualAssignment`); INVALID_REPLICATION_FACTOR when the request does not allow the
///   replication factor to change (v1's AllowReplicationFactorChange false) and the target's size differs
///   from the replica set the partition has, or is moving to; otherwise the replica set becomes the target plus the replicas being
///   removed, with adding/removing replicas recorded (`ReassignmentReplicas`, measured against the current
///   replica set, which during a reassignment includes its adding and removing replicas). The
///   `PartitionChangeBuilder` completes the move at once when the ISR already allows it (a reorder, or
///   only removals of replicas whose ISR keeps a member that stays), else AlterPartition completes it
///   once every added replica joined the ISR.
/// Each partition sees the changes of those before it in the request. The error message is Kafka's, or
/// null when the error's own description says it all.
public enum AlterPartitionReassignments {
    public static func alter(_ request: AlterPartitionReassignmentsRequest, image: MetadataImage,
                             unclean: UncleanLeaderElection) -> ControllerResult<AlterPartitionReassignmentsResponse> {
        var response = AlterPartitionReassignmentsResponse(allowReplicationFactorChange: request.allowReplicationFactorChange)
        guard !request.topics.isEmpty else { return ControllerResult(response: response) }
        response.errorMessage = nil
        var working = MetadataDelta(base: image)
        var records: [MetadataRecordAndVersion] = []
        for topic in request.topics {
            var topicResponse = AlterPartitionReassignmentsResponse.ReassignableTopicResponse(name: topic.name)
            for target in topic.partitions {
                var answer = AlterPartitionReassignmentsResponse.ReassignableTopicResponse.ReassignablePartitionResponse(
                    partitionIndex: target.partitionIndex, errorCode: 0, errorMessage: nil)
                switch change(topic: topic.name, target: target, allowReplicationFactorChange: request.allowReplicationFactorChange,
                              image: working.current, unclean: unclean) {
                case let .success(record?):
                    try? working.replay(record)
                    records.append(MetadataRecordAndVersion(record, version: record.lowestVersion))
                case .success(nil):
                    break
                case let .failure(failure):
                    answer.errorCode = failure.code.rawValue
                    answer.errorMessage = failure.message
                }
                topicResponse.partitions.append(answer)
            }
            response.responses.append(topicResponse)
        }
        return ControllerResult(records: records, response: response)
    }

    public struct Failure: Error, Hashable, Sendable {
        public var code: ErrorCode
        public var message: String?
    }

    /// One partition's change: the record (nil when nothing changes) or why it is refused.
    static func change(topic name: String, target: AlterPartitionReassignmentsRequest.ReassignableTopic.ReassignablePartition,
                       allowReplicationFactorChange: Bool, image: MetadataImage,
                       unclean: UncleanLeaderElection) -> Result<PartitionChangeRecord?, Failure> {
        guard let topic = image.topic(named: name) else {
            return .failure(Failure(code: .unknownTopicOrPartition, message: "Unable to find a topic named \(name)."))
        }
        guard let partition = topic.partitions[target.partitionIndex] else {
            return .failure(Failure(code: .unknownTopicOrPartition, message: "Unable to find partition \(name):\(target.partitionIndex)."))
        }
        var builder = PartitionChangeBuilder(partition: partition, topicID: topic.id, partitionID: target.partitionIndex,
                                             isAcceptableLeader: image.isAcceptableLeader)
        builder.followELR(topic: name, image: image, defaults: unclean)
        guard let replicas = target.replicas else {
            guard ReassignmentReplicas(partition).isInProgress else {
                return .failure(Failure(code: .noReassignmentInProgress, message: nil))
            }
            let uncleanAllowed = unclean.isEnabled(topic: name, image: image)
            guard let revert = ReassignmentRevert(partition) else {
                return .failure(Failure(code: .invalidReplicaAssignment, message: "Invalid replica assignment: addingReplicas contains all replicas."))
            }
            if revert.unclean && !uncleanAllowed {
                return .failure(Failure(code: .invalidReplicaAssignment,
                                        message: "Unable to revert partition assignment for \(name):\(target.partitionIndex) because it would require an unclean leader election."))
            }
            if uncleanAllowed { builder.election = .unclean }
            builder.targetISR = revert.isr
            builder.targetReplicas = revert.replicas
            builder.targetRemoving = []
            builder.targetAdding = []
            return .success(builder.build())
        }
        if let problem = ManualAssignment.problem(replicas, replicationFactor: nil, image: image) {
            return .failure(Failure(code: problem.code, message: problem.message))
        }
        if !allowReplicationFactorChange {
            // The replica set the partition has, or is moving to: a move in progress counts its target.
            let current = ReassignmentReplicas(partition).isInProgress
                ? Set(partition.replicas).union(partition.addingReplicas).subtracting(partition.removingReplicas).count
                : partition.replicas.count
            if current != replicas.count {
                return .failure(Failure(code: .invalidReplicationFactor,
                                        message: "The replication factor is changed from \(current) to \(replicas.count)"))
            }
        }
        let reassignment = ReassignmentReplicas(current: partition.replicas, target: replicas)
        builder.targetReplicas = reassignment.replicas
        // As Kafka: empty adding or removing lists leave those of a reassignment in progress as they are.
        if !reassignment.removing.isEmpty { builder.targetRemoving = reassignment.removing }
        if !reassignment.adding.isEmpty { builder.targetAdding = reassignment.adding }
        return .success(builder.build())
    }
}

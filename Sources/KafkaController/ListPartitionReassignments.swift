import KafkaMetadata
import KafkaProtocol

/// ListPartitionReassignments (v0, KIP-455): the reassignments in progress, as Kafka's
/// `ReplicationControlManager.listPartitionReassignments` reports them. Pure.
///
/// Null topics: every partition with adding or removing replicas, by topic name then partition. Named
/// topics: those of the partitions named that are reassigning; unknown topics and partitions, and
/// partitions not reassigning, are left out without an error. A topic with nothing to report is left
/// out. Each partition gives its replica set (target and removing replicas), adding and removing replicas.
public enum ListPartitionReassignments {
    public static func list(_ request: ListPartitionReassignmentsRequest, image: MetadataImage) -> ListPartitionReassignmentsResponse {
        var response = ListPartitionReassignmentsResponse()
        if let topics = request.topics, topics.isEmpty { return response }
        response.errorMessage = nil
        let wanted: [(String, [Int32]?)] = request.topics.map { $0.map { ($0.name, $0.partitionIndexes) } }
            ?? image.topicNames.map { ($0, nil) }
        for (name, indexes) in wanted {
            guard let topic = image.topic(named: name) else { continue }
            var ongoing = ListPartitionReassignmentsResponse.OngoingTopicReassignment(name: name)
            for index in indexes ?? topic.partitionIndexes {
                guard let p = topic.partitions[index], ReassignmentReplicas(p).isInProgress else { continue }
                ongoing.partitions.append(.init(partitionIndex: index, replicas: p.replicas, addingReplicas: p.addingReplicas,
                                                removingReplicas: p.removingReplicas))
            }
            if !ongoing.partitions.isEmpty { response.topics.append(ongoing) }
        }
        return response
    }
}

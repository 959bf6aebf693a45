import KafkaProtocol

/// ConsumerGroupDescribe (Kafka's `ConsumerGroup.asDescribedGroup`): the group's state and epochs, the
/// assignor it uses, and each member with its subscription, current and target assignment. Topic
/// names come from the metadata image; partitions of a topic that no longer exists are left out.
extension GroupCoordinator {
    public func describeConsumerGroups(_ request: ConsumerGroupDescribeRequest, topics: TopicsImage) -> ConsumerGroupDescribeResponse {
        ConsumerGroupDescribeResponse(groups: request.groupIDs.map { id in
            if id.isEmpty {
                return .init(errorCode: ErrorCode.invalidGroupID.rawValue, errorMessage: "Group id can't be empty.", groupID: id)
            }
            guard let group = consumerGroups[id] else {
                let message = groups[id] != nil ? "Group \(id) is not a consumer group." : "Group \(id) not found."
                return .init(errorCode: ErrorCode.groupIDNotFound.rawValue, errorMessage: message, groupID: id)
            }
            return group.described(topics: topics, defaultAssignor: ConsumerGroupAssignors.defaultName)
        })
    }
}

extension ConsumerGroup {
    /// ConsumerGroupDescribe v1's MemberType of a member that speaks the consumer protocol (-1 unknown,
    /// 0 classic): every member of these groups, as this broker does no online migration.
    static let consumerMemberType: Int8 = 1

    func described(topics: TopicsImage, defaultAssignor: String) -> ConsumerGroupDescribeResponse.DescribedGroup {
        func assignment(_ a: PartitionAssignment) -> ConsumerGroupDescribeResponse.Assignment {
            .init(topicPartitions: a.sortedTopicIDs.compactMap { id in
                guard let t = topics.byID[id] else { return nil }
                return .init(topicID: id, topicName: t.name, partitions: a[id]!.sorted())
            })
        }
        return .init(
            groupID: groupID, groupState: state.rawValue, groupEpoch: groupEpoch, assignmentEpoch: assignmentEpoch,
            assignorName: preferredAssignor(default: defaultAssignor),
            members: sortedMembers.map { m in
                .init(memberID: m.memberID, instanceID: m.instanceID, rackID: m.rackID, memberEpoch: m.memberEpoch,
                      clientID: m.clientID, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames,
                      subscribedTopicRegex: m.subscribedTopicRegex, assignment: assignment(m.assignedPartitions),
                      targetAssignment: assignment(targetAssignment[m.memberID] ?? [:]), memberType: Self.consumerMemberType)
            })
    }
}

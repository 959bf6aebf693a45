import KafkaProtocol

/// ListGroups, DescribeGroups and DeleteGroups.
extension GroupCoordinator {
    /// ListGroups over this coordinator's groups, by group id. `StatesFilter` (v4+) matches states
    /// case-insensitively; `TypesFilter` (v5+) matches "classic" or "consumer". Empty filters match all.
    public func listGroups(_ request: ListGroupsRequest, version: Int16) -> ListGroupsResponse {
        let states = version >= 4 ? Set(request.statesFilter.map { $0.trimmingWhitespace.lowercased() }) : []
        let types = version >= 5 ? Set(request.typesFilter.map { $0.trimmingWhitespace.lowercased() }) : []
        let listed = Set(groups.keys).union(consumerGroups.keys).sorted().compactMap { id -> ListGroupsResponse.ListedGroup? in
            let (entry, state) = groups[id].map { ($0.listedGroup, $0.state.lowerCased) }
                ?? consumerGroups[id].map { ($0.listedGroup, $0.state.rawValue.lowercased()) }!
            guard states.isEmpty || states.contains(state), types.isEmpty || types.contains(entry.groupType) else { return nil }
            return entry
        }
        return ListGroupsResponse(groups: listed)
    }

    /// DescribeGroups describes classic groups only. Any other id (unknown, or a consumer (KIP-848)
    /// group, which ConsumerGroupDescribe describes) is Dead: with no error up to v5, as Kafka 3.9
    /// answers; from v6 (KIP-1043) with GROUP_ID_NOT_FOUND and Kafka 4.x's message saying which.
    public func describeGroups(_ request: DescribeGroupsRequest, version: Int16) -> DescribeGroupsResponse {
        DescribeGroupsResponse(groups: request.groups.map { id in
            if let group = groups[id] { return group.describedGroup }
            var dead = DescribeGroupsResponse.DescribedGroup(groupID: id, groupState: ClassicGroupState.dead.rawValue)
            if version >= 6 {
                dead.errorCode = ErrorCode.groupIDNotFound.rawValue
                dead.errorMessage = consumerGroups[id] == nil ? "Group \(id) not found." : "Group \(id) is not a classic group."
            }
            return dead
        })
    }

    /// DeleteGroups (classic and consumer groups alike): only Empty groups go (else NON_EMPTY_GROUP; unknown: GROUP_ID_NOT_FOUND). A deleted
    /// group's offsets are tombstoned, then its metadata, in one batch per partition.
    public mutating func deleteGroups(_ request: DeleteGroupsRequest) -> GroupOutcome<DeleteGroupsResponse> {
        var results: [DeleteGroupsResponse.DeletableGroupResult] = []
        var byPartition: [Int32: [CoordinatorRecord]] = [:]
        var order: [Int32] = []
        for id in request.groupsNames {
            if let consumer = consumerGroups[id] {
                if let error = consumer.validateDeleteGroup() {
                    results.append(.init(groupID: id, errorCode: error.rawValue))
                    continue
                }
                let records = (offsets[id] ?? OffsetStore()).tombstones(groupID: id) + consumer.groupTombstones()
                var c = consumer
                apply(records, to: &c)
                consumerGroups[id] = nil
                if byPartition[consumer.partition] == nil { order.append(consumer.partition) }
                byPartition[consumer.partition, default: []] += records
                results.append(.init(groupID: id, errorCode: 0))
                continue
            }
            guard let group = groups[id] else {
                results.append(.init(groupID: id, errorCode: ErrorCode.groupIDNotFound.rawValue))
                continue
            }
            if let error = group.validateDeleteGroup() {
                results.append(.init(groupID: id, errorCode: error.rawValue))
                continue
            }
            let records = (offsets[id] ?? OffsetStore()).tombstones(groupID: id) + [.groupMetadata(group: id, nil)]
            apply(records)
            if byPartition[group.partition] == nil { order.append(group.partition) }
            byPartition[group.partition, default: []] += records
            results.append(.init(groupID: id, errorCode: 0))
        }
        return GroupOutcome(DeleteGroupsResponse(results: results), actions: order.map { .append(partition: $0, byPartition[$0]!) })
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}

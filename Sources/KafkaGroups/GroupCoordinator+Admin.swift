import KafkaProtocol

/// ListGroups, DescribeGroups and DeleteGroups.
extension GroupCoordinator {
    /// ListGroups over this coordinator's groups, by group id. `StatesFilter` (v4+) matches states
    /// case-insensitively; `TypesFilter` (v5+) matches "classic", the only type here. Empty filters match all.
    public func listGroups(_ request: ListGroupsRequest, version: Int16) -> ListGroupsResponse {
        let states = version >= 4 ? Set(request.statesFilter.map { $0.trimmingWhitespace.lowercased() }) : []
        let types = version >= 5 ? Set(request.typesFilter.map { $0.trimmingWhitespace.lowercased() }) : []
        let listed = groups.keys.sorted().compactMap { id -> ListGroupsResponse.ListedGroup? in
            let g = groups[id]!
            guard states.isEmpty || states.contains(g.state.lowerCased), types.isEmpty || types.contains("classic") else { return nil }
            return g.listedGroup
        }
        return ListGroupsResponse(groups: listed)
    }

    /// DescribeGroups: an unknown group is described as Dead with no error (up to v5).
    public func describeGroups(_ request: DescribeGroupsRequest) -> DescribeGroupsResponse {
        DescribeGroupsResponse(groups: request.groups.map { id in
            groups[id]?.describedGroup ?? .init(groupID: id, groupState: ClassicGroupState.dead.rawValue)
        })
    }

    /// DeleteGroups: only Empty groups go (else NON_EMPTY_GROUP; unknown: GROUP_ID_NOT_FOUND). A deleted
    /// group's offsets are tombstoned, then its metadata, in one batch per partition.
    public mutating func deleteGroups(_ request: DeleteGroupsRequest) -> GroupOutcome<DeleteGroupsResponse> {
        var results: [DeleteGroupsResponse.DeletableGroupResult] = []
        var byPartition: [Int32: [CoordinatorRecord]] = [:]
        var order: [Int32] = []
        for id in request.groupsNames {
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

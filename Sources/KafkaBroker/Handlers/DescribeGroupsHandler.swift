import KafkaGroups
import KafkaProtocol

/// DescribeGroups: each classic group's state, protocol and members, from
/// `GroupCoordinatorService`; with the authorized operations (v3+) when asked. A group the principal
/// may not DESCRIBE is GROUP_AUTHORIZATION_FAILED, in its place in the answer. Any other id is Dead,
/// from v6 (Kafka 4.0, KIP-1043) with GROUP_ID_NOT_FOUND and a message (`GroupCoordinator.describeGroups`).
struct DescribeGroupsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...6

    let groups: GroupCoordinatorService
    func handle(_ request: DescribeGroupsRequest, context: RequestContext) async -> DescribeGroupsResponse? {
        let allowed = context.authorizedNames(.describe, .group, request.groups)
        var mine = request
        mine.groups = request.groups.filter(allowed.contains)
        var response = mine.groups.isEmpty ? DescribeGroupsResponse() : await groups.describeGroups(mine, version: context.apiVersion)
        if context.apiVersion >= 3 && request.includeAuthorizedOperations {
            for i in response.groups.indices where response.groups[i].errorCode == 0 {
                response.groups[i].authorizedOperations = context.authorizedOperations(.group, response.groups[i].groupID)
            }
        }
        if allowed.count < Set(request.groups).count {
            var described = response.groups.makeIterator()
            response.groups = request.groups.map { id in
                allowed.contains(id) ? (described.next() ?? .init(errorCode: ErrorCode.unknownServerError.rawValue, groupID: id))
                    : .init(errorCode: ErrorCode.groupAuthorizationFailed.rawValue, groupID: id)
            }
        }
        return response
    }
}

import KafkaGroups
import KafkaProtocol

/// DescribeGroups: each classic group's state, protocol and members, from
/// `GroupCoordinatorService`; with the authorized operations (v3+) when asked.
struct DescribeGroupsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let groups: GroupCoordinatorService
    func handle(_ request: DescribeGroupsRequest, context: RequestContext) async -> DescribeGroupsResponse? {
        var response = await groups.describeGroups(request)
        if context.apiVersion >= 3 && request.includeAuthorizedOperations {
            for i in response.groups.indices where response.groups[i].errorCode == 0 {
                response.groups[i].authorizedOperations = AuthorizedOperations.group
            }
        }
        return response
    }
}

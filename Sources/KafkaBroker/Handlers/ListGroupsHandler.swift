import KafkaGroups
import KafkaProtocol

/// ListGroups: the groups this node coordinates, filtered by state (v4+) and type (v5+). Forwarded to
/// `GroupCoordinatorService`. With DESCRIBE on the cluster every group is listed, else only those the
/// principal may DESCRIBE (the others silently left out, as in Kafka).
struct ListGroupsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let groups: GroupCoordinatorService
    func handle(_ request: ListGroupsRequest, context: RequestContext) async -> ListGroupsResponse? {
        var response = await groups.listGroups(request, version: context.apiVersion)
        if context.authorizer != nil && !context.authorizeCluster(.describe, logIfDenied: false) {
            response.groups.removeAll { !context.authorize(.describe, .group, $0.groupID, logIfDenied: false) }
        }
        return response
    }
}

import KafkaGroups
import KafkaProtocol

/// ListGroups: the groups this node coordinates, filtered by state (v4+) and type (v5+). Forwarded to
/// `GroupCoordinatorService`.
struct ListGroupsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let groups: GroupCoordinatorService
    func handle(_ request: ListGroupsRequest, context: RequestContext) async -> ListGroupsResponse? {
        await groups.listGroups(request, version: context.apiVersion)
    }
}

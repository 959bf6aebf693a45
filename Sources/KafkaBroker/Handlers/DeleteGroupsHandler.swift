import KafkaGroups
import KafkaProtocol

/// DeleteGroups: removes empty groups and their offsets. Forwarded to `GroupCoordinatorService`.
struct DeleteGroupsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

    let groups: GroupCoordinatorService
    func handle(_ request: DeleteGroupsRequest, context: RequestContext) async -> DeleteGroupsResponse? {
        await groups.deleteGroups(request)
    }
}

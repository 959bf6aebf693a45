import KafkaGroups
import KafkaProtocol

/// DeleteGroups: removes empty groups and their offsets. Forwarded to `GroupCoordinatorService`. A
/// group the principal may not DELETE is GROUP_AUTHORIZATION_FAILED.
struct DeleteGroupsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

    let groups: GroupCoordinatorService
    func handle(_ request: DeleteGroupsRequest, context: RequestContext) async -> DeleteGroupsResponse? {
        let allowed = context.authorizedNames(.delete, .group, request.groupsNames)
        var mine = request
        mine.groupsNames = request.groupsNames.filter(allowed.contains)
        var response = mine.groupsNames.isEmpty ? DeleteGroupsResponse() : await groups.deleteGroups(mine)
        for id in Set(request.groupsNames).subtracting(allowed).sorted() {
            response.results.append(.init(groupID: id, errorCode: ErrorCode.groupAuthorizationFailed.rawValue))
        }
        return response
    }
}

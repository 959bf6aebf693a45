import KafkaGroups
import KafkaProtocol

/// LeaveGroup: one member (v0-2) or several (v3+, by member or instance id) leave a classic group.
/// Forwarded to `GroupCoordinatorService`. Needs READ on the group.
struct LeaveGroupHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let groups: GroupCoordinatorService
    func handle(_ request: LeaveGroupRequest, context: RequestContext) async -> LeaveGroupResponse? {
        guard context.authorize(.read, .group, request.groupID) else {
            return LeaveGroupResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        return await groups.leave(request, version: context.apiVersion)
    }
}

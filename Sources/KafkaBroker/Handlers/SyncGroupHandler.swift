import KafkaGroups
import KafkaProtocol

/// SyncGroup: the leader hands out the assignments and every member receives its own. Forwarded to
/// `GroupCoordinatorService`; over-long strings are INVALID_REQUEST (`GroupRequestLimits`). Needs READ on
/// the group.
struct SyncGroupHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let groups: GroupCoordinatorService
    func handle(_ request: SyncGroupRequest, context: RequestContext) async -> SyncGroupResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return SyncGroupResponse(errorCode: ErrorCode.invalidRequest.rawValue).logged(problem, context: context)
        }
        guard context.authorize(.read, .group, request.groupID) else {
            return SyncGroupResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        return await context.parked { await groups.sync(request, context: context.groupContext) }
    }
}

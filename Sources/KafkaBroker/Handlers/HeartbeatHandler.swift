import KafkaGroups
import KafkaProtocol

/// Heartbeat: keeps a classic group member alive and tells it when to rejoin. Forwarded to
/// `GroupCoordinatorService`. Needs READ on the group.
struct HeartbeatHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...4

    let groups: GroupCoordinatorService
    func handle(_ request: HeartbeatRequest, context: RequestContext) async -> HeartbeatResponse? {
        guard context.authorize(.read, .group, request.groupID) else {
            return HeartbeatResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        return await groups.heartbeat(request)
    }
}

import KafkaGroups
import KafkaProtocol

/// JoinGroup: a member joins a classic group (static membership from v5) and, once the
/// group rebalances, learns the generation, the protocol and (as leader) the members. Forwarded to
/// `GroupCoordinatorService`, which owns the rules (see `KafkaGroups`); over-long strings are INVALID_REQUEST
/// (`GroupRequestLimits`). Needs READ on the group. Every group is coordinated by this node (see FindCoordinator).
struct JoinGroupHandler: RequestHandler {
    /// v0 stays: librdkafka detects broker features by it.
    static let versions: ClosedRange<Int16> = 0...9

    let groups: GroupCoordinatorService
    func handle(_ request: JoinGroupRequest, context: RequestContext) async -> JoinGroupResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return JoinGroupResponse(errorCode: ErrorCode.invalidRequest.rawValue, memberID: "")
                .logged(problem, context: context)
        }
        guard context.authorize(.read, .group, request.groupID) else {
            var response = JoinGroupResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue, memberID: "")
            response.protocolName = context.apiVersion < 7 ? "" : nil
            return response
        }
        return await context.parked { await groups.join(request, context: context.groupContext) }
    }
}

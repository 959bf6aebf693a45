import KafkaGroups
import KafkaProtocol

/// Heartbeat: keeps a classic group member alive and tells it when to rejoin. Forwarded to
/// `GroupCoordinatorService`.
struct HeartbeatHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...4

    let groups: GroupCoordinatorService
    func handle(_ request: HeartbeatRequest, context: RequestContext) async -> HeartbeatResponse? {
        await groups.heartbeat(request)
    }
}

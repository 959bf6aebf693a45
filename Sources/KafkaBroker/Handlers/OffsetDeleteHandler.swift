import KafkaGroups
import KafkaProtocol

/// OffsetDelete: removes a group's committed offsets for some partitions; GROUP_SUBSCRIBED_TO_TOPIC for a
/// topic the group's members still consume. Forwarded to `GroupCoordinatorService`.
struct OffsetDeleteHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let groups: GroupCoordinatorService
    func handle(_ request: OffsetDeleteRequest, context: RequestContext) async -> OffsetDeleteResponse? {
        await groups.deleteOffsets(request)
    }
}

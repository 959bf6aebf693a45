import KafkaGroups
import KafkaProtocol

/// OffsetFetch: a group's committed offsets, for the partitions asked or all of them. Forwarded to
/// `GroupCoordinatorService`.
struct OffsetFetchHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 1...9

    let groups: GroupCoordinatorService
    func handle(_ request: OffsetFetchRequest, context: RequestContext) async -> OffsetFetchResponse? {
        await groups.fetch(request, version: context.apiVersion)
    }
}

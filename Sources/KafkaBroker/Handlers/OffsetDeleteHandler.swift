import KafkaGroups
import KafkaProtocol

/// OffsetDelete: removes a group's committed offsets for some partitions; GROUP_SUBSCRIBED_TO_TOPIC for a
/// topic the group's members still consume. Forwarded to `GroupCoordinatorService`. Needs DELETE on the
/// group (else GROUP_AUTHORIZATION_FAILED) and READ on each topic (else TOPIC_AUTHORIZATION_FAILED).
struct OffsetDeleteHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let groups: GroupCoordinatorService
    func handle(_ request: OffsetDeleteRequest, context: RequestContext) async -> OffsetDeleteResponse? {
        guard context.authorize(.delete, .group, request.groupID) else {
            return OffsetDeleteResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        let readable = context.authorizedNames(.read, .topic, request.topics.map(\.name))
        var mine = request
        mine.topics = request.topics.filter { readable.contains($0.name) }
        var response = mine.topics.isEmpty ? OffsetDeleteResponse() : await groups.deleteOffsets(mine)
        for topic in request.topics where !readable.contains(topic.name) {
            response.topics.append(.init(name: topic.name, partitions: topic.partitions.map {
                .init(partitionIndex: $0.partitionIndex, errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
            }))
        }
        return response
    }
}

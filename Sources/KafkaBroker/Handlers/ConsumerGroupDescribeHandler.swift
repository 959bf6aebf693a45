import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// ConsumerGroupDescribe (KIP-848): each consumer group's epochs, assignor and members, from
/// `GroupCoordinatorService` with the topics of the current metadata image. A group the principal may
/// not DESCRIBE is GROUP_AUTHORIZATION_FAILED.
struct ConsumerGroupDescribeHandler: RequestHandler {
    /// v1 (Kafka 4.0) adds each member's type, set by the group: always consumer protocol, as this broker
    /// does no online migration.
    static let versions: ClosedRange<Int16> = 0...1

    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: ConsumerGroupDescribeRequest, context: RequestContext) async -> ConsumerGroupDescribeResponse? {
        let allowed = context.authorizedNames(.describe, .group, request.groupIDs)
        var mine = request
        mine.groupIDs = request.groupIDs.filter(allowed.contains)
        var response = mine.groupIDs.isEmpty ? ConsumerGroupDescribeResponse()
            : await groups.describeConsumerGroups(mine, topics: TopicsImage(metadata.image))
        if request.includeAuthorizedOperations {
            for i in response.groups.indices where response.groups[i].errorCode == 0 {
                response.groups[i].authorizedOperations = context.authorizedOperations(.group, response.groups[i].groupID)
            }
        }
        for id in Set(request.groupIDs).subtracting(allowed).sorted() {
            response.groups.append(.init(errorCode: ErrorCode.groupAuthorizationFailed.rawValue,
                                         errorMessage: AuthorizationFailure.message(for: .group), groupID: id))
        }
        return response
    }
}

import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// ConsumerGroupDescribe (KIP-848): each consumer group's epochs, assignor and members, from
/// `GroupCoordinatorService` with the topics of the current metadata image.
struct ConsumerGroupDescribeHandler: RequestHandler {
    /// v1 (Kafka 4.0) adds each member's type, set by the group: always consumer protocol, as this broker
    /// does no online migration.
    static let versions: ClosedRange<Int16> = 0...1

    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: ConsumerGroupDescribeRequest, context: RequestContext) async -> ConsumerGroupDescribeResponse? {
        var response = await groups.describeConsumerGroups(request, topics: TopicsImage(metadata.image))
        if request.includeAuthorizedOperations {
            for i in response.groups.indices where response.groups[i].errorCode == 0 {
                response.groups[i].authorizedOperations = AuthorizedOperations.group
            }
        }
        return response
    }
}

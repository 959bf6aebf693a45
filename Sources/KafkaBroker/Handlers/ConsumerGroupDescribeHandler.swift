import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// ConsumerGroupDescribe (KIP-848): each consumer group's epochs, assignor and members, from
/// `GroupCoordinatorService` with the topics of the current metadata image.
struct ConsumerGroupDescribeHandler: RequestHandler {
    /// v1 (Kafka 4.0) adds each member's type: always 1, consumer protocol, as this broker does no online
    /// migration.
    static let versions: ClosedRange<Int16> = 0...1

    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: ConsumerGroupDescribeRequestV1, context: RequestContext) async -> ConsumerGroupDescribeResponseV1? {
        var response = await groups.describeConsumerGroups(request.body, topics: TopicsImage(metadata.image))
        if request.body.includeAuthorizedOperations {
            for i in response.groups.indices where response.groups[i].errorCode == 0 {
                response.groups[i].authorizedOperations = AuthorizedOperations.group
            }
        }
        var v1 = ConsumerGroupDescribeResponseV1(response)
        v1.memberTypes = response.groups.map { g in g.members.map { _ in 1 } }
        return v1
    }
}

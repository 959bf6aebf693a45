import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// The consumer (KIP-848) group APIs, forwarded to `GroupCoordinatorService` with the topics of the
/// current metadata image: ConsumerGroupHeartbeat 0-1 (v1, Kafka 4.0's: regex subscriptions and
/// client-minted member ids, which librdkafka 2.16 requires) and ConsumerGroupDescribe 0-1 (v1 adds
/// each member's type: always 1, consumer protocol, as this broker does no online migration).
struct ConsumerGroupHeartbeatHandler: RequestHandler {
    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: ConsumerGroupHeartbeatRequestV1, context: RequestContext) async -> ConsumerGroupHeartbeatResponseV1? {
        if let problem = GroupRequestLimits.problem(request) {
            return ConsumerGroupHeartbeatResponseV1(ConsumerGroupHeartbeatResponse(
                errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: problem)).logged(problem, context: context)
        }
        let response = await groups.consumerGroupHeartbeat(
            request, version: context.apiVersion, context: context.groupContext, topics: TopicsImage(metadata.image))
        return ConsumerGroupHeartbeatResponseV1(response)
    }
}

struct ConsumerGroupDescribeHandler: RequestHandler {
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

extension TopicsImage {
    /// The topics of a metadata image: name, id, partition count.
    init(_ image: MetadataImage) {
        self.init(image.topicsByID.values.map { .init(id: $0.id, name: $0.name, partitionCount: Int32($0.partitions.count)) })
    }
}

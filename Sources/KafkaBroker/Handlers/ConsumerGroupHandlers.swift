import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// The consumer (KIP-848) group APIs, forwarded to `GroupCoordinatorService` with the topics of the
/// current metadata image: ConsumerGroupHeartbeat 0-1 (v1, Kafka 4.0's: regex subscriptions and
/// client-minted member ids, which librdkafka 2.16 requires) and ConsumerGroupDescribe 0-1 (v1 adds
/// each member's type, set by the group: always consumer protocol).
struct ConsumerGroupHeartbeatHandler: RequestHandler {
    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: ConsumerGroupHeartbeatRequest, context: RequestContext) async -> ConsumerGroupHeartbeatResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return ConsumerGroupHeartbeatResponse(
                errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: problem).logged(problem, context: context)
        }
        return await groups.consumerGroupHeartbeat(
            request, version: context.apiVersion, context: context.groupContext, topics: TopicsImage(metadata.image))
    }
}

struct ConsumerGroupDescribeHandler: RequestHandler {
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

extension TopicsImage {
    /// The topics of a metadata image: name, id, partition count.
    init(_ image: MetadataImage) {
        self.init(image.topicsByID.values.map { .init(id: $0.id, name: $0.name, partitionCount: Int32($0.partitions.count)) })
    }
}

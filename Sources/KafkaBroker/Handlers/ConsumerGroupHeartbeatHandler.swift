import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// ConsumerGroupHeartbeat (KIP-848): a consumer group member joins, heartbeats, subscribes and leaves; the
/// answer carries its assignment. Forwarded to `GroupCoordinatorService` with the topics of the current
/// metadata image; over-long strings are INVALID_REQUEST (`GroupRequestLimits`). Needs READ on the group
/// (else GROUP_AUTHORIZATION_FAILED) and DESCRIBE on every subscribed topic name (else
/// TOPIC_AUTHORIZATION_FAILED), as Kafka 4.0 checks.
struct ConsumerGroupHeartbeatHandler: RequestHandler {
    /// v1 is Kafka 4.0's (regex subscriptions, client-minted member ids): librdkafka 2.16 sends nothing older.
    static let versions: ClosedRange<Int16> = 0...1

    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: ConsumerGroupHeartbeatRequest, context: RequestContext) async -> ConsumerGroupHeartbeatResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return ConsumerGroupHeartbeatResponse(
                errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: problem).logged(problem, context: context)
        }
        guard context.authorize(.read, .group, request.groupID) else {
            return ConsumerGroupHeartbeatResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        if let names = request.subscribedTopicNames, !names.isEmpty,
           context.authorizedNames(.describe, .topic, names).count < Set(names).count {
            return ConsumerGroupHeartbeatResponse(errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
        }
        return await groups.consumerGroupHeartbeat(
            request, version: context.apiVersion, context: context.groupContext, topics: TopicsImage(metadata.image))
    }
}

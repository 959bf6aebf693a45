import KafkaGroups
import KafkaMetadata
import KafkaController
import KafkaProtocol
import KafkaSecurity

/// FindCoordinator: the node that coordinates a group (key type 0) or a transactional id (key type 1),
/// one key (v0-3) or many (v4+).
///
/// A group's coordinator is the current leader of its `__consumer_offsets` partition, a transactional
/// id's the leader of its `__transaction_state` partition (Kafka's placement: the key's hash modulo the
/// partition count), which loads the partition when it is elected; while that partition has no live
/// leader the answer is COORDINATOR_NOT_AVAILABLE, which clients retry. So is it while the topic does
/// not exist, and, as Kafka's FindCoordinator does, the request then asks for the topic to be created
/// (`InternalTopicCreator`: it needs `offsets.topic.replication.factor`, or
/// `transaction.state.log.replication.factor`, live brokers). Other key types, and empty keys, are
/// INVALID_REQUEST. A group needs DESCRIBE on it (else GROUP_AUTHORIZATION_FAILED), a transactional id
/// DESCRIBE on it (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED), checked first, as in Kafka.
struct FindCoordinatorHandler: RequestHandler {
    /// v0 stays: librdkafka enables LZ4 only when FindCoordinator v0 is served.
    static let versions: ClosedRange<Int16> = 0...6

    let metadata: MetadataService
    let offsetsTopic: InternalTopicCreator
    let transactionTopic: InternalTopicCreator

    func handle(_ request: FindCoordinatorRequest, context: RequestContext) async -> FindCoordinatorResponse? {
        let image = metadata.image
        let creator = request.keyType == 1 ? transactionTopic : offsetsTopic
        let internalTopic = image.topic(named: creator.topic)
        func coordinator(of key: String) -> (id: Int32, endpoint: BrokerRegistration.Endpoint)? {
            guard let internalTopic, !internalTopic.partitions.isEmpty else { return nil }
            let partition = CoordinatorPartitioner.partition(for: key, partitionCount: Int32(internalTopic.partitions.count))
            guard let leader = internalTopic.partitions[partition]?.leader, leader >= 0,
                  let broker = image.brokers[leader], !broker.fenced,
                  let endpoint = broker.endpoint(named: context.listenerName) ?? broker.endpoints.first else { return nil }
            return (leader, endpoint)
        }
        func lookup(_ key: String) -> (ErrorCode, String?, (id: Int32, endpoint: BrokerRegistration.Endpoint)?) {
            switch request.keyType {
            case 0, 1:
                let resource: AclResourceType = request.keyType == 0 ? .group : .transactionalId
                guard context.authorize(.describe, resource, key) else {
                    return (AuthorizationFailure.code(for: resource), AuthorizationFailure.message(for: resource), nil)
                }
                if key.isEmpty {
                    return (.invalidRequest, request.keyType == 0 ? "The group id must not be empty" : "The transactional id must not be empty", nil)
                }
                if internalTopic == nil { creator.requestCreation() }
                guard let found = coordinator(of: key) else { return (.coordinatorNotAvailable, "The coordinator is not available", nil) }
                return (.noError, nil, found)
            default:
                return (.invalidRequest, "Unsupported coordinator key type \(request.keyType)", nil)
            }
        }
        var response = FindCoordinatorResponse()
        if context.apiVersion < 4 {
            let (code, message, found) = lookup(request.key)
            response.errorCode = code.rawValue
            response.errorMessage = message
            response.nodeID = found?.id ?? -1
            response.host = found?.endpoint.host ?? ""
            response.port = found.map { Int32($0.endpoint.port) } ?? -1
        } else {
            response.coordinators = request.coordinatorKeys.map { key in
                let (code, message, found) = lookup(key)
                return .init(key: key, nodeID: found?.id ?? -1, host: found?.endpoint.host ?? "",
                             port: found.map { Int32($0.endpoint.port) } ?? -1, errorCode: code.rawValue, errorMessage: message)
            }
        }
        return response
    }
}

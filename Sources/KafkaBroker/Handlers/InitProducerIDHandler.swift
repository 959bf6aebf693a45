import KafkaProtocol
import KafkaTransactions

/// InitProducerId: for an idempotent producer (no transactional id) a fresh producer id at epoch 0
/// from this broker's block; for a transactional one, its id's coordinator (this node, when it leads
/// the id's `__transaction_state` partition, else NOT_COORDINATOR) gives its producer id and the next
/// epoch, fencing the previous holder and aborting its open transaction (see
/// `TransactionCoordinator.initProducerID`). v3+ may name the producer's own id and epoch (KIP-360):
/// both or neither, else INVALID_REQUEST. Before v4, PRODUCER_FENCED is INVALID_PRODUCER_EPOCH.
/// A transactional producer needs WRITE on its transactional id (else
/// TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an idempotent one IDEMPOTENT_WRITE on the cluster or WRITE on
/// some topic (else CLUSTER_AUTHORIZATION_FAILED), as in Kafka.
struct InitProducerIDHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let metadata: MetadataService
    let transactions: TransactionCoordinatorService
    let transactionTopic: InternalTopicCreator

    func handle(_ request: InitProducerIdRequest, context: RequestContext) async -> InitProducerIdResponse? {
        guard let transactionalID = request.transactionalID else {
            guard context.authorizeCluster(.idempotentWrite, logIfDenied: false) || context.authorizeByResourceType(.write, .topic) else {
                context.logger.info("denied: an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic",
                                    metadata: ["kafka.principal": "\(context.principal)"])
                return InitProducerIdResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, producerID: -1, producerEpoch: -1)
            }
            do {
                let id = try await metadata.nextProducerID()
                return InitProducerIdResponse(errorCode: 0, producerID: id, producerEpoch: 0)
            } catch {
                context.logger.error("could not reserve producer ids", metadata: ["error": "\(error)"])
                return InitProducerIdResponse(errorCode: ErrorCode.kafkaStorageError.rawValue, producerID: -1, producerEpoch: -1)
            }
        }
        guard context.authorize(.write, .transactionalId, transactionalID) else {
            return InitProducerIdResponse(errorCode: ErrorCode.transactionalIDAuthorizationFailed.rawValue, producerID: -1, producerEpoch: -1)
        }
        let expected: ProducerIDAndEpoch?
        switch (request.producerID, request.producerEpoch) {
        case (-1, -1): expected = nil
        case (-1, _), (_, -1): return InitProducerIdResponse(errorCode: ErrorCode.invalidRequest.rawValue, producerID: -1, producerEpoch: -1)
        case let (id, epoch): expected = ProducerIDAndEpoch(producerID: id, epoch: epoch)
        }
        if !transactionTopic.exists { transactionTopic.requestCreation() }
        let (code, producerID, epoch) = await transactions.initProducerID(
            transactionalID: transactionalID, timeoutMs: request.transactionTimeoutMs, expected: expected)
        let answer = CoordinatorError.forClient(code, firstVersionWithProducerFenced: 4, version: context.apiVersion)
        return InitProducerIdResponse(errorCode: answer.rawValue, producerID: producerID, producerEpoch: epoch)
    }
}

import KafkaProtocol
import KafkaTransactions

/// AddOffsetsToTxn (v0-4): at the producer's transaction coordinator, adds the `__consumer_offsets`
/// partition of `group_id` to the producer's ongoing transaction, so the offsets the producer then
/// commits to the group's coordinator (TxnOffsetCommit) end with the transaction's marker. Before v2,
/// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH. The offsets topic is created if it does not exist yet,
/// as the group's FindCoordinator would. Needs WRITE on the transactional id (else
/// TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and READ on the group (else GROUP_AUTHORIZATION_FAILED).
struct AddOffsetsToTxnHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...4

    let transactions: TransactionCoordinatorService
    let offsetsTopic: InternalTopicCreator

    func handle(_ request: AddOffsetsToTxnRequest, context: RequestContext) async -> AddOffsetsToTxnResponse? {
        guard context.authorize(.write, .transactionalId, request.transactionalID) else {
            return AddOffsetsToTxnResponse(errorCode: ErrorCode.transactionalIDAuthorizationFailed.rawValue)
        }
        guard context.authorize(.read, .group, request.groupID) else {
            return AddOffsetsToTxnResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        if !offsetsTopic.exists { offsetsTopic.requestCreation() }
        let code = await transactions.addOffsets(transactionalID: request.transactionalID, producerID: request.producerID,
                                                 producerEpoch: request.producerEpoch, groupID: request.groupID)
        return AddOffsetsToTxnResponse(errorCode: CoordinatorError.forClient(code, firstVersionWithProducerFenced: 2, version: context.apiVersion).rawValue)
    }
}

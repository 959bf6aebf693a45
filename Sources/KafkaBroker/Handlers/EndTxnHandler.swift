import KafkaProtocol
import KafkaTransactions

/// EndTxn: commit or abort the producer's ongoing transaction at its coordinator; answered once
/// PrepareCommit/PrepareAbort is written (the markers follow). Before v2, PRODUCER_FENCED is
/// INVALID_PRODUCER_EPOCH. v5 is transaction version 2 (KIP-890 part 2, Kafka 4.0): every end bumps
/// the producer's epoch, an abort needs no open transaction, and the answer carries the producer id
/// and epoch for the next transaction (-1 with an error; see
/// `TransactionCoordinator.endTransactionBumpingEpoch`). Needs WRITE on the transactional id (else
/// TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
struct EndTxnHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let transactions: TransactionCoordinatorService

    func handle(_ request: EndTxnRequest, context: RequestContext) async -> EndTxnResponse? {
        guard context.authorize(.write, .transactionalId, request.transactionalID) else {
            return EndTxnResponse(errorCode: ErrorCode.transactionalIDAuthorizationFailed.rawValue)
        }
        let (code, producerID, producerEpoch) = await transactions.endTransaction(
            transactionalID: request.transactionalID, producerID: request.producerID, producerEpoch: request.producerEpoch,
            committed: request.committed, transactionVersion: context.apiVersion >= 5 ? 2 : 0)
        var response = EndTxnResponse(errorCode: CoordinatorError.forClient(code, firstVersionWithProducerFenced: 2, version: context.apiVersion).rawValue)
        if code == .noError {
            response.producerID = producerID
            response.producerEpoch = producerEpoch
        }
        return response
    }
}

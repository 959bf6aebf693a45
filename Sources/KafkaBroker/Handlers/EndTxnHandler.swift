import KafkaProtocol
import KafkaTransactions

/// EndTxn (v0-4): commit or abort the producer's ongoing transaction at its coordinator; answered
/// once PrepareCommit/PrepareAbort is written (the markers follow). Before v2, PRODUCER_FENCED is
/// INVALID_PRODUCER_EPOCH.
struct EndTxnHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...4

    let transactions: TransactionCoordinatorService

    func handle(_ request: EndTxnRequest, context: RequestContext) async -> EndTxnResponse? {
        let code = await transactions.endTransaction(
            transactionalID: request.transactionalID, producerID: request.producerID, producerEpoch: request.producerEpoch,
            committed: request.committed)
        return EndTxnResponse(errorCode: CoordinatorError.forClient(code, firstVersionWithProducerFenced: 2, version: context.apiVersion).rawValue)
    }
}

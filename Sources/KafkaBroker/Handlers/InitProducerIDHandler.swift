import KafkaProtocol

/// InitProducerId for idempotent producers: a fresh producer id at epoch 0 from this
/// broker's block. Transactional ids are refused: the transaction coordinator (KafkaTransactions) is
/// not served yet, nor are AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and TxnOffsetCommit advertised.
struct InitProducerIDHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let metadata: MetadataService

    func handle(_ request: InitProducerIdRequest, context: RequestContext) async -> InitProducerIdResponse? {
        if request.transactionalID != nil {
            return InitProducerIdResponse(errorCode: ErrorCode.transactionalIDAuthorizationFailed.rawValue, producerID: -1, producerEpoch: -1)
        }
        do {
            let id = try await metadata.nextProducerID()
            return InitProducerIdResponse(errorCode: 0, producerID: id, producerEpoch: 0)
        } catch {
            context.logger.error("could not reserve producer ids", metadata: ["error": "\(error)"])
            return InitProducerIdResponse(errorCode: ErrorCode.kafkaStorageError.rawValue, producerID: -1, producerEpoch: -1)
        }
    }
}

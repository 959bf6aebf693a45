import KafkaProtocol
import KafkaTransactions

/// DescribeTransactions (v0, KIP-664; `kafka-transactions.sh describe`): each transactional id's state
/// at its coordinator: NOT_COORDINATOR when this node is not it, COORDINATOR_LOAD_IN_PROGRESS while
/// its partition loads, TRANSACTIONAL_ID_NOT_FOUND for an unknown id. An id the principal may not
/// DESCRIBE is TRANSACTIONAL_ID_AUTHORIZATION_FAILED; the partitions of topics it may not DESCRIBE are
/// left out of the transaction's, as in Kafka.
struct DescribeTransactionsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let transactions: TransactionCoordinatorService

    func handle(_ request: DescribeTransactionsRequest, context: RequestContext) async -> DescribeTransactionsResponse? {
        var response = DescribeTransactionsResponse()
        for id in request.transactionalIDs {
            var state = DescribeTransactionsResponse.TransactionState(transactionalID: id, transactionState: "",
                                                                      transactionStartTimeMs: -1, producerID: -1, producerEpoch: -1)
            guard context.authorize(.describe, .transactionalId, id) else {
                state.errorCode = ErrorCode.transactionalIDAuthorizationFailed.rawValue
                response.transactionStates.append(state)
                continue
            }
            switch await transactions.describe(transactionalID: id) {
            case let .failure(error):
                state.errorCode = error.code.rawValue
            case let .success(m):
                state.transactionState = m.state.name
                state.transactionTimeoutMs = m.timeoutMs
                state.transactionStartTimeMs = m.startTimestamp
                state.producerID = m.producerID
                state.producerEpoch = m.producerEpoch
                state.topics = Dictionary(grouping: m.partitions, by: \TopicPartition.topic)
                    .filter { context.authorize(.describe, .topic, $0.key) }.sorted { $0.key < $1.key }
                    .map { .init(topic: $0.key, partitions: $0.value.map(\TopicPartition.partition).sorted()) }
            }
            response.transactionStates.append(state)
        }
        return response
    }
}

import KafkaProtocol
import KafkaTransactions

/// ListTransactions (v0-1, KIP-664, KIP-994's duration filter in v1; `kafka-transactions.sh list`
/// asks every broker): the transactional ids this node coordinates, filtered by state name, producer
/// id and how long their transaction has run. Unknown state names come back in UnknownStateFilters;
/// while a partition loads the answer is COORDINATOR_LOAD_IN_PROGRESS, as in Kafka. Only the ids the
/// principal may DESCRIBE are listed.
struct ListTransactionsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let transactions: TransactionCoordinatorService

    func handle(_ request: ListTransactionsRequest, context: RequestContext) async -> ListTransactionsResponse? {
        var response = ListTransactionsResponse()
        var states: Set<TransactionState> = []
        for name in request.stateFilters {
            if let state = TransactionState(name: name) { states.insert(state) } else { response.unknownStateFilters.append(name) }
        }
        let (loading, found) = await transactions.list(states: states, producerIDs: Set(request.producerIDFilters),
                                                       minimumDurationMs: context.apiVersion >= 1 ? request.durationFilter : -1)
        if loading {
            response.errorCode = ErrorCode.coordinatorLoadInProgress.rawValue
            return response
        }
        response.transactionStates = found.filter { context.authorize(.describe, .transactionalId, $0.transactionalID) }.map { .init(transactionalID: $0.transactionalID, producerID: $0.producerID, transactionState: $0.state.name) }
        return response
    }
}

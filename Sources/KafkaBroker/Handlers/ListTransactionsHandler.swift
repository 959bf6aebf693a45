import KafkaProtocol
import KafkaTransactions
import LinearRegex

/// ListTransactions (KIP-664, KIP-994's duration filter in v1, KIP-1152's transactional id pattern in
/// v2; `kafka-transactions.sh list` asks every broker): the transactional ids this node coordinates,
/// filtered by state name, producer id, how long their transaction has run and a regular expression
/// the whole id must match (null or empty: no filter). Unknown state names come back in
/// UnknownStateFilters; a pattern that does not compile (or is longer than the
/// `GroupRequestLimits.maxRegexBytes` a topic regex may be) is INVALID_REGULAR_EXPRESSION. Kafka
/// matches with RE2/J; here `LinearRegex` does, with RE2's syntax and in linear time, so a pattern
/// cannot stall the handler. While a partition loads the answer is COORDINATOR_LOAD_IN_PROGRESS, as in Kafka.
/// Only the ids the principal may DESCRIBE are listed.
struct ListTransactionsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

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
        var pattern: LinearRegex?
        if context.apiVersion >= 2, let text = request.transactionalIDPattern, !text.isEmpty {
            guard text.utf8.count <= GroupRequestLimits.maxRegexBytes, let regex = try? LinearRegex(text) else {
                response.errorCode = ErrorCode.invalidRegularExpression.rawValue
                return response
            }
            pattern = regex
        }
        let matching = found.filter { t in pattern.map { $0.wholeMatch(t.transactionalID) } ?? true }
        response.transactionStates = matching.filter { context.authorize(.describe, .transactionalId, $0.transactionalID) }.map { .init(transactionalID: $0.transactionalID, producerID: $0.producerID, transactionState: $0.state.name) }
        return response
    }
}

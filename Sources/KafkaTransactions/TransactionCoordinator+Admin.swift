import KafkaProtocol

extension TransactionCoordinator {
    /// DescribeTransactions for one id: its current state, or NOT_COORDINATOR,
    /// COORDINATOR_LOAD_IN_PROGRESS or TRANSACTIONAL_ID_NOT_FOUND.
    public func describe(transactionalID: String) -> Result<TransactionMetadata, CoordinatorError> {
        switch coordinatorEpoch(for: transactionalID) {
        case let .failure(e): return .failure(e)
        case .success: break
        }
        guard let m = transactions[transactionalID] else { return .failure(CoordinatorError(.transactionalIDNotFound)) }
        return .success(m)
    }

    /// Whether a partition is still being replayed (ListTransactions then answers
    /// COORDINATOR_LOAD_IN_PROGRESS along with what it has).
    public var isLoading: Bool { !loading.isEmpty }

    /// ListTransactions: the ids in one of `states` (all when empty), held by one of `producerIDs`
    /// (all when empty), and — when `minimumDurationMs` is not negative — whose transaction started
    /// more than that long ago (Kafka's test, which an id with no transaction, start -1, passes).
    public func list(states: Set<TransactionState>, producerIDs: Set<Int64>, minimumDurationMs: Int64, now: Int64) -> [TransactionMetadata] {
        transactions.keys.sorted().compactMap { id in
            let m = transactions[id]!
            if !states.isEmpty && !states.contains(m.state) { return nil }
            if !producerIDs.isEmpty && !producerIDs.contains(m.producerID) { return nil }
            if minimumDurationMs >= 0 && now - m.startTimestamp <= minimumDurationMs { return nil }
            return m
        }
    }
}

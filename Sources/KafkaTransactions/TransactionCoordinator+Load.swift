import KafkaProtocol

extension TransactionCoordinator {
    /// This broker became leader of `__transaction_state` partition `partition` with leader epoch
    /// `coordinatorEpoch`: forget what it held there before and replay the partition. Requests for
    /// its ids answer COORDINATOR_LOAD_IN_PROGRESS until `finishLoading`.
    public mutating func beginLoading(partition: Int32, coordinatorEpoch: Int32) -> [TransactionAction] {
        let actions = unload(partition: partition)
        loading[partition] = (coordinatorEpoch, [:])
        return actions
    }

    /// One record of the partition being loaded, in log order. A tombstone removes its id.
    public mutating func replay(_ record: TransactionRecord, partition: Int32) throws(ProtocolError) {
        guard loading[partition] != nil else { return }
        let decoded = try record.decode()
        guard let value = decoded.value else {
            loading[partition]?.transactions[decoded.transactionalID] = nil
            return
        }
        guard let state = TransactionState(rawValue: value.transactionStatus), state != .dead, state != .prepareEpochFence else {
            throw ProtocolError(.invalidValue("transaction status \(value.transactionStatus)"), field: "TransactionStatus")
        }
        loading[partition]?.transactions[decoded.transactionalID] = TransactionMetadata(
            transactionalID: decoded.transactionalID, loaded: value, state: state)
    }

    /// The replay of `partition` reached the end: its ids are served, and transactions that were
    /// preparing to commit or abort get their markers (again).
    public mutating func finishLoading(partition: Int32, now: Int64) -> [TransactionAction] {
        guard let loaded = loading.removeValue(forKey: partition) else { return [] }
        ownedPartitions[partition] = loaded.coordinatorEpoch
        var actions: [TransactionAction] = []
        for id in loaded.transactions.keys.sorted() {
            let m = loaded.transactions[id]!
            transactions[id] = m
            if m.state == .prepareCommit || m.state == .prepareAbort {
                actions += startMarkers(id, coordinatorEpoch: loaded.coordinatorEpoch, now: now)
            }
        }
        return actions
    }

    /// This broker no longer leads `partition` (or is reloading it): drop its ids. Requests waiting
    /// for a transition of one of them get NOT_COORDINATOR; their producers find the new coordinator.
    public mutating func unload(partition: Int32) -> [TransactionAction] {
        ownedPartitions[partition] = nil
        loading[partition] = nil
        var actions: [TransactionAction] = []
        for id in transactions.keys.sorted() where self.partition(for: id) == partition {
            transactions[id] = nil
            retryAt[id] = nil
            if let flight = inFlight.removeValue(forKey: id) { actions += reply(flight.waiter, .notCoordinator, nil) }
        }
        return actions
    }
}

extension TransactionMetadata {
    /// An id as its last `__transaction_state` record left it.
    init(transactionalID: String, loaded v: TransactionLogValue, state: TransactionState) {
        self.init(transactionalID: transactionalID, producerID: v.producerID, timeoutMs: v.transactionTimeoutMs,
                  now: v.transactionLastUpdateTimestampMs)
        self.producerEpoch = v.producerEpoch
        self.state = state
        self.partitions = Set((v.transactionPartitions ?? []).flatMap { t in t.partitionIDs.map { TopicPartition(t.topic, $0) } })
        self.startTimestamp = v.transactionStartTimestampMs
        self.previousProducerID = v.previousProducerID
        self.nextProducerID = v.nextProducerID
        self.clientTransactionVersion = v.clientTransactionVersion
    }
}

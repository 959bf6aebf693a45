import KafkaProtocol

/// Transaction version 2 (KIP-890 part 2, Kafka 4.0): every end of a transaction bumps the producer's
/// epoch, so that a zombie's late batch at the old epoch is fenced by the partition itself. EndTxn v5
/// answers with the producer id and epoch to continue with.
extension TransactionCoordinator {
    /// Whether EndTxn v5 for this producer will need a fresh producer id: the end is valid and would
    /// bump an epoch that is already the last one producers may be given. The shell allocates one
    /// (as for InitProducerId) before calling `endTransaction`.
    public func needsNewProducerID(endingTransactionOf transactionalID: String, producerID: Int64, producerEpoch: Int16) -> Bool {
        guard case .success = coordinatorEpoch(for: transactionalID), let m = transactions[transactionalID], m.pending == nil,
              m.producerID == producerID, m.producerEpoch == producerEpoch else { return false }
        return m.isEpochExhausted && [.ongoing, .empty, .completeCommit, .completeAbort].contains(m.state)
    }

    /// EndTxn v5 (Kafka 4.0's `endTransaction` for transaction version 2). With the producer's
    /// (id, epoch) = (p, e) and the current (P, E):
    /// - a pending transition: CONCURRENT_TRANSACTIONS;
    /// - p ≠ P, unless p is the id before a rotation and e the last epoch (a retry across it):
    ///   INVALID_PRODUCER_ID_MAPPING;
    /// - the epoch: Ongoing and Empty need e = E; PrepareCommit/PrepareAbort only a retry (E = e+1);
    ///   CompleteCommit/CompleteAbort e = E or a retry; else PRODUCER_FENCED;
    /// - Ongoing ends with a bump (PrepareCommit/PrepareAbort at E+1, the markers carry it);
    ///   the same end again while its markers are written: CONCURRENT_TRANSACTIONS, the other one
    ///   INVALID_TXN_STATE; a retry of the end that completed: NONE with the current id and epoch;
    ///   an abort at the current epoch from Empty, CompleteCommit or CompleteAbort: an empty abort
    ///   with a bump; any other commit: INVALID_TXN_STATE.
    /// At the last epoch (see ``TransactionMetadata/isEpochExhausted``) the bump is to Short.MAX_VALUE
    /// and completion switches to `newProducerID` at epoch 0 (without one, CONCURRENT_TRANSACTIONS: the
    /// shell allocates first, see ``needsNewProducerID(endingTransactionOf:producerID:producerEpoch:)``).
    public mutating func endTransactionBumpingEpoch(transactionalID: String, producerID: Int64, producerEpoch: Int16,
                                                    result: TransactionResult, newProducerID: Int64?, requestID: UInt64,
                                                    now: Int64) -> [TransactionAction] {
        func answer(_ code: ErrorCode) -> [TransactionAction] { [.respond(.endTransaction(requestID: requestID, code))] }
        if transactionalID.isEmpty { return answer(.invalidRequest) }
        let coordinatorEpoch: Int32
        switch self.coordinatorEpoch(for: transactionalID) {
        case let .success(e): coordinatorEpoch = e
        case let .failure(e): return answer(e.code)
        }
        guard let m = transactions[transactionalID] else { return answer(.invalidProducerIDMapping) }
        if m.pending != nil { return answer(.concurrentTransactions) }
        let retryOnBump = Int32(m.producerEpoch) == Int32(producerEpoch) + 1
        let retryOnRotation = m.previousProducerID == producerID && producerEpoch == Int16.max - 1 && m.producerEpoch == 0
        if producerID != m.producerID && !retryOnRotation { return answer(.invalidProducerIDMapping) }
        let epochValid: Bool
        switch m.state {
        case .ongoing, .empty: epochValid = producerEpoch == m.producerEpoch && producerID == m.producerID
        case .prepareCommit, .prepareAbort: epochValid = retryOnBump && producerID == m.producerID
        case .completeCommit, .completeAbort:
            epochValid = retryOnRotation || producerID == m.producerID && (retryOnBump || producerEpoch == m.producerEpoch)
        case .dead, .prepareEpochFence: return answer(.unknownServerError)
        }
        if !epochValid { return answer(.producerFenced) }
        let isRetry = retryOnRotation || retryOnBump

        func bump() -> [TransactionAction] {
            if m.isEpochExhausted && newProducerID == nil { return answer(.concurrentTransactions) }
            let end = m.prepareEndBumpingEpoch(result, newProducerID: m.isEpochExhausted ? newProducerID : nil, now: now)
            return begin(end, of: transactionalID, coordinatorEpoch: coordinatorEpoch, waiter: .endTransaction(requestID))
        }
        func completed() -> [TransactionAction] {
            [.respond(.endTransaction(requestID: requestID, .noError, producerID: m.producerID, producerEpoch: m.producerEpoch))]
        }
        switch (m.state, result) {
        case (.ongoing, _): return bump()
        case (.prepareCommit, .commit), (.prepareAbort, .abort): return answer(.concurrentTransactions)
        case (.prepareCommit, .abort), (.prepareAbort, .commit): return answer(.invalidTxnState)
        case (.completeCommit, .commit): return isRetry ? completed() : answer(.invalidTxnState)
        case (.completeAbort, .abort): return isRetry ? completed() : bump()
        case (.completeCommit, .abort): return isRetry ? answer(.invalidTxnState) : bump()
        case (.completeAbort, .commit): return answer(.invalidTxnState)
        case (.empty, .abort): return bump()
        case (.empty, .commit): return answer(.invalidTxnState)
        case (.dead, _), (.prepareEpochFence, _): return answer(.unknownServerError)
        }
    }
}

import KafkaProtocol

extension TransactionCoordinator {
    /// Whether InitProducerId for `transactionalID` will need a fresh producer id: the request is
    /// valid and served here, and the id is new or its epoch is exhausted. The shell allocates one
    /// (AllocateProducerIds) before calling `initProducerID`; an id allocated and then not needed is
    /// simply never used.
    /// Whether `transactionalID` cannot be written to `__transaction_state`: its records give the id an
    /// int16 length, and flexible request versions can carry longer strings (INVALID_REQUEST for them).
    static func isTooLong(_ transactionalID: String) -> Bool {
        transactionalID.utf8.count > Int(Int16.max)
    }

    public func needsNewProducerID(transactionalID: String, timeoutMs: Int32, expected: ProducerIDAndEpoch?) -> Bool {
        guard !transactionalID.isEmpty, !Self.isTooLong(transactionalID), timeoutMs > 0, timeoutMs <= config.maxTimeoutMs,
              case .success = coordinatorEpoch(for: transactionalID) else { return false }
        guard let m = transactions[transactionalID] else { return true }
        guard m.pending == nil, [.empty, .completeCommit, .completeAbort].contains(m.state) else { return false }
        return m.isEpochExhausted && (expected == nil || expected?.epoch == m.producerEpoch)
    }

    /// InitProducerId with a transactional id (Kafka's `handleInitProducerId`): a new id gets a
    /// producer id at epoch 0; a known one gets its epoch bumped, which fences the producer that held
    /// it; an ongoing transaction is first aborted (the producer is told CONCURRENT_TRANSACTIONS and
    /// retries). `expected` is the producer's own id and epoch when it recovers from an error
    /// (v3+, KIP-360): it keeps its id unless another producer took over.
    public mutating func initProducerID(transactionalID: String, timeoutMs: Int32, expected: ProducerIDAndEpoch?,
                                        newProducerID: Int64?, requestID: UInt64, now: Int64) -> [TransactionAction] {
        func fail(_ code: ErrorCode) -> [TransactionAction] {
            [.respond(.initProducerID(requestID: requestID, code, producerID: NoProducer.id, producerEpoch: NoProducer.epoch))]
        }
        if transactionalID.isEmpty || Self.isTooLong(transactionalID) { return fail(.invalidRequest) }
        if timeoutMs <= 0 || timeoutMs > config.maxTimeoutMs { return fail(.invalidTransactionTimeout) }
        let coordinatorEpoch: Int32
        switch self.coordinatorEpoch(for: transactionalID) {
        case let .success(e): coordinatorEpoch = e
        case let .failure(e): return fail(e.code)
        }
        if transactions[transactionalID] == nil {
            // The shell allocates first (needsNewProducerID); without an id, the producer retries.
            guard let newProducerID else { return fail(.concurrentTransactions) }
            transactions[transactionalID] = TransactionMetadata(
                transactionalID: transactionalID, producerID: newProducerID, timeoutMs: timeoutMs, now: now)
        }
        let m = transactions[transactionalID]!
        if m.pending != nil { return fail(.concurrentTransactions) }
        if let expected {
            let valid = m.producerEpoch == NoProducer.epoch || expected.producerID == m.producerID
                || (expected.producerID == m.previousProducerID && TransactionMetadata.isEpochExhausted(expected.epoch))
            if !valid { return fail(.producerFenced) }
        }
        switch m.state {
        case .prepareCommit, .prepareAbort:
            return fail(.concurrentTransactions)
        case .empty, .completeCommit, .completeAbort:
            let transition: TransactionMetadata.Transition
            if m.isEpochExhausted && (expected == nil || expected?.epoch == m.producerEpoch) {
                guard let newProducerID else { return fail(.concurrentTransactions) }
                transition = m.rotateProducerID(to: newProducerID, timeoutMs: timeoutMs, recordLastEpoch: expected != nil, now: now)
            } else {
                switch m.incrementEpoch(timeoutMs: timeoutMs, expectedEpoch: expected?.epoch, now: now) {
                case let .success(t): transition = t
                case let .failure(e): return fail(e.code)
                }
            }
            return begin(transition, of: transactionalID, coordinatorEpoch: coordinatorEpoch, waiter: .initProducerID(requestID))
        case .ongoing:
            let fence = m.prepareEnd(.abort, epoch: m.fencedEpoch, now: now)
            return begin(fence, of: transactionalID, coordinatorEpoch: coordinatorEpoch,
                         waiter: .initProducerIDFence(requestID))
        case .dead, .prepareEpochFence:
            // Never current: Dead ids are removed, PrepareEpochFence is only ever pending.
            return fail(.unknownServerError)
        }
    }

    /// The checks every request of a producer in a transaction passes first: the id is served here,
    /// known, held by this producer id and epoch.
    func producerCheck(_ transactionalID: String, producerID: Int64, producerEpoch: Int16)
        -> Result<(TransactionMetadata, coordinatorEpoch: Int32), CoordinatorError> {
        if transactionalID.isEmpty { return .failure(CoordinatorError(.invalidRequest)) }
        let coordinatorEpoch: Int32
        switch self.coordinatorEpoch(for: transactionalID) {
        case let .success(e): coordinatorEpoch = e
        case let .failure(e): return .failure(e)
        }
        guard let m = transactions[transactionalID], m.producerID == producerID else { return .failure(.invalidProducerIDMapping) }
        if m.producerEpoch != producerEpoch { return .failure(.producerFenced) }
        return .success((m, coordinatorEpoch))
    }

    /// AddPartitionsToTxn (v0-3, or a v4+ transaction without VerifyOnly): the transaction is
    /// Ongoing with these partitions. One error answers every partition. `transactionVersion` 2: a
    /// partition leader adds them for a producer using transaction version 2 (KIP-890 part 2).
    public mutating func addPartitions(transactionalID: String, producerID: Int64, producerEpoch: Int16,
                                       partitions: Set<TopicPartition>, transactionVersion: Int16 = 0,
                                       requestID: UInt64, now: Int64) -> [TransactionAction] {
        func answer(_ code: ErrorCode) -> [TransactionAction] { [.respond(.addPartitions(requestID: requestID, code))] }
        // A transition in flight comes first, before the producer's id is checked (Kafka 4.0's order):
        // a transaction version 2 end that ran out of epochs has told the producer its next id, which
        // the coordinator takes on only at completion; until then that id must hear
        // CONCURRENT_TRANSACTIONS, which it retries, not INVALID_PRODUCER_ID_MAPPING.
        if case .success = coordinatorEpoch(for: transactionalID), let current = transactions[transactionalID],
           current.pending != nil || (current.isPreparingEnd && producerID == current.nextProducerID) {
            return answer(.concurrentTransactions)
        }
        let m: TransactionMetadata, coordinatorEpoch: Int32
        switch producerCheck(transactionalID, producerID: producerID, producerEpoch: producerEpoch) {
        case let .success((meta, epoch)): (m, coordinatorEpoch) = (meta, epoch)
        case let .failure(e): return answer(e.code)
        }
        if m.isPreparingEnd { return answer(.concurrentTransactions) }
        // Already in the transaction: nothing to write.
        if m.state == .ongoing && partitions.isSubset(of: m.partitions) { return answer(.noError) }
        return begin(m.addPartitions(partitions, transactionVersion: transactionVersion, now: now), of: transactionalID,
                     coordinatorEpoch: coordinatorEpoch, waiter: .addPartitions(requestID))
    }

    /// AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction.
    public mutating func addOffsets(transactionalID: String, producerID: Int64, producerEpoch: Int16, groupID: String,
                                    requestID: UInt64, now: Int64) -> [TransactionAction] {
        let offsets = TopicPartition(
            "__consumer_offsets", CoordinatorPartitioner.partition(for: groupID, partitionCount: config.offsetsTopicPartitions))
        return addPartitions(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                             partitions: [offsets], requestID: requestID, now: now)
    }

    /// AddPartitionsToTxn v4+ with VerifyOnly, sent by a partition leader before it appends a
    /// transactional batch (KIP-890 part 1): is each partition in this producer's open transaction?
    /// A partition that is not gets TRANSACTION_ABORTABLE; nothing changes here. Pending transitions
    /// are not checked: the partition's own append is the final check.
    public func verifyPartitions(transactionalID: String, producerID: Int64, producerEpoch: Int16,
                                 partitions: Set<TopicPartition>) -> [TopicPartition: ErrorCode] {
        func all(_ code: ErrorCode) -> [TopicPartition: ErrorCode] { Dictionary(uniqueKeysWithValues: partitions.map { ($0, code) }) }
        switch producerCheck(transactionalID, producerID: producerID, producerEpoch: producerEpoch) {
        case let .failure(e):
            return all(e.code)
        case let .success((m, _)):
            if m.state == .prepareCommit || m.state == .prepareAbort { return all(.concurrentTransactions) }
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, m.partitions.contains($0) ? .noError : .transactionAbortable) })
        }
    }

    /// EndTxn from the producer (Kafka's `handleEndTransaction` for a client): commit or abort the
    /// ongoing transaction. A retry of an EndTxn that finished is answered as the first was.
    /// `transactionVersion` 2 (EndTxn v5) follows ``endTransactionBumpingEpoch(transactionalID:producerID:producerEpoch:result:newProducerID:requestID:now:)``.
    public mutating func endTransaction(transactionalID: String, producerID: Int64, producerEpoch: Int16,
                                        result: TransactionResult, transactionVersion: Int16 = 0, newProducerID: Int64? = nil,
                                        requestID: UInt64, now: Int64) -> [TransactionAction] {
        if transactionVersion >= 2 {
            return endTransactionBumpingEpoch(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                                              result: result, newProducerID: newProducerID, requestID: requestID, now: now)
        }
        func answer(_ code: ErrorCode) -> [TransactionAction] { [.respond(.endTransaction(requestID: requestID, code))] }
        let m: TransactionMetadata, coordinatorEpoch: Int32
        switch producerCheck(transactionalID, producerID: producerID, producerEpoch: producerEpoch) {
        case let .success((meta, epoch)): (m, coordinatorEpoch) = (meta, epoch)
        case let .failure(e): return answer(e.code)
        }
        if m.pending != nil { return answer(.concurrentTransactions) }
        switch (m.state, result) {
        case (.ongoing, _):
            var end = m.prepareEnd(result, epoch: m.producerEpoch, now: now)
            end.clientTransactionVersion = 0
            return begin(end, of: transactionalID, coordinatorEpoch: coordinatorEpoch, waiter: .endTransaction(requestID))
        case (.completeCommit, .commit), (.completeAbort, .abort):
            return answer(.noError)
        case (.prepareCommit, .commit), (.prepareAbort, .abort):
            return answer(.concurrentTransactions)
        case (.empty, _), (.completeCommit, _), (.completeAbort, _), (.prepareCommit, _), (.prepareAbort, _):
            return answer(.invalidTxnState)
        case (.dead, _), (.prepareEpochFence, _):
            return answer(.unknownServerError)
        }
    }
}

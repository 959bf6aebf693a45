import KafkaRecords

/// Which transaction each batch a cleaning round reads belongs to, in offset order (Kafka's
/// `CleanedTransactionMetadata`), to decide what of it may go:
///
/// - a data batch of a transaction that was aborted is removed (its records; the batch may stay empty
///   as a producer's last);
/// - an ABORT marker may go once the round saw none of its transaction's batches (they were removed
///   by an earlier round); when it saw some, the marker stays this round and its transaction is listed
///   in the cleaned segment's `.txnindex`;
/// - a COMMIT marker may go when the round saw none of its transaction's batches;
/// - a marker that may go is dropped only after its delete horizon (set to `now +
///   delete.retention.ms` by the round that first finds it may go), so that a read_committed consumer
///   that read the transaction's batches before they were removed still meets the marker.
struct CleanedTransactions {
    /// Aborted transactions not yet reached, by first offset.
    private var upcoming: ArraySlice<AbortedTransaction>
    /// Producer id → the aborted transaction under way and whether the round saw one of its batches.
    private var ongoingAborted: [Int64: (transaction: AbortedTransaction, sawBatch: Bool)] = [:]
    /// Producers with a transactional batch seen that belongs to no aborted transaction.
    private var ongoingCommitted: Set<Int64> = []
    /// Aborted transactions whose marker stays because the round removed their batches, in marker order.
    private(set) var retainedAborted: [AbortedTransaction] = []

    init(aborted: [AbortedTransaction]) {
        upcoming = ArraySlice(aborted.sorted { $0.firstOffset < $1.firstOffset })
    }

    private mutating func reach(_ offset: Int64) {
        while let next = upcoming.first, next.firstOffset <= offset {
            upcoming.removeFirst()
            ongoingAborted[next.producerId] = (next, false)
        }
    }

    /// A data batch was read: whether its records are to be removed (it belongs to an aborted transaction).
    mutating func onBatch(_ header: RecordBatchHeader) -> Bool {
        reach(header.lastOffset)
        guard header.isTransactional, header.producerId >= 0 else { return false }
        if ongoingAborted[header.producerId] != nil {
            ongoingAborted[header.producerId]!.sawBatch = true
            return true
        }
        ongoingCommitted.insert(header.producerId)
        return false
    }

    /// A control batch was read (`marker` is its COMMIT or ABORT, nil for another control batch):
    /// whether it may be removed once its delete horizon passes.
    mutating func onControlBatch(_ header: RecordBatchHeader, marker: TransactionMarker?) -> Bool {
        reach(header.lastOffset)
        guard header.recordCount > 0 else { return true }
        guard let marker else { return false }
        if marker.isAbort {
            guard let ongoing = ongoingAborted.removeValue(forKey: header.producerId) else { return true }
            if ongoing.sawBatch {
                retainedAborted.append(ongoing.transaction)
                return false
            }
            return true
        }
        return ongoingCommitted.remove(header.producerId) == nil
    }
}

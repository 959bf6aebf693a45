import KafkaRecords
import NIOCore

/// A transaction aborted in this partition, as Kafka's `.txnindex` holds it: the producer, the offsets
/// of its first batch and of its ABORT marker, and the last stable offset right after the marker.
/// read_committed consumers skip the producer's batches between the two offsets.
public struct AbortedTransaction: Hashable, Sendable {
    public var producerId: Int64
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var lastStableOffset: Int64

    public init(producerId: Int64, firstOffset: Int64, lastOffset: Int64, lastStableOffset: Int64) {
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.lastStableOffset = lastStableOffset
    }
}

extension PartitionLog {
    /// The offset below which every transaction is decided and replicated (Kafka's last stable
    /// offset): the high watermark, or the first offset of the earliest open or unreplicated
    /// transaction when that is lower. read_committed fetches stop here.
    public var lastStableOffset: Int64 {
        min(producerState.firstUnstableOffset ?? highWatermark, highWatermark)
    }

    /// Writes a COMMIT or ABORT marker for `producerId` as the partition leader, from the transaction
    /// coordinator (WriteTxnMarkers): checked against producer state first (INVALID_PRODUCER_EPOCH,
    /// TRANSACTION_COORDINATOR_FENCED; `bumpedEpoch` for a marker of transaction version 2, whose epoch
    /// must be newer than the producer's, see `ProducerStateManager.check`), then appended as a control
    /// batch of one control record at the log end offset. An ABORT that ends a transaction with data
    /// here is recorded for read_committed fetches. Nothing is made durable.
    @discardableResult
    public func appendMarker(producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32, isAbort: Bool,
                             bumpedEpoch: Bool = false, leaderEpoch: Int32, now: Int64) throws(LogError) -> AppendInfo {
        try ensureOpen()
        var marker = TransactionMarker(producerId: producerId, producerEpoch: producerEpoch, coordinatorEpoch: coordinatorEpoch,
                                       isAbort: isAbort, offset: logEndOffset, timestamp: now)
        if let error = producerState.check(marker, bumpedEpoch: bumpedEpoch) { throw .producerState(error) }
        var builder = RecordBatchBuilder(
            baseOffset: 0, partitionLeaderEpoch: leaderEpoch, producerId: producerId, producerEpoch: producerEpoch,
            baseSequence: -1, isTransactional: true, isControl: true)
        builder.append(isAbort ? .abort(coordinatorEpoch: coordinatorEpoch) : .commit(coordinatorEpoch: coordinatorEpoch), timestamp: now)
        var buffer = ByteBuffer()
        do {
            _ = try builder.build(into: &buffer)
        } catch {
            throw .invalidRecords(error)
        }
        let info = try append(buffer, leaderEpoch: leaderEpoch, now: now, crcVerified: true, allowControlBatches: true)
        marker.offset = info.firstOffset
        try record(marker)
        return info
    }

    /// Producer state and the aborted transactions learn of a written marker; an aborted transaction
    /// is appended to the `.txnindex` of the segment holding the marker.
    func record(_ marker: TransactionMarker) throws(LogError) {
        let count = abortedTransactions.count
        producerState.record(marker, aborted: &abortedTransactions)
        guard abortedTransactions.count > count, let entry = abortedTransactions.last else { return }
        try changingFiles { () throws(LogError) in
            if try segments[segmentIndex(for: marker.offset)].appendToTransactionIndex(entry) { markDirectoryUnsynced() }
        }
    }

    /// The aborted transactions a read_committed fetch from `fetchOffset` must tell the consumer about
    /// when it returns data below `upperBoundOffset` (Kafka's `collectAbortedTransactions`): those
    /// ending at or after `fetchOffset` and starting below `upperBoundOffset`, in marker order.
    public func abortedTransactions(from fetchOffset: Int64, upTo upperBoundOffset: Int64) -> [AbortedTransaction] {
        // Markers are in offset order: skip those before the fetch, stop once a transaction aborted
        // with the last stable offset at or past the bound (nothing later can start below it).
        var low = 0, high = abortedTransactions.count
        while low < high {
            let mid = (low + high) / 2
            if abortedTransactions[mid].lastOffset < fetchOffset { low = mid + 1 } else { high = mid }
        }
        var found: [AbortedTransaction] = []
        for aborted in abortedTransactions[low...] {
            if aborted.firstOffset < upperBoundOffset { found.append(aborted) }
            if aborted.lastStableOffset >= upperBoundOffset { break }
        }
        return found
    }

    /// The marker in a control batch, if it is a COMMIT or ABORT (`bytes` holds the whole batch).
    static func marker(in bytes: ByteBuffer, header: RecordBatchHeader) -> TransactionMarker? {
        guard header.isControl, let batch = try? RecordBatch(bytes: bytes),
              let record = try? batch.decodeRecords(decompressionLimit: 1 << 20).first,
              let control = try? ControlRecord(parsing: record),
              control.type == .commit || control.type == .abort,
              case let .endTransaction(_, coordinatorEpoch) = control.value else { return nil }
        return TransactionMarker(
            producerId: header.producerId, producerEpoch: header.producerEpoch, coordinatorEpoch: coordinatorEpoch,
            isAbort: control.type == .abort, offset: header.baseOffset, timestamp: header.maxTimestamp)
    }
}

extension ProducerStateManager {
    /// Applies a written marker; an ABORT that ended a transaction joins `aborted`.
    mutating func record(_ marker: TransactionMarker, aborted: inout [AbortedTransaction]) {
        guard let completed = apply(marker), completed.isAborted else { return }
        aborted.append(AbortedTransaction(
            producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset,
            lastStableOffset: lastStableOffset(after: completed)))
    }
}

extension LogSegment {
    /// The marker of the control batch at `position`, if it holds a COMMIT or ABORT.
    func marker(at position: Int64, header: RecordBatchHeader) throws(LogError) -> TransactionMarker? {
        guard header.isControl, let bytes = try logFile.read(at: position, length: header.totalSize) else { return nil }
        return PartitionLog.marker(in: bytes, header: header)
    }
}

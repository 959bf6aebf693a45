import KafkaLog

extension DumpLog {
    /// A producer state snapshot through ``ProducerStateSnapshot/parse(_:)``, a line per producer as
    /// Kafka prints it: id, epoch, coordinator epoch, open transaction and last timestamp, then the
    /// last batch's sequences, offset, offset delta and timestamp when it has one.
    static func dumpProducerSnapshot(fileName: String, bytes: [UInt8]) -> Output {
        guard let entries = ProducerStateSnapshot.parse(bytes) else {
            return Output(errors: ["\(fileName) is not a valid producer state snapshot (version, length or CRC)"])
        }
        return Output(lines: entries.map { entry in
            let open = entry.currentTransactionFirstOffset.map { "OptionalLong[\($0)]" } ?? "OptionalLong.empty"
            var line = "producerId: \(entry.producerId) producerEpoch: \(entry.producerEpoch) coordinatorEpoch: \(entry.coordinatorEpoch) "
                + "currentTxnFirstOffset: \(open) lastTimestamp: \(entry.lastTimestamp) "
            if let last = entry.batches.last {
                line += "firstSequence: \(last.firstSequence) lastSequence: \(last.lastSequence) lastOffset: \(last.lastOffset) "
                    + "offsetDelta: \(last.lastOffset - last.firstOffset) timestamp: \(last.timestamp)"
            }
            return line
        })
    }

    /// A `.txnindex` through ``TransactionIndex/parse(_:)``: a line per aborted transaction.
    static func dumpTransactionIndex(fileName: String, bytes: [UInt8]) -> Output {
        guard let entries = TransactionIndex.parse(bytes) else {
            return Output(errors: ["\(fileName) is not a valid transaction index"])
        }
        return Output(lines: entries.map {
            "version: 0 producerId: \($0.producerId) firstOffset: \($0.firstOffset) lastOffset: \($0.lastOffset) lastStableOffset: \($0.lastStableOffset)"
        })
    }
}

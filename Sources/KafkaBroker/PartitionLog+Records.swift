import KafkaLog
import KafkaRecords

extension PartitionLog {
    /// One item of an internal topic's log, in log order: a data record with its batch's header, or a
    /// transaction marker (a COMMIT or ABORT control batch) of the batch's producer.
    enum LoggedItem {
        case record(offset: Int64, batch: RecordBatchHeader, Record)
        case marker(batch: RecordBatchHeader, committed: Bool)
    }

    /// Calls `body` with every data record and transaction marker from the log start offset to the log
    /// end offset, in log order; other control batches are skipped, and offsets may have gaps (as after
    /// compaction). For replaying internal topics at start.
    func forEachItem(decompressionLimit: Int = 64 << 20, _ body: (LoggedItem) throws -> Void) throws {
        var offset = logStartOffset
        while offset < logEndOffset {
            let data = try read(fetchOffset: offset, maxBytes: 8 << 20, minOneBatch: true)
            guard let range = data.records else { break }
            var reader = RecordBatchReader(try range.readBytes())
            while let batch = try reader.next() {
                let start = offset
                offset = batch.header.nextOffset
                let records = try batch.decodeRecords(decompressionLimit: decompressionLimit, offsets: .increasing)
                if batch.header.isControl {
                    guard batch.header.producerId >= 0, let first = records.first, let control = try? ControlRecord(parsing: first),
                          control.type == .commit || control.type == .abort else { continue }
                    try body(.marker(batch: batch.header, committed: control.type == .commit))
                    continue
                }
                for record in records {
                    let recordOffset = batch.header.baseOffset + Int64(record.offsetDelta)
                    if recordOffset >= start { try body(.record(offset: recordOffset, batch: batch.header, record)) }
                }
            }
        }
    }
}

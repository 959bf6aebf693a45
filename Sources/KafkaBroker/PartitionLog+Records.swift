import KafkaLog
import KafkaRecords

extension PartitionLog {
    /// Calls `body` with every data record from the log start offset to the log end offset, in log
    /// order, with its absolute offset and its batch's partition leader epoch. Control batches are
    /// skipped; offsets may have gaps (as after compaction). For replaying internal topics at start.
    func forEachRecord(decompressionLimit: Int = 64 << 20, _ body: (Int64, Int32, Record) throws -> Void) throws {
        var offset = logStartOffset
        while offset < logEndOffset {
            let data = try read(fetchOffset: offset, maxBytes: 8 << 20, minOneBatch: true)
            guard let range = data.records else { break }
            var reader = RecordBatchReader(try range.readBytes())
            while let batch = try reader.next() {
                let start = offset
                offset = batch.header.nextOffset
                if batch.header.isControl { continue }
                for record in try batch.decodeRecords(decompressionLimit: decompressionLimit, offsets: .increasing) {
                    let recordOffset = batch.header.baseOffset + Int64(record.offsetDelta)
                    if recordOffset >= start { try body(recordOffset, batch.header.partitionLeaderEpoch, record) }
                }
            }
        }
    }
}

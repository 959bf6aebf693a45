import KafkaRecords
import NIOCore

/// Kafka's producer state snapshot format (`ProducerStateManager.writeSnapshot`, version 1), the file
/// `<offset>.snapshot` holding producer state as of that offset (everything below it applied):
///
///     version   int16   1
///     crc       uint32  CRC32C of everything after this field
///     count     int32   then `count` entries of 46 bytes, by producer id:
///       producer_id               int64
///       epoch                     int16
///       last_sequence             int32  -1 when the producer has only markers here
///       last_offset               int64  of its last batch, -1 likewise
///       offset_delta              int32  last_offset - the batch's first offset
///       timestamp                 int64  of its last batch or marker
///       coordinator_epoch         int32  of its last marker, -1 before any
///       current_txn_first_offset  int64  the first offset of its open transaction, -1 when none
///
/// Only each producer's last batch is kept (so after a restart a retry of one of its four earlier
/// batches is not recognised as a duplicate, as in Kafka).
public enum ProducerStateSnapshot {
    static let version: Int16 = 1
    static let headerSize = 2 + 4
    static let entrySize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8

    public static func encode(_ state: ProducerStateManager) -> [UInt8] {
        var body = ByteBuffer()
        body.reserveCapacity(4 + state.producers.count * entrySize)
        body.writeInteger(Int32(state.producers.count))
        for (id, entry) in state.producers.sorted(by: { $0.key < $1.key }) {
            let last = entry.batches.last
            body.writeInteger(id)
            body.writeInteger(entry.producerEpoch)
            body.writeInteger(last?.lastSequence ?? -1)
            body.writeInteger(last?.lastOffset ?? -1)
            body.writeInteger(last.map { Int32(clamping: $0.lastOffset - $0.firstOffset) } ?? 0)
            body.writeInteger(entry.lastTimestamp)
            body.writeInteger(entry.coordinatorEpoch)
            body.writeInteger(entry.currentTransactionFirstOffset ?? -1)
        }
        var file = ByteBuffer()
        file.writeInteger(version)
        file.writeInteger(CRC32C.checksum(body))
        file.writeBuffer(&body)
        return Array(file.readableBytesView)
    }

    /// The entries of a snapshot; nil when the version, the CRC or the length is wrong.
    public static func parse(_ bytes: [UInt8]) -> [ProducerStateEntry]? {
        var buffer = ByteBuffer(bytes: bytes)
        guard buffer.readInteger(as: Int16.self) == version, let crc = buffer.readInteger(as: UInt32.self),
              CRC32C.checksum(buffer) == crc, let count = buffer.readInteger(as: Int32.self), count >= 0,
              buffer.readableBytes == Int(count) * entrySize else { return nil }
        var entries: [ProducerStateEntry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let id = buffer.readInteger(as: Int64.self), let epoch = buffer.readInteger(as: Int16.self),
                  let lastSequence = buffer.readInteger(as: Int32.self), let lastOffset = buffer.readInteger(as: Int64.self),
                  let delta = buffer.readInteger(as: Int32.self), let timestamp = buffer.readInteger(as: Int64.self),
                  let coordinatorEpoch = buffer.readInteger(as: Int32.self), let txnFirst = buffer.readInteger(as: Int64.self),
                  id >= 0, delta >= 0 else { return nil }
            var batches: [ProducerBatchMetadata] = []
            if lastOffset >= 0 {
                let firstSequence = lastSequence >= delta ? lastSequence - delta : Int32(Int64(lastSequence) - Int64(delta) + Int64(Int32.max) + 1)
                batches.append(ProducerBatchMetadata(
                    firstSequence: firstSequence, lastSequence: lastSequence, firstOffset: lastOffset - Int64(delta),
                    lastOffset: lastOffset, timestamp: timestamp))
            }
            var entry = ProducerStateEntry(producerId: id, producerEpoch: epoch, batches: batches)
            entry.coordinatorEpoch = coordinatorEpoch
            entry.lastTimestamp = timestamp
            entry.currentTransactionFirstOffset = txnFirst >= 0 ? txnFirst : nil
            entries.append(entry)
        }
        return entries
    }
}

extension ProducerStateManager {
    /// State restored from a snapshot's entries: each producer with its open transaction, if any.
    public init(restoring entries: [ProducerStateEntry], unknownProducerPolicy: UnknownProducerPolicy) {
        self.init(unknownProducerPolicy: unknownProducerPolicy)
        for entry in entries { restore(entry) }
    }
}

import NIOCore

/// Kafka's `.txnindex` format (`TransactionIndex`): one 34-byte entry per transaction aborted by a
/// marker in the segment of the same base offset, in marker order, no header:
///
///     version             int16  0
///     producer_id         int64
///     first_offset        int64  the transaction's first batch
///     last_offset         int64  its ABORT marker
///     last_stable_offset  int64  the last stable offset right after the marker
///
/// Entries are appended as markers are written; a crash can leave a partial last entry, which parsing
/// ignores (recovery rewrites the file of every segment it scans).
public enum TransactionIndex {
    public static let entrySize = 34
    static let version: Int16 = 0

    public static func encode(_ entries: [AbortedTransaction]) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(entries.count * entrySize)
        for entry in entries {
            buffer.writeInteger(version)
            buffer.writeInteger(entry.producerId)
            buffer.writeInteger(entry.firstOffset)
            buffer.writeInteger(entry.lastOffset)
            buffer.writeInteger(entry.lastStableOffset)
        }
        return Array(buffer.readableBytesView)
    }

    /// The whole entries of `bytes`; nil when an entry has another version or impossible offsets (an
    /// ABORT marker comes after its transaction's first batch, markers in increasing order): a file
    /// that is not a transaction index, or zeros a crash left in an append.
    public static func parse(_ bytes: [UInt8]) -> [AbortedTransaction]? {
        var buffer = ByteBuffer(bytes: bytes)
        var entries: [AbortedTransaction] = []
        while buffer.readableBytes >= entrySize {
            guard buffer.readInteger(as: Int16.self) == version,
                  let producerId = buffer.readInteger(as: Int64.self), let first = buffer.readInteger(as: Int64.self),
                  let last = buffer.readInteger(as: Int64.self), let stable = buffer.readInteger(as: Int64.self),
                  producerId >= 0, first >= 0, first < last, stable >= 0, entries.last.map({ $0.lastOffset < last }) ?? true
            else { return nil }
            entries.append(AbortedTransaction(producerId: producerId, firstOffset: first, lastOffset: last, lastStableOffset: stable))
        }
        return entries
    }
}

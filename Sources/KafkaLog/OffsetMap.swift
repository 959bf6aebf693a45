import NIOCore

/// The cleaner's key → latest offset map over the dirty section of a log (Kafka's `OffsetMap`), plus
/// the last offset of the last batch it has seen. Kafka keeps 16-byte key hashes in a fixed buffer;
/// this map keeps the keys themselves, so two keys never collide, and its size is bounded instead by
/// the byte budget of a cleaning round.
struct OffsetMap {
    private var offsets: [ByteBuffer: Int64] = [:]
    /// The largest batch last offset added, -1 when none.
    private(set) var latestOffset: Int64 = -1

    var count: Int { offsets.count }

    /// Records `offset` as the key's latest. A new key is copied out of the batch it came in, so the
    /// map does not keep whole decompressed batches alive.
    mutating func put(key: ByteBuffer, offset: Int64) {
        if let index = offsets.index(forKey: key) {
            offsets.values[index] = offset
        } else {
            var copy = ByteBufferAllocator().buffer(capacity: key.readableBytes)
            copy.writeImmutableBuffer(key)
            offsets[copy] = offset
        }
    }

    mutating func updateLatestOffset(_ offset: Int64) {
        latestOffset = max(latestOffset, offset)
    }

    /// The latest offset of `key`, or -1 when the dirty section does not hold it.
    func get(_ key: ByteBuffer) -> Int64 { offsets[key] ?? -1 }
}

import NIOCore

/// A run of whole record batches in a segment file: `length` bytes at `position` of `file`. This is
/// what a fetch returns, so that a server may `sendfile(descriptor, position, length)` instead of
/// copying; ``readBytes(allocator:)`` copies them into memory instead.
///
/// The file stays open while the range exists (see ``LogFile``), even when its segment's file is
/// evicted from the ``LogFileCache`` or deleted meanwhile. If the log is truncated below
/// `position + length` meanwhile, reading returns fewer bytes, and ``readBytes(allocator:)`` throws.
public struct LogFileRange: Sendable {
    public let file: LogFile
    public let position: Int64
    public let length: Int

    public init(file: LogFile, position: Int64, length: Int) {
        self.file = file
        self.position = position
        self.length = length
    }

    public var path: String { file.path }
    public var descriptor: Int32 { file.descriptor }

    /// The range's bytes, read with `pread`.
    public func readBytes(allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(LogError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: length)
        let count = try file.read(into: &buffer, at: position, length: length)
        guard count == length else {
            throw LogError.corruptSegment(path: file.path, position: position + Int64(count), reason: "range of \(length) bytes ended after \(count) (truncated meanwhile)")
        }
        return buffer
    }
}

/// The answer to ``PartitionLog/read(fetchOffset:maxBytes:minOneBatch:upperBound:)``: whole batches
/// starting with the one that contains the fetch offset (its first records may lie before the fetch
/// offset, as in Kafka; consumers skip them), plus the offsets a Fetch response reports.
public struct FetchData: Sendable {
    public var fetchOffset: Int64
    /// Nil when there is nothing to return (fetch offset at the bound, or the first batch did not fit
    /// and `minOneBatch` was false).
    public var records: LogFileRange?
    public var highWatermark: Int64
    public var logStartOffset: Int64
    public var logEndOffset: Int64

    public init(fetchOffset: Int64, records: LogFileRange?, highWatermark: Int64, logStartOffset: Int64, logEndOffset: Int64) {
        self.fetchOffset = fetchOffset
        self.records = records
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.logEndOffset = logEndOffset
    }

    /// The records' bytes (empty when there are none).
    public func readRecords(allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(LogError) -> ByteBuffer {
        guard let records else { return allocator.buffer(capacity: 0) }
        return try records.readBytes(allocator: allocator)
    }
}

/// A record's timestamp and offset, as ListOffsets returns them; `leaderEpoch` is the partition leader
/// epoch of the batch holding the record, when a batch was read to find it.
public struct TimestampAndOffset: Hashable, Sendable {
    public var timestamp: Int64
    public var offset: Int64
    public var leaderEpoch: Int32?

    public init(timestamp: Int64, offset: Int64, leaderEpoch: Int32? = nil) {
        self.timestamp = timestamp
        self.offset = offset
        self.leaderEpoch = leaderEpoch
    }
}

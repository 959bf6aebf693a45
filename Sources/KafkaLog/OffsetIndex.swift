/// A segment's sparse offset index (Kafka's `.index`): entries of 8 bytes, big-endian,
///
///     relativeOffset  int32  offset - the segment's base offset
///     position        int32  byte position in the segment's `.log` of a batch start
///
/// As in Kafka, an entry maps the *last* offset of a batch to that batch's position, and one is added
/// per `index.interval.bytes` of log. Both columns strictly increase. ``lookup(offset:)`` returns the
/// greatest entry at or below an offset: the batch holding that offset starts there or later, so a
/// reader scans forward from it. Pure value: the segment writes the entries to disk.
public struct OffsetIndex: Hashable, Sendable {
    public static let entrySize = 8

    public struct Entry: Hashable, Sendable {
        public var relativeOffset: Int32
        public var position: Int32
    }

    public let baseOffset: Int64
    /// `segment.index.bytes / 8`: when reached, the segment rolls.
    public let maxEntries: Int
    public private(set) var entries: [Entry] = []

    public init(baseOffset: Int64, maxEntries: Int) {
        self.baseOffset = baseOffset
        self.maxEntries = max(1, maxEntries)
    }

    public var isFull: Bool { entries.count >= maxEntries }

    /// The offset of the last entry, or the base offset when empty.
    public var lastOffset: Int64 { entries.last.map { baseOffset + Int64($0.relativeOffset) } ?? baseOffset }

    /// Whether `offset` is expressible relative to the base offset (0...Int32.max away).
    public func canAppend(offset: Int64) -> Bool {
        offset >= baseOffset && offset - baseOffset <= Int64(Int32.max)
    }

    /// The greatest entry whose offset is <= `offset`, or (baseOffset, 0) when there is none.
    public func lookup(offset: Int64) -> (offset: Int64, position: Int64) {
        let target = offset - baseOffset
        let slot = entries.lastIndex(atOrBelow: target) { Int64($0.relativeOffset) }
        guard let slot else { return (baseOffset, 0) }
        return (baseOffset + Int64(entries[slot].relativeOffset), Int64(entries[slot].position))
    }

    /// The greatest entry whose position is <= `position`, or nil.
    public func lookup(position: Int64) -> (offset: Int64, position: Int64)? {
        guard let slot = entries.lastIndex(atOrBelow: position, key: { Int64($0.position) }) else { return nil }
        return (baseOffset + Int64(entries[slot].relativeOffset), Int64(entries[slot].position))
    }

    /// Adds an entry when it is strictly after the last one in both columns and fits; returns whether it did.
    @discardableResult
    public mutating func append(offset: Int64, position: Int64) -> Bool {
        guard !isFull, canAppend(offset: offset), position >= 0, position <= Int64(Int32.max) else { return false }
        if let last = entries.last, offset - baseOffset <= Int64(last.relativeOffset) || position <= Int64(last.position) {
            return false
        }
        entries.append(Entry(relativeOffset: Int32(offset - baseOffset), position: Int32(position)))
        return true
    }

    /// Removes the entries whose offset is >= `offset`.
    public mutating func truncate(toOffset offset: Int64) {
        let keep = entries.lastIndex(atOrBelow: offset - baseOffset - 1) { Int64($0.relativeOffset) }.map { $0 + 1 } ?? 0
        entries.removeSubrange(keep...)
    }

    public mutating func removeAll() { entries.removeAll() }

    /// The file form of the entries from `index` on.
    public func encoded(from index: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity((entries.count - index) * Self.entrySize)
        for entry in entries[index...] {
            bytes.appendBigEndian(entry.relativeOffset)
            bytes.appendBigEndian(entry.position)
        }
        return bytes
    }

    /// Reads an index file's bytes. Nil when they are not a valid index for a log of `logSize` bytes:
    /// a length not a multiple of 8, offsets or positions not strictly increasing, a negative relative
    /// offset, or a position at or past the end of the log.
    public init?(decoding bytes: [UInt8], baseOffset: Int64, maxEntries: Int, logSize: Int64) {
        guard bytes.count % Self.entrySize == 0 else { return nil }
        self.init(baseOffset: baseOffset, maxEntries: max(maxEntries, bytes.count / Self.entrySize))
        var at = 0
        while at < bytes.count {
            let relative = bytes.readBigEndian(Int32.self, at: at)
            let position = bytes.readBigEndian(Int32.self, at: at + 4)
            at += Self.entrySize
            guard relative >= 0, position >= 0, Int64(position) < logSize else { return nil }
            if let last = entries.last, relative <= last.relativeOffset || position <= last.position { return nil }
            entries.append(Entry(relativeOffset: relative, position: position))
        }
    }
}

extension Array {
    /// The index of the last element whose key is <= `target`, for an array sorted by strictly increasing key.
    func lastIndex(atOrBelow target: Int64, key: (Element) -> Int64) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if key(self[mid]) <= target { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }
}

extension [UInt8] {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var big = value.bigEndian
        Swift.withUnsafeBytes(of: &big) { append(contentsOf: $0) }
    }

    /// Reads a big-endian integer; the caller has checked the bounds.
    func readBigEndian<T: FixedWidthInteger>(_: T.Type, at index: Int) -> T {
        var value: T = 0
        for byte in self[index..<(index + MemoryLayout<T>.size)] { value = value << 8 | T(truncatingIfNeeded: byte) }
        return value
    }
}

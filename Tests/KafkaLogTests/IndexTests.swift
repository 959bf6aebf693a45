import Testing
@testable import KafkaLog

@Suite struct OffsetIndexTests {
    func sample() -> OffsetIndex {
        var index = OffsetIndex(baseOffset: 100, maxEntries: 10)
        do { let added = index.append(offset: 104, position: 300); #expect(added) }
        do { let added = index.append(offset: 110, position: 700); #expect(added) }
        do { let added = index.append(offset: 120, position: 1500); #expect(added) }
        return index
    }

    @Test func lookupGivesTheGreatestEntryAtOrBelow() {
        let index = sample()
        #expect(index.lookup(offset: 100) == (100, 0))
        #expect(index.lookup(offset: 103) == (100, 0))
        #expect(index.lookup(offset: 104) == (104, 300))
        #expect(index.lookup(offset: 109) == (104, 300))
        #expect(index.lookup(offset: 110) == (110, 700))
        #expect(index.lookup(offset: 5_000) == (120, 1500))
        #expect(index.lookup(position: 299) == nil)
        #expect(index.lookup(position: 300)! == (104, 300))
        #expect(index.lookup(position: 1499)! == (110, 700))
    }

    @Test func appendRejectsNonIncreasingOffsetsOrPositionsAndOverflow() {
        var index = sample()
        do { let added = index.append(offset: 120, position: 2000); #expect(!added) }
        do { let added = index.append(offset: 121, position: 1500); #expect(!added) }
        do { let added = index.append(offset: 99, position: 5000); #expect(!added) }
        do { let added = index.append(offset: 100 + Int64(Int32.max) + 1, position: 5000); #expect(!added) }
        #expect(index.entries.count == 3)
    }

    @Test func fullIndexRefusesEntries() {
        var index = OffsetIndex(baseOffset: 0, maxEntries: 2)
        do { let added = index.append(offset: 1, position: 10); #expect(added) }
        do { let added = index.append(offset: 2, position: 20); #expect(added) }
        #expect(index.isFull)
        do { let added = index.append(offset: 3, position: 30); #expect(!added) }
    }

    @Test func truncateRemovesEntriesAtOrAboveTheOffset() {
        var index = sample()
        index.truncate(toOffset: 110)
        #expect(index.entries.map(\.relativeOffset) == [4])
        index.truncate(toOffset: 0)
        #expect(index.entries.isEmpty)
    }

    @Test func encodingRoundTripsBigEndian() {
        let index = sample()
        let bytes = index.encoded()
        #expect(bytes.count == 24)
        #expect(Array(bytes[0..<8]) == [0, 0, 0, 4, 0, 0, 0x01, 0x2C])
        let decoded = OffsetIndex(decoding: bytes, baseOffset: 100, maxEntries: 10, logSize: 2000)
        #expect(decoded == index)
    }

    @Test func decodingRejectsInsaneFiles() {
        let bytes = sample().encoded()
        #expect(OffsetIndex(decoding: Array(bytes.dropLast()), baseOffset: 100, maxEntries: 10, logSize: 2000) == nil)
        #expect(OffsetIndex(decoding: bytes, baseOffset: 100, maxEntries: 10, logSize: 1500) == nil, "position past the log")
        let swapped = Array(bytes[8..<16] + bytes[0..<8] + bytes[16...])
        #expect(OffsetIndex(decoding: swapped, baseOffset: 100, maxEntries: 10, logSize: 2000) == nil)
        #expect(OffsetIndex(decoding: [UInt8](repeating: 0, count: 16), baseOffset: 0, maxEntries: 10, logSize: 100) == nil, "zero-filled")
        #expect(OffsetIndex(decoding: [], baseOffset: 0, maxEntries: 10, logSize: 0) == OffsetIndex(baseOffset: 0, maxEntries: 10))
    }
}

@Suite struct TimeIndexTests {
    @Test func appendsOnlyGrowingTimestamps() {
        var index = TimeIndex(baseOffset: 50, maxEntries: 3)
        #expect(index.lastEntry == (-1, 50))
        do { let added = index.maybeAppend(timestamp: 10, offset: 52); #expect(added) }
        do { let added = index.maybeAppend(timestamp: 10, offset: 53); #expect(!added) }
        do { let added = index.maybeAppend(timestamp: 9, offset: 60); #expect(!added) }
        do { let added = index.maybeAppend(timestamp: 11, offset: 51); #expect(!added, "offsets must not go back") }
        do { let added = index.maybeAppend(timestamp: 20, offset: 60); #expect(added) }
        do { let added = index.maybeAppend(timestamp: 30, offset: 70); #expect(added) }
        #expect(index.isFull)
        do { let added = index.maybeAppend(timestamp: 40, offset: 80); #expect(!added) }
        do { let added = index.maybeAppend(timestamp: 40, offset: 80, skipFullCheck: true); #expect(added) }
        #expect(index.lastEntry == (40, 80))
    }

    @Test func lookupAndTruncate() {
        var index = TimeIndex(baseOffset: 0, maxEntries: 10)
        index.maybeAppend(timestamp: 100, offset: 3)
        index.maybeAppend(timestamp: 200, offset: 9)
        #expect(index.lookup(timestamp: 99) == (-1, 0))
        #expect(index.lookup(timestamp: 100) == (100, 3))
        #expect(index.lookup(timestamp: 199) == (100, 3))
        #expect(index.lookup(timestamp: 1_000) == (200, 9))
        index.truncate(toOffset: 9)
        #expect(index.lastEntry == (100, 3))
    }

    @Test func encodingRoundTripsAndRejectsInsaneFiles() {
        var index = TimeIndex(baseOffset: 7, maxEntries: 10)
        index.maybeAppend(timestamp: 0x0102, offset: 8)
        index.maybeAppend(timestamp: 0x0203, offset: 12)
        let bytes = index.encoded()
        #expect(Array(bytes[0..<12]) == [0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1])
        #expect(TimeIndex(decoding: bytes, baseOffset: 7, maxEntries: 10) == index)
        #expect(TimeIndex(decoding: Array(bytes.dropLast()), baseOffset: 7, maxEntries: 10) == nil)
        #expect(TimeIndex(decoding: Array(bytes[12...] + bytes[..<12]), baseOffset: 7, maxEntries: 10) == nil)
    }
}

@Suite struct LogFileNamesTests {
    @Test func segmentNamesAreTwentyDigits() {
        #expect(LogFileNames.segmentFileName(baseOffset: 0, suffix: ".log") == "00000000000000000000.log")
        #expect(LogFileNames.segmentFileName(baseOffset: 170_410, suffix: ".index") == "00000000000000170410.index")
        #expect(LogFileNames.baseOffset(fromFileName: "00000000000000170410.timeindex", suffix: ".timeindex") == 170_410)
        #expect(LogFileNames.baseOffset(fromFileName: "0000000000000017041.log", suffix: ".log") == nil)
        #expect(LogFileNames.baseOffset(fromFileName: "00000000000000170410.log.tmp", suffix: ".log") == nil)
        #expect(LogFileNames.baseOffset(fromFileName: "0000000000000017041x.log", suffix: ".log") == nil)
        #expect(LogFileNames.partitionDirectoryName(topic: "orders", partition: 12) == "orders-12")
    }

    @Test func checkpointFormatRoundTrips() {
        let checkpoint = OffsetCheckpoint(entries: [.init(topic: "orders", partition: 3, offset: 42)])
        let bytes = checkpoint.encoded()
        #expect(String(decoding: bytes, as: UTF8.self) == "0\n1\norders 3 42\n")
        #expect(OffsetCheckpoint(parsing: bytes) == checkpoint)
        #expect(OffsetCheckpoint(parsing: bytes)?.offset(topic: "orders", partition: 3) == 42)
        #expect(OffsetCheckpoint(parsing: Array("1\n1\norders 3 42\n".utf8)) == nil, "unknown version")
        #expect(OffsetCheckpoint(parsing: Array("0\n2\norders 3 42\n".utf8)) == nil, "fewer entries than declared")
        #expect(OffsetCheckpoint(parsing: Array("0\n1\norders 3\n".utf8)) == nil)
        #expect(OffsetCheckpoint(parsing: [0xFF, 0xFE]) == nil)
    }
}

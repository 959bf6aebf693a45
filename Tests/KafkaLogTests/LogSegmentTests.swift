import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

@Suite struct LogSegmentTests {
    let config = LogConfig(indexIntervalBytes: 150)

    /// A segment at base 100 with `count` batches of 1...4 records, some compressed.
    func makeSegment(_ directory: TemporaryDirectory, count: Int = 40) throws -> (LogSegment, [RecordBatchHeader]) {
        let segment = try LogSegment.create(directory: directory.path, baseOffset: 100, config: config, now: 0)
        var headers: [RecordBatchHeader] = []
        var next: Int64 = 100
        for i in 0..<count {
            var batch = try RecordBatch(bytes: Fixtures.batch(count: i % 4 + 1, firstValue: next, timestamp: 10 * Int64(i), compression: i % 3 == 0 ? .zstd : .none))
            batch.setBaseOffset(next)
            try segment.append(batch)
            headers.append(batch.header)
            next = batch.header.nextOffset
        }
        return (segment, headers)
    }

    @Test func appendTracksSizeOffsetsAndTimestamps() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (segment, headers) = try makeSegment(directory)
        #expect(segment.size == Int64(headers.reduce(0) { $0 + $1.totalSize }))
        #expect(segment.nextOffset == headers.last!.nextOffset)
        #expect(segment.maxTimestampSoFar == headers.last!.maxTimestamp)
        #expect(segment.firstBatchTimestamp == headers[0].maxTimestamp)
        #expect(!segment.offsetIndex.entries.isEmpty)
        #expect(try Fixtures.readFile(segment.logPath).count == Int(segment.size))
        // Appends change the indexes in memory only; sealing writes the files.
        #expect(try Fixtures.readFile(segment.offsetIndexPath).isEmpty)
        try segment.seal()
        #expect(try Fixtures.readFile(segment.offsetIndexPath) == segment.offsetIndex.encoded())
        #expect(try Fixtures.readFile(segment.timeIndexPath) == segment.timeIndex.encoded())
    }

    @Test func appendRejectsOffsetsGoingBackwards() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (segment, _) = try makeSegment(directory, count: 2)
        var batch = try RecordBatch(bytes: Fixtures.batch(count: 1, firstValue: 0))
        batch.setBaseOffset(100)
        #expect(throws: LogError.self) { try segment.append(batch) }
    }

    /// Every offset in the segment, including those inside compressed multi-record batches, reads from
    /// the batch containing it.
    @Test func everyOffsetReadsFromItsBatch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (segment, headers) = try makeSegment(directory)
        var position: Int64 = 0
        for header in headers {
            for offset in header.baseOffset...header.lastOffset {
                let range = try #require(try segment.read(startOffset: offset, maxBytes: 1, minOneBatch: true))
                #expect(range.position == position)
                #expect(range.length == header.totalSize)
                let read = try RecordBatch(bytes: range.readBytes())
                #expect(read.header == header)
            }
            position += Int64(header.totalSize)
        }
        #expect(try segment.read(startOffset: segment.nextOffset, maxBytes: 100, minOneBatch: true) == nil)
        let below = try #require(try segment.read(startOffset: 0, maxBytes: 1, minOneBatch: true))
        #expect(below.position == 0)
    }

    @Test func readStopsAtMaxBytesOnABatchBoundary() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (segment, headers) = try makeSegment(directory)
        let sizes = headers.map(\.totalSize)
        let twoAndABit = sizes[0] + sizes[1] + sizes[2] - 1
        let range = try #require(try segment.read(startOffset: 100, maxBytes: twoAndABit, minOneBatch: false))
        #expect(range.length == sizes[0] + sizes[1])
        let exact = try #require(try segment.read(startOffset: 100, maxBytes: sizes[0] + sizes[1] + sizes[2], minOneBatch: false))
        #expect(exact.length == sizes[0] + sizes[1] + sizes[2])
        let none = try #require(try segment.read(startOffset: 100, maxBytes: sizes[0] - 1, minOneBatch: false))
        #expect(none.length == 0)
        let one = try #require(try segment.read(startOffset: 100, maxBytes: 0, minOneBatch: true))
        #expect(one.length == sizes[0])
        let all = try #require(try segment.read(startOffset: 100, maxBytes: Int(Int32.max), minOneBatch: false))
        #expect(Int64(all.length) == segment.size)
    }

    @Test func readHonoursTheUpperBoundOffset() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (segment, headers) = try makeSegment(directory)
        // Bound inside the third batch: only the first two batches (whose last offsets are below it).
        let bound = headers[2].baseOffset + Int64(headers[2].lastOffsetDelta)
        let range = try #require(try segment.read(startOffset: 100, maxBytes: 1 << 20, minOneBatch: true, maxOffset: bound))
        #expect(range.length == headers[0].totalSize + headers[1].totalSize)
        let atBound = try #require(try segment.read(startOffset: headers[2].baseOffset, maxBytes: 1 << 20, minOneBatch: true, maxOffset: headers[2].baseOffset))
        #expect(atBound.length == 0)
    }

    @Test func truncateCutsWholeBatchesAndIndexEntries() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (segment, headers) = try makeSegment(directory)
        let cutBatch = headers[25]
        let target = cutBatch.baseOffset + Int64(cutBatch.lastOffsetDelta)  // inside (or at) batch 25
        let kept = headers[..<25]
        try segment.truncate(to: target, now: 5)
        #expect(segment.size == Int64(kept.reduce(0) { $0 + $1.totalSize }))
        #expect(segment.nextOffset == kept.last!.nextOffset)
        #expect(segment.maxTimestampSoFar == kept.last!.maxTimestamp)
        #expect(segment.offsetIndex.entries.allSatisfy { Int64($0.position) < segment.size })
        #expect(try Fixtures.readFile(segment.offsetIndexPath) == segment.offsetIndex.encoded())
        #expect(try Fixtures.readFile(segment.timeIndexPath) == segment.timeIndex.encoded())
        var batch = try RecordBatch(bytes: Fixtures.batch(count: 2, firstValue: 0, timestamp: 1))
        batch.setBaseOffset(segment.nextOffset)
        #expect(try segment.append(batch) == Int64(kept.reduce(0) { $0 + $1.totalSize }))
        try segment.truncate(to: 0, now: 9)
        #expect(segment.size == 0 && segment.nextOffset == 100 && segment.firstBatchTimestamp == nil && segment.created == 9)
    }

    @Test func recoveryRebuildsTheSameIndexes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (segment, _) = try makeSegment(directory)
        try segment.seal()
        let offsets = segment.offsetIndex
        let times = segment.timeIndex
        try Fixtures.writeFile(segment.offsetIndexPath, [1, 2, 3])
        try Fixtures.writeFile(segment.timeIndexPath, [])
        let reopened = try LogSegment.open(directory: directory.path, baseOffset: 100, config: config, now: 0, mode: .recover(truncatingCorruptTail: true))
        #expect(reopened.lastRecovery?.truncatedBytes == 0)
        #expect(reopened.lastRecovery?.batchCount == 40)
        #expect(reopened.offsetIndex == offsets)
        #expect(reopened.timeIndex == times)
        #expect(reopened.nextOffset == segment.nextOffset)
        #expect(try Fixtures.readFile(reopened.offsetIndexPath) == offsets.encoded())
    }

    @Test func loadTrustsSaneIndexesAndRebuildsInsaneOnes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (segment, headers) = try makeSegment(directory)
        try segment.seal()
        let loaded = try LogSegment.open(directory: directory.path, baseOffset: 100, config: config, now: 0, mode: .load)
        #expect(loaded.offsetIndex == segment.offsetIndex)
        #expect(loaded.nextOffset == headers.last!.nextOffset)
        #expect(loaded.maxTimestampSoFar == segment.maxTimestampSoFar)
        #expect(loaded.firstBatchTimestamp == headers[0].maxTimestamp)
        // An entry pointing into the middle of a batch: not sane, rebuilt.
        var bogus = segment.offsetIndex.encoded()
        bogus[bogus.count - 1] &+= 1
        try Fixtures.writeFile(segment.offsetIndexPath, bogus)
        let rebuilt = try LogSegment.open(directory: directory.path, baseOffset: 100, config: config, now: 0, mode: .load)
        #expect(rebuilt.offsetIndex == segment.offsetIndex)
        #expect(rebuilt.nextOffset == headers.last!.nextOffset)
    }

    @Test func findOffsetByTimestampDecodesOnlyTheMatchingBatch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (segment, headers) = try makeSegment(directory)
        // Batch i has records with timestamps 10*i, 10*i+1, ...
        let batch = headers[9]  // 9 % 4 + 1 = 2 records, zstd (9 % 3 == 0)
        let found = try segment.findOffset(forTimestamp: 91, startingOffset: 0, decompressionLimit: 1 << 20)
        #expect(found == TimestampAndOffset(timestamp: 91, offset: batch.baseOffset + 1, leaderEpoch: -1))
        let exact = try segment.findOffset(forTimestamp: 90, startingOffset: 0, decompressionLimit: 1 << 20)
        #expect(exact?.offset == batch.baseOffset)
        let gap = try segment.findOffset(forTimestamp: 92, startingOffset: 0, decompressionLimit: 1 << 20)
        #expect(gap?.offset == headers[10].baseOffset)
        let late = try segment.findOffset(forTimestamp: 90, startingOffset: headers[20].baseOffset, decompressionLimit: 1 << 20)
        #expect(late?.offset == headers[20].baseOffset)
        #expect(try segment.findOffset(forTimestamp: 10_000, startingOffset: 0, decompressionLimit: 1 << 20) == nil)
    }
}

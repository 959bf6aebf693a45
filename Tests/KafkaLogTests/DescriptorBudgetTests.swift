#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// Partition logs under a descriptor budget: each test gives its logs a file cache of its own and
/// counts only descriptors under its own directory, so tests running in parallel do not interfere.
/// (Before the cache, every segment held three descriptors for its whole life.)
@Suite(.enabled(if: OpenDescriptors.countable)) struct DescriptorBudgetTests {
    static let smallSegments = LogConfig(segmentBytes: 1_000, indexIntervalBytes: 150)

    /// A log of 50 segments holds at most its cache's capacity, not 150 descriptors; reopened, it holds
    /// only the active segment's file until read.
    @Test func aLogOfFiftySegmentsHoldsNoMoreThanTheBudget() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = LogFileCache(capacity: 8)
        let log = try Fixtures.open(directory, config: Self.smallSegments, fileCache: cache)
        while log.segments.count < 50 {
            try Fixtures.fill(log, batches: 1, padding: 40)
            #expect(OpenDescriptors.count(under: directory.path) <= 8)
        }
        let end = log.logEndOffset
        // Dropped without close, as in a crash.
        let reopenedCache = LogFileCache(capacity: 8)
        let reopened = try Fixtures.open(directory, config: Self.smallSegments, fileCache: reopenedCache)
        #expect(reopened.segments.count == 50 && reopened.logEndOffset == end)
        #expect(reopenedCache.openCount == 1, "the active segment's file only")
        #expect(cache.openCount == 8)
        #expect(OpenDescriptors.count(under: directory.path) == 8 + 1)
        _ = consume log
        #expect(cache.openCount == 0, "segments release their files when they go")
        #expect(OpenDescriptors.count(under: directory.path) == 1)
        Fixtures.expectContiguous(try Fixtures.readAll(reopened, maxBytes: 300), from: 0, to: end)
        #expect(reopenedCache.openCount == 8)
        try reopened.close()
        #expect(reopenedCache.openCount == 0)
    }

    /// 500 logs with a budget of 64: created, appended to in turns, closed, reopened and read back,
    /// never holding more than 64 descriptors.
    @Test func fiveHundredLogsStayWithinABudgetOf64() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = LogFileCache(capacity: 64)
        func open(_ partition: Int) throws -> PartitionLog {
            try PartitionLog.open(logDirectory: directory.path, topic: Fixtures.topic, partition: Int32(partition), config: Self.smallSegments, now: 0, fileCache: cache)
        }
        var logs = try (0..<500).map(open)
        #expect(OpenDescriptors.count(under: directory.path) <= 64)
        for round in 0..<3 {
            for log in logs { try Fixtures.fill(log, batches: 1 + round, padding: 100) }
            #expect(OpenDescriptors.count(under: directory.path) <= 64, "round \(round)")
        }
        #expect(logs.allSatisfy { $0.segments.count > 1 })
        let ends = logs.map(\.logEndOffset)
        for log in logs { try log.close() }
        #expect(cache.openCount == 0)
        logs = try (0..<500).map(open)
        #expect(logs.map(\.logEndOffset) == ends)
        #expect(OpenDescriptors.count(under: directory.path) <= 64)
        for (log, end) in zip(logs, ends) {
            Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: end)
        }
        #expect(OpenDescriptors.count(under: directory.path) <= 64)
        #expect(cache.openCount == 64)
    }

    /// With room for one file, two logs evict each other's at every step; both keep appending, reading,
    /// flushing (a pending flush holding an evicted file included), and recover after a crash.
    @Test func anEvictedLogStillAppendsReadsFlushesAndRecovers() throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        defer { first.remove(); second.remove() }
        let cache = LogFileCache(capacity: 1)
        let a = try Fixtures.open(first, config: Self.smallSegments, fileCache: cache)
        let b = try Fixtures.open(second, config: Self.smallSegments, fileCache: cache)
        for _ in 0..<50 {
            try Fixtures.fill(a, batches: 1, padding: 20)
            #expect(a.activeSegment.file.isOpen && !b.activeSegment.file.isOpen)
            try Fixtures.fill(b, batches: 1, padding: 20)
            #expect(!a.activeSegment.file.isOpen)
        }
        #expect(a.segments.count > 3)
        Fixtures.expectContiguous(try Fixtures.readAll(a), from: 0, to: a.logEndOffset)
        Fixtures.expectContiguous(try Fixtures.readAll(b), from: 0, to: b.logEndOffset)

        try a.flush(now: 1)
        #expect(a.recoveryPoint == a.logEndOffset)
        do {
            try Fixtures.fill(a, batches: 2)
            let pending = try #require(try a.prepareFlush())
            try Fixtures.fill(b, batches: 1)
            #expect(!a.activeSegment.file.isOpen, "the pending flush's file was evicted")
            try pending.perform()
            a.completeFlush(pending, now: 2)
            #expect(a.recoveryPoint == a.logEndOffset)
        }
        #expect(OpenDescriptors.count(under: first.path) == 0, "an idle log holds no descriptor")

        // A crash: neither log is closed.
        let (endA, endB) = (a.logEndOffset, b.logEndOffset)
        let reopenedA = try Fixtures.open(first, config: Self.smallSegments, fileCache: cache)
        let reopenedB = try Fixtures.open(second, config: Self.smallSegments, fileCache: cache)
        #expect(reopenedA.logEndOffset == endA && reopenedB.logEndOffset == endB)
        Fixtures.expectContiguous(try Fixtures.readAll(reopenedA), from: 0, to: endA)
        Fixtures.expectContiguous(try Fixtures.readAll(reopenedB), from: 0, to: endB)
        #expect(try reopenedA.append(Fixtures.batch(count: 1, firstValue: endA), leaderEpoch: 0, now: 0).firstOffset == endA)
    }

    /// A fetched range keeps its file open, and readable, after the cache evicted it; the descriptor is
    /// released with the range.
    @Test func aRangeReadAfterItsFileWasEvictedReturnsItsBytes() throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        defer { first.remove(); second.remove() }
        let cache = LogFileCache(capacity: 1)
        let log = try Fixtures.open(first, fileCache: cache)
        try Fixtures.fill(log, batches: 10)
        do {
            let data = try log.read(fetchOffset: 3, maxBytes: 1 << 20, minOneBatch: true)
            let range = try #require(data.records)
            let expected = try Fixtures.readFile(log.activeSegment.logPath)[Int(range.position)..<Int(range.position) + range.length]
            _ = try Fixtures.open(second, fileCache: cache)
            #expect(!log.activeSegment.file.isOpen, "evicted")
            #expect(fcntl(range.descriptor, F_GETFD) >= 0)
            #expect(Array(buffer: try range.readBytes()) == Array(expected))
            #expect(OpenDescriptors.count(under: first.path) == 1, "held by the range only")
        }
        #expect(OpenDescriptors.count(under: first.path) == 0)
    }

    /// The active segment's `.log` deleted while evicted: the next append fails (and the log goes
    /// offline) rather than writing into a new empty file.
    @Test func anEvictedFileDeletedUnderneathIsAStorageError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = LogFileCache(capacity: 4)
        let log = try Fixtures.open(directory, fileCache: cache)
        try Fixtures.fill(log, batches: 3)
        log.activeSegment.releaseFile()
        let path = log.activeSegment.logPath
        try FileSystem.remove(path)
        #expect(throws: LogError.io(operation: "open", path: path, errno: ENOENT)) {
            try log.append(Fixtures.batch(count: 1, firstValue: 0), leaderEpoch: 0, now: 0)
        }
        #expect(!FileSystem.exists(path))
        #expect(log.storageFailure != nil)
    }

    /// After a crash the active segment's index files lag its entries (appends wrote memory only), a
    /// sealed segment may have lost its index files or hold garbage: reopening rebuilds them all as
    /// they were, on disk too, and every offset reads from its batch.
    @Test func aCrashRebuildsMissingStaleAndLaggingIndexFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = LogConfig(segmentBytes: 3_000, indexIntervalBytes: 150)
        let log = try Fixtures.open(directory, config: config, fileCache: LogFileCache(capacity: 4))
        try Fixtures.fill(log, batches: 80, codecs: [.none, .zstd], padding: 30)
        #expect(log.segments.count >= 4)
        let active = log.activeSegment
        #expect(!active.offsetIndex.entries.isEmpty)
        #expect(try Fixtures.readFile(active.offsetIndexPath).isEmpty, "lagging")
        let offsetIndexes = log.segments.map(\.offsetIndex)
        let sealedTimeIndexes = log.segments.dropLast().map(\.timeIndex)
        let sealed = log.segments.dropLast().map(\.baseOffset)
        try FileSystem.remove(Fixtures.segmentPath(directory, base: sealed[0], suffix: ".index"))
        try FileSystem.remove(Fixtures.segmentPath(directory, base: sealed[0], suffix: ".timeindex"))
        try Fixtures.writeFile(Fixtures.segmentPath(directory, base: sealed[1], suffix: ".index"), [1, 2, 3])
        try Fixtures.writeFile(Fixtures.segmentPath(directory, base: sealed[2], suffix: ".timeindex"), [0xFF])

        let reopened = try Fixtures.open(directory, config: config, fileCache: LogFileCache(capacity: 4))
        #expect(reopened.segments.map(\.offsetIndex) == offsetIndexes)
        #expect(reopened.segments.dropLast().map(\.timeIndex) == sealedTimeIndexes)
        for segment in reopened.segments {
            #expect(try Fixtures.readFile(segment.offsetIndexPath) == segment.offsetIndex.encoded(), "segment \(segment.baseOffset)")
            #expect(try Fixtures.readFile(segment.timeIndexPath) == segment.timeIndex.encoded(), "segment \(segment.baseOffset)")
        }
        for offset in 0..<reopened.logEndOffset {
            let batch = try RecordBatch(bytes: reopened.read(fetchOffset: offset, maxBytes: 1, minOneBatch: true).readRecords())
            #expect(batch.header.baseOffset <= offset && offset <= batch.header.lastOffset)
        }
        Fixtures.expectContiguous(try Fixtures.readAll(reopened), from: 0, to: reopened.logEndOffset)
    }
}

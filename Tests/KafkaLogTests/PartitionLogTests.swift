#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

@Suite struct PartitionLogTests {
    let smallSegments = LogConfig(segmentBytes: 2_000, indexIntervalBytes: 200)

    @Test func newLogIsEmptyAndLaidOutLikeKafka() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        #expect(log.logStartOffset == 0 && log.logEndOffset == 0 && log.highWatermark == 0)
        #expect(log.directory == directory.path + "/events-0")
        #expect(FileSystem.exists(Fixtures.segmentPath(directory, base: 0)))
        #expect(FileSystem.exists(Fixtures.segmentPath(directory, base: 0, suffix: ".index")))
        #expect(FileSystem.exists(Fixtures.segmentPath(directory, base: 0, suffix: ".timeindex")))
        let data = try log.read(fetchOffset: 0, maxBytes: 100, minOneBatch: true)
        #expect(data.records == nil)
    }

    @Test func appendAssignsOffsetsAndLeaderEpoch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        var two = Fixtures.batch(count: 3, firstValue: 0)
        var second = Fixtures.batch(count: 2, firstValue: 3)
        two.writeBuffer(&second)
        let info = try log.append(two, leaderEpoch: 7, now: 5)
        #expect(info.firstOffset == 0 && info.lastOffset == 4 && info.recordCount == 5 && !info.isDuplicate)
        #expect(info.logAppendTime == -1)
        #expect(info.maxTimestamp == 1_002)
        let next = try log.append(Fixtures.batch(count: 1, firstValue: 5), leaderEpoch: 8, now: 6)
        #expect(next.firstOffset == 5 && next.lastOffset == 5)
        #expect(log.logEndOffset == 6)
        let headers = try Fixtures.batches(inFile: Fixtures.segmentPath(directory, base: 0)).map(\.header)
        #expect(headers.map(\.baseOffset) == [0, 3, 5])
        #expect(headers.map(\.partitionLeaderEpoch) == [7, 7, 8])
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: 6)
    }

    @Test func roundTripAcrossSegmentRolls() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: smallSegments)
        try Fixtures.fill(log, batches: 120, padding: 20)
        #expect(log.segments.count > 5)
        for (segment, next) in zip(log.segments, log.segments.dropFirst()) {
            #expect(segment.nextOffset == next.baseOffset)
            #expect(segment.size <= 2_000)
        }
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: log.logEndOffset)
        Fixtures.expectContiguous(try Fixtures.readAll(log, maxBytes: 0), from: 0, to: log.logEndOffset)
        // Rolls sync nothing; the flush after them checkpoints the recovery point (this log keeps its own).
        #expect(log.recoveryPoint == 0)
        #expect(try !PartitionLogTests.names(in: log.directory).contains(LogFileNames.recoveryPointCheckpoint))
        #expect(log.hasUnflushedSealedSegment)
        try log.flush(now: 1)
        #expect(log.recoveryPoint == log.logEndOffset && !log.hasUnflushedSealedSegment)
        #expect(try PartitionLogTests.names(in: log.directory).contains(LogFileNames.recoveryPointCheckpoint))
    }

    /// A fetch at any offset returns first the whole batch that contains it, across all segments.
    @Test func fetchAtEveryOffsetReturnsTheContainingBatch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: smallSegments)
        try Fixtures.fill(log, batches: 60, maxRecords: 6, codecs: [.lz4, .none, .snappy, .zstd])
        for offset in 0..<log.logEndOffset {
            let data = try log.read(fetchOffset: offset, maxBytes: 1, minOneBatch: true)
            let batch = try RecordBatch(bytes: try data.readRecords())
            #expect(batch.header.baseOffset <= offset && offset <= batch.header.lastOffset)
            let records = try batch.decodeRecords(decompressionLimit: 1 << 20)
            let record = try #require(records.first { batch.header.baseOffset + Int64($0.offsetDelta) == offset })
            #expect(record.value == Array("m\(offset)".utf8))
        }
    }

    @Test func maxBytesAndMinOneBatch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        try Fixtures.fill(log, batches: 10, codecs: [.none])
        let sizes = try Fixtures.batches(inFile: Fixtures.segmentPath(directory, base: 0)).map(\.header.totalSize)
        let strict = try log.read(fetchOffset: 0, maxBytes: sizes[0] - 1, minOneBatch: false)
        #expect(strict.records == nil)
        let lenient = try log.read(fetchOffset: 0, maxBytes: sizes[0] - 1, minOneBatch: true)
        #expect(lenient.records?.length == sizes[0])
        let three = try log.read(fetchOffset: 0, maxBytes: sizes[0] + sizes[1] + sizes[2] + 5, minOneBatch: false)
        #expect(three.records?.length == sizes[0] + sizes[1] + sizes[2])
    }

    @Test func offsetOutOfRange() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        try Fixtures.fill(log, batches: 4)
        let end = log.logEndOffset
        #expect(throws: LogError.offsetOutOfRange(offset: end + 1, validRange: 0...end)) {
            try log.read(fetchOffset: end + 1, maxBytes: 100, minOneBatch: true)
        }
        #expect(throws: LogError.offsetOutOfRange(offset: -1, validRange: 0...end)) {
            try log.read(fetchOffset: -1, maxBytes: 100, minOneBatch: true)
        }
        #expect(LogError.offsetOutOfRange(offset: 0, validRange: 0...0).errorCode == .offsetOutOfRange)
        let atEnd = try log.read(fetchOffset: end, maxBytes: 100, minOneBatch: true)
        #expect(atEnd.records == nil && atEnd.logEndOffset == end)
    }

    @Test func upperBoundHidesBatchesPastTheHighWatermark() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        let infos = try Fixtures.fill(log, batches: 5)
        log.updateHighWatermark(infos[2].lastOffset + 1)
        let data = try log.read(fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true, upperBound: log.highWatermark)
        let batches = try RecordBatchReader(data.readRecords()).allHeaders()
        #expect(batches.map(\.baseOffset) == infos[0...2].map(\.firstOffset))
        #expect(data.highWatermark == infos[2].lastOffset + 1)
        let beyond = try log.read(fetchOffset: infos[3].firstOffset, maxBytes: 1 << 20, minOneBatch: true, upperBound: log.highWatermark)
        #expect(beyond.records == nil)
        #expect(log.updateHighWatermark(1_000) == log.logEndOffset)
    }

    @Test func logAppendTimeStampsBatchesAndKeepsCRCsValid() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        let info = try log.append(Fixtures.batch(count: 3, firstValue: 0, compression: .gzip), leaderEpoch: 1, timestampType: .logAppendTime, now: 777)
        #expect(info.logAppendTime == 777 && info.maxTimestamp == 777)
        let batch = try RecordBatch(bytes: log.read(fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true).readRecords())
        #expect(batch.header.timestampType == .logAppendTime && batch.header.maxTimestamp == 777)
        try batch.verifyCRC()
        #expect(try log.offsetForTimestamp(777) == TimestampAndOffset(timestamp: 777, offset: 0, leaderEpoch: 1))
    }

    @Test func appendRejectsBadInput() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: LogConfig(maxMessageBytes: 200))
        var corrupt = Fixtures.batch(count: 2, firstValue: 0)
        corrupt.setInteger(UInt8(0x55), at: corrupt.writerIndex - 1)
        #expect(throws: LogError.self) { try log.append(corrupt, leaderEpoch: 0, now: 0) }
        var partial = Fixtures.batch(count: 2, firstValue: 0)
        partial.moveWriterIndex(to: partial.writerIndex - 3)
        #expect(throws: LogError.self) { try log.append(partial, leaderEpoch: 0, now: 0) }
        #expect(throws: LogError.invalidBatch("no record batches")) { try log.append(ByteBuffer(), leaderEpoch: 0, now: 0) }
        let big = Fixtures.batch(count: 1, firstValue: 0, valuePadding: 300)
        #expect(throws: LogError.messageTooLarge(size: big.readableBytes, maximum: 200)) { try log.append(big, leaderEpoch: 0, now: 0) }
        var control = RecordBatchBuilder()
        control.append(.commit(coordinatorEpoch: 0), timestamp: 0)
        #expect(throws: LogError.self) { try log.append(control.build().bytes, leaderEpoch: 0, now: 0) }
        #expect(log.logEndOffset == 0 && log.size == 0)
    }

    @Test func flushWatermarkAndPolicy() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: LogConfig(flushMessages: 5, flushMs: 1_000), now: 100)
        #expect(log.unflushedMessages == 0 && !log.needsFlush(now: 5_000))
        try log.append(Fixtures.batch(count: 3, firstValue: 0), leaderEpoch: 0, now: 200)
        #expect(log.unflushedMessages == 3 && !log.needsFlush(now: 200) && log.needsFlush(now: 1_100))
        try log.append(Fixtures.batch(count: 2, firstValue: 3), leaderEpoch: 0, now: 300)
        #expect(log.needsFlush(now: 300))
        try log.flush(upTo: 2, now: 400)
        #expect(log.recoveryPoint == 5 && log.unflushedMessages == 0 && log.lastFlushTime == 400)
        try log.flush(now: 500)
        #expect(log.lastFlushTime == 400, "nothing to flush")
    }

    @Test func closeWritesCheckpointAndMarkerAndOpenRemovesTheMarker() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        try Fixtures.fill(log, batches: 3)
        let end = log.logEndOffset
        try log.close()
        #expect(throws: LogError.closed) { try log.append(Fixtures.batch(count: 1, firstValue: 0), leaderEpoch: 0, now: 0) }
        let dir = Fixtures.partitionDirectory(directory)
        #expect(FileSystem.exists(dir + "/" + LogFileNames.cleanShutdownMarker))
        let checkpoint = OffsetCheckpoint(parsing: try Fixtures.readFile(dir + "/" + LogFileNames.recoveryPointCheckpoint))
        #expect(checkpoint?.offset(topic: "events", partition: 0) == end)
        let reopened = try Fixtures.open(directory)
        #expect(reopened.openReport.cleanShutdown)
        #expect(reopened.logEndOffset == end && reopened.highWatermark == end)
        #expect(!FileSystem.exists(dir + "/" + LogFileNames.cleanShutdownMarker))
        Fixtures.expectContiguous(try Fixtures.readAll(reopened), from: 0, to: end)
    }

    @Test func deleteRemovesTheDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: smallSegments)
        try Fixtures.fill(log, batches: 30, padding: 40)
        let range = try #require(try log.read(fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true).records)
        try log.delete()
        #expect(!FileSystem.exists(Fixtures.partitionDirectory(directory)))
        #expect(try range.readBytes().readableBytes == range.length, "ranges handed out stay readable")
        #expect(throws: LogError.closed) { try log.read(fetchOffset: 0, maxBytes: 1, minOneBatch: true) }
    }

    @Test func timeBasedRollMeasuresFromTheFirstBatchTimestamp() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: LogConfig(segmentMs: 1_000))
        try log.append(Fixtures.batch(count: 1, firstValue: 0, timestamp: 10_000), leaderEpoch: 0, now: 0)
        try log.append(Fixtures.batch(count: 1, firstValue: 1, timestamp: 11_000), leaderEpoch: 0, now: 0)
        #expect(log.segments.count == 1)
        try log.append(Fixtures.batch(count: 1, firstValue: 2, timestamp: 11_001), leaderEpoch: 0, now: 0)
        #expect(log.segments.map(\.baseOffset) == [0, 2])
    }

    @Test func fullIndexRollsTheSegment() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: LogConfig(maxIndexBytes: 24, indexIntervalBytes: 0))
        try Fixtures.fill(log, batches: 10)
        #expect(log.segments.count > 1)
        #expect(log.segments.allSatisfy { $0.offsetIndex.entries.count <= 3 })
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: log.logEndOffset)
    }

    @Test func truncateRemovesBatchesFromTheOffsetOnAndRebuildsProducerState() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: smallSegments)
        try Fixtures.fill(log, batches: 60, codecs: [.none], padding: 30)
        let segmentsBefore = log.segments.count
        let target = log.segments[2].baseOffset + 1
        let producerBatch = Fixtures.batch(count: 2, firstValue: log.logEndOffset, producerId: 5, producerEpoch: 0, baseSequence: 0)
        try log.append(producerBatch, leaderEpoch: 3, now: 0)
        log.updateHighWatermark(log.logEndOffset)
        try log.truncate(to: target, now: 0)
        #expect(log.segments.count == 3 && segmentsBefore > 3)
        #expect(log.logEndOffset <= target && log.highWatermark == log.logEndOffset && log.recoveryPoint <= log.logEndOffset)
        #expect(log.producerState.entry(for: 5) == nil)
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: log.logEndOffset)
        let end = log.logEndOffset
        #expect(try log.append(Fixtures.batch(count: 1, firstValue: end), leaderEpoch: 4, now: 0).firstOffset == end)
        #expect(throws: LogError.self) { try log.truncate(to: -1, now: 0) }
        let reopened = try Fixtures.open(directory, config: smallSegments)
        #expect(reopened.logEndOffset == end + 1)
    }

    /// A failed write (here: the active segment's descriptor swapped for /dev/full, so pwrite or pwritev gives
    /// ENOSPC) takes the log offline; reopening recovers it. The log has a file cache of its own, so that
    /// nothing evicts the swapped descriptor meanwhile.
    @Test(.enabled(if: FileSystem.exists("/dev/full"))) func storageFailureTakesTheLogOffline() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, fileCache: LogFileCache(capacity: 8))
        try Fixtures.fill(log, batches: 3)
        let end = log.logEndOffset
        let full = openDevFull()
        try #require(full >= 0)
        dup2(full, try log.activeSegment.logFile.descriptor)
        close(full)
        #expect {
            try log.append(Fixtures.batch(count: 1, firstValue: end), leaderEpoch: 0, now: 0)
        } throws: { error in
            guard case let LogError.io(operation, _, code) = error else { return false }
            return (operation == "pwrite" || operation == "pwritev") && code == ENOSPC
        }
        #expect(log.storageFailure != nil)
        #expect(throws: LogError.self) { try log.read(fetchOffset: 0, maxBytes: 100, minOneBatch: true) }
        #expect(LogError.offline("x").errorCode == .kafkaStorageError)
        let reopened = try Fixtures.open(directory)
        #expect(reopened.logEndOffset == end)
        Fixtures.expectContiguous(try Fixtures.readAll(reopened), from: 0, to: end)
    }

    /// A log a storage failure took offline is still deleted with its topic: its directory must not be
    /// left for a topic created again under the same name to open.
    @Test func anOfflineLogIsStillDeleted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        try Fixtures.fill(log, batches: 3)
        log.failFlush(.io(operation: "fdatasync", path: log.directory, errno: EIO))
        #expect(log.storageFailure != nil)
        try log.delete()
        #expect(!FileSystem.exists(Fixtures.partitionDirectory(directory)))
        #expect(throws: LogError.self) { try log.read(fetchOffset: 0, maxBytes: 100, minOneBatch: true) }
    }

    @Test func lostIndexFilesOfAFlushedSegmentAreRebuilt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: smallSegments)
        try Fixtures.fill(log, batches: 60, codecs: [.none], padding: 30)
        let first = log.segments[0]
        let entries = first.offsetIndex
        #expect(!entries.entries.isEmpty)
        try log.close()
        try FileSystem.remove(Fixtures.segmentPath(directory, base: 0, suffix: ".index"))
        try FileSystem.remove(Fixtures.segmentPath(directory, base: 0, suffix: ".timeindex"))
        let reopened = try Fixtures.open(directory, config: smallSegments)
        #expect(reopened.segments[0].offsetIndex == entries)
        #expect(try Fixtures.readFile(Fixtures.segmentPath(directory, base: 0, suffix: ".index")) == entries.encoded())
        #expect(reopened.segments[0].maxTimestampSoFar == first.maxTimestampSoFar)
    }

    static func names(in directory: String) throws -> [String] { try FileSystem.list(directory) }
}

extension RecordBatchReader {
    func allHeaders() throws -> [RecordBatchHeader] {
        var copy = self
        return try copy.readAll().map(\.header)
    }
}

private func openDevFull() -> Int32 { open("/dev/full", O_RDWR | O_CLOEXEC) }

import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// Unclean shutdowns: the log is dropped without ``PartitionLog/close()``, its active segment's tail
/// damaged the ways a crash (or a disk) can, and reopened.
@Suite struct CrashRecoveryTests {
    let config = LogConfig(segmentBytes: 1_500, indexIntervalBytes: 120)
    /// For reopening: same indexing, but segments big enough that the check's append does not roll.
    let reopenConfig = LogConfig(segmentBytes: 1 << 20, indexIntervalBytes: 120)

    struct Damaged {
        let directory: TemporaryDirectory
        /// The active segment's pristine bytes and its batches.
        let pristine: [UInt8]
        let batches: [(position: Int, header: RecordBatchHeader)]
        let activeBase: Int64
        var logPath: String { Fixtures.segmentPath(directory, base: activeBase) }
        var last: (position: Int, header: RecordBatchHeader) { batches[batches.count - 1] }
    }

    /// A log of several segments whose active segment holds at least four batches; not closed.
    func makeCrashedLog() throws -> Damaged {
        let directory = try TemporaryDirectory()
        let log = try Fixtures.open(directory, config: config)
        try Fixtures.fill(log, batches: 40, padding: 10)
        while try Fixtures.batches(inFile: log.activeSegment.logPath).count < 4 {
            try Fixtures.fill(log, batches: 1, padding: 10)
        }
        #expect(log.segments.count > 2)
        let path = log.activeSegment.logPath
        return Damaged(directory: directory, pristine: try Fixtures.readFile(path), batches: try Fixtures.batches(inFile: path), activeBase: log.activeSegment.baseOffset)
    }

    /// Reopens and checks the log ends right before the last batch, the indexes are rebuilt and consistent,
    /// every offset reads from its batch, and the next append continues at the last batch's offset.
    func expectRecoveredToBeforeLastBatch(_ damaged: Damaged, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        // Stale index files too: they must be rebuilt, not trusted.
        try Fixtures.writeFile(Fixtures.segmentPath(damaged.directory, base: damaged.activeBase, suffix: ".index"), [0, 0, 0, 1, 0x7F, 0, 0, 0])
        let log = try Fixtures.open(damaged.directory, config: reopenConfig)
        let expectedEnd = damaged.last.header.baseOffset
        #expect(!log.openReport.cleanShutdown, sourceLocation: sourceLocation)
        #expect(log.logEndOffset == expectedEnd, "\(what)", sourceLocation: sourceLocation)
        #expect(log.activeSegment.size == Int64(damaged.last.position), "\(what)", sourceLocation: sourceLocation)
        #expect(try Fixtures.readFile(damaged.logPath).count == damaged.last.position, "\(what): file cut", sourceLocation: sourceLocation)
        let segment = log.activeSegment
        #expect(segment.offsetIndex.entries.allSatisfy { Int64($0.position) < segment.size }, sourceLocation: sourceLocation)
        let onDisk = try Fixtures.readFile(Fixtures.segmentPath(damaged.directory, base: damaged.activeBase, suffix: ".index"))
        #expect(onDisk == segment.offsetIndex.encoded(), "\(what): index file rewritten", sourceLocation: sourceLocation)
        for (position, header) in damaged.batches.dropLast() {
            for offset in header.baseOffset...header.lastOffset {
                let range = try #require(try segment.read(startOffset: offset, maxBytes: 1, minOneBatch: true), sourceLocation: sourceLocation)
                #expect(range.position == Int64(position), "\(what): offset \(offset)", sourceLocation: sourceLocation)
            }
        }
        let info = try log.append(Fixtures.batch(count: 2, firstValue: expectedEnd), leaderEpoch: 9, now: 0)
        #expect(info.firstOffset == expectedEnd, sourceLocation: sourceLocation)
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: expectedEnd + 2, sourceLocation: sourceLocation)
    }

    @Test func tornLastBatchAtEveryCutPoint() throws {
        let damaged = try makeCrashedLog()
        defer { damaged.directory.remove() }
        for cut in (damaged.last.position + 1)..<damaged.pristine.count {
            try Fixtures.writeFile(damaged.logPath, Array(damaged.pristine[..<cut]))
            try expectRecoveredToBeforeLastBatch(damaged, "cut at \(cut)")
        }
    }

    @Test func flippedByteInTheLastBatchCRCRange() throws {
        let damaged = try makeCrashedLog()
        defer { damaged.directory.remove() }
        for index in (damaged.last.position + RecordBatchHeader.Offset.attributes)..<damaged.pristine.count {
            var bytes = damaged.pristine
            bytes[index] ^= 0x10
            try Fixtures.writeFile(damaged.logPath, bytes)
            try expectRecoveredToBeforeLastBatch(damaged, "flip at \(index)")
        }
    }

    @Test func garbageOrZerosAfterTheLastBatch() throws {
        let damaged = try makeCrashedLog()
        defer { damaged.directory.remove() }
        var generator = SystemRandomNumberGenerator()
        let tails: [(String, [UInt8])] = [
            ("zero-filled preallocation", [UInt8](repeating: 0, count: 4096)),
            ("random garbage", (0..<777).map { _ in UInt8.random(in: 0...255, using: &generator) }),
            ("a few bytes", [1, 2, 3]),
            ("a plausible header with a bad CRC", Array(damaged.pristine[damaged.last.position...])),
        ]
        for (what, tail) in tails {
            // Keep all batches but the last, then the tail where the last batch was.
            var bytes = Array(damaged.pristine[..<damaged.last.position]) + tail
            if what.hasPrefix("a plausible") { bytes[bytes.count - 1] ^= 0xFF }
            try Fixtures.writeFile(damaged.logPath, bytes)
            try expectRecoveredToBeforeLastBatch(damaged, what)
        }
    }

    @Test func intactLogRecoversEverythingWithoutMarker() throws {
        let damaged = try makeCrashedLog()
        defer { damaged.directory.remove() }
        let log = try Fixtures.open(damaged.directory, config: config)
        #expect(log.logEndOffset == damaged.last.header.nextOffset)
        #expect(log.openReport.truncatedBytes == 0)
        #expect(log.openReport.recoveredSegments.keys.contains(damaged.activeBase))
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: log.logEndOffset)
    }

    @Test func withoutACheckpointEverySegmentIsScanned() throws {
        let damaged = try makeCrashedLog()
        defer { damaged.directory.remove() }
        let dir = Fixtures.partitionDirectory(damaged.directory)
        try FileSystem.remove(dir + "/" + LogFileNames.recoveryPointCheckpoint)
        let log = try Fixtures.open(damaged.directory, config: config)
        #expect(log.openReport.recoveredSegments.count == log.segments.count)
        #expect(log.openReport.recoveryPointCheckpoint == nil)
    }

    /// Kafka's rule for a crash between a roll and the flush after it: a segment above the recovery
    /// point is scanned like the active one, cut at its first bad batch, and every later segment is
    /// deleted (the flush that would have made it durable syncs up to the log end, so none of them
    /// was either). The log goes on from the cut.
    @Test func corruptionAboveTheRecoveryPointCutsTheLogThereAndDropsLaterSegments() throws {
        let damaged = try makeCrashedLog()
        defer { damaged.directory.remove() }
        let dir = Fixtures.partitionDirectory(damaged.directory)
        let firstPath = Fixtures.segmentPath(damaged.directory, base: 0)
        let original = try Fixtures.readFile(firstPath)
        let bad = try #require(try Fixtures.batches(inFile: firstPath).last)
        let laterBases = try FileSystem.list(dir).compactMap { LogFileNames.baseOffset(fromFileName: $0, suffix: ".log") }.filter { $0 > 0 }.sorted()
        #expect(laterBases.count > 1)
        // A flipped record byte (CRC range) in the first segment's last batch; nothing was ever flushed.
        var flipped = original
        flipped[flipped.count - 2] ^= 0x01
        try Fixtures.writeFile(firstPath, flipped)
        #expect(!FileSystem.exists(dir + "/" + LogFileNames.recoveryPointCheckpoint))

        let log = try Fixtures.open(damaged.directory, config: reopenConfig)
        #expect(log.logEndOffset == bad.header.baseOffset)
        #expect(log.segments.map(\.baseOffset) == [0])
        #expect(log.openReport.deletedSegmentsAfterCorruption == laterBases)
        #expect(try Fixtures.readFile(firstPath) == Array(original[..<bad.position]), "cut at the bad batch")
        let left = try FileSystem.list(dir)
        for base in laterBases {
            #expect(!left.contains { LogFileNames.baseOffset(fromFileName: $0, suffix: ".log") == base
                || LogFileNames.baseOffset(fromFileName: $0, suffix: ".index") == base
                || LogFileNames.baseOffset(fromFileName: $0, suffix: ".timeindex") == base
                || LogFileNames.baseOffset(fromFileName: $0, suffix: ".snapshot") == base }, "segment \(base) gone")
        }
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: bad.header.baseOffset)
        #expect(try log.append(Fixtures.batch(count: 1, firstValue: bad.header.baseOffset), leaderEpoch: 9, now: 0).firstOffset == bad.header.baseOffset)
        try log.close()
    }

    /// After a clean shutdown flushed segments are trusted (as in Kafka; producer state comes from
    /// a snapshot): broken framing in one is reported when it is read, and nothing is cut.
    @Test func afterACleanShutdownDamageInAnEarlierSegmentIsReportedNotCut() throws {
        let damaged = try makeCrashedLog()
        defer { damaged.directory.remove() }
        let dir = Fixtures.partitionDirectory(damaged.directory)
        let firstPath = Fixtures.segmentPath(damaged.directory, base: 0)
        var torn = try Fixtures.readFile(firstPath)
        torn[8...11] = [0x7F, 0, 0, 0]
        try Fixtures.writeFile(firstPath, torn)
        try Fixtures.writeFile(dir + "/" + LogFileNames.cleanShutdownMarker, [])
        let reopened = try Fixtures.open(damaged.directory, config: config)
        #expect(throws: LogError.self) { _ = try Fixtures.readAll(reopened, from: 0) }
        #expect(try Fixtures.readFile(firstPath) == torn)
        // Without a snapshot to start from, the replay of every batch header finds it at open.
        for name in try FileSystem.list(dir) where name.hasSuffix(LogFileNames.producerSnapshotSuffix) {
            try FileSystem.remove(dir + "/" + name)
        }
        try Fixtures.writeFile(dir + "/" + LogFileNames.cleanShutdownMarker, [])
        #expect(throws: LogError.self) { try Fixtures.open(damaged.directory, config: config) }
        #expect(try Fixtures.readFile(firstPath) == torn)
    }

    @Test func overlappingSegmentsAreReported() throws {
        let damaged = try makeCrashedLog()
        defer { damaged.directory.remove() }
        let log = try Fixtures.open(damaged.directory, config: config)
        let base = log.segments[1].baseOffset
        try log.close()
        for suffix in [".log", ".index", ".timeindex"] {
            try FileSystem.rename(Fixtures.segmentPath(damaged.directory, base: base, suffix: suffix), to: Fixtures.segmentPath(damaged.directory, base: base - 1, suffix: suffix))
        }
        #expect {
            _ = try Fixtures.open(damaged.directory, config: config)
        } throws: { error in
            guard case let LogError.corruptSegment(_, _, reason) = error else { return false }
            return reason.contains("previous one ends at \(base)")
        }
    }

    @Test func emptiedActiveSegmentContinuesAtItsBaseOffset() throws {
        let damaged = try makeCrashedLog()
        defer { damaged.directory.remove() }
        try Fixtures.writeFile(damaged.logPath, [UInt8](repeating: 0, count: 100))
        let log = try Fixtures.open(damaged.directory, config: config)
        #expect(log.logEndOffset == damaged.activeBase && log.activeSegment.size == 0)
        #expect(try log.append(Fixtures.batch(count: 1, firstValue: damaged.activeBase), leaderEpoch: 0, now: 0).firstOffset == damaged.activeBase)
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: damaged.activeBase + 1)
    }
}

import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// A crash at every file step of a cleaner swap: reopening must leave a readable log holding every
/// key's latest value, no leftover cleaner files, and a log that cleans to the same result.
@Suite struct CleanerCrashTests {
    static let config = Compaction.config(segmentBytes: 1_500)

    /// Small segments (rolled by hand) so that groups hold several segments and the round swaps more
    /// than one group; tombstones, codecs and a producer, so every kind of step occurs.
    func makeLog(_ directory: TemporaryDirectory) throws -> (PartitionLog, [KeyedRecord]) {
        let log = try Fixtures.open(directory, config: Self.config)
        var written: [KeyedRecord] = []
        for round in 0..<10 {
            if round == 5 {
                let tombstone = log.logEndOffset
                try log.append(Compaction.batch([("k2", nil)], producerId: 4, producerEpoch: 0, baseSequence: 0), leaderEpoch: 1, now: 0)
                written.append(KeyedRecord(offset: tombstone, key: "k2", value: nil))
            }
            written += try Compaction.fill(log, count: 12, keys: 6, codecs: round % 2 == 0 ? [.none, .lz4] : [.zstd, .none])
            try log.roll(now: 0)
        }
        log.updateHighWatermark(log.logEndOffset)
        return (log, written)
    }

    func stepsOfACompleteSwap() throws -> Int {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, _) = try makeLog(directory)
        let cleaned = try LogCleaner.clean(try #require(try log.cleaningPlan(now: 10_000, byteBudget: 1 << 30)))
        #expect(cleaned.groups.filter { $0.segments.count > 1 }.count >= 2, "several groups of several segments")
        var crash = PartitionLog.CrashPoint(afterSteps: nil)
        #expect(try log.swapIn(cleaned, crash: &crash))
        return crash.stepsTaken
    }

    @Test func recoveryAfterACrashAtEveryStepOfTheSwap() throws {
        let steps = try stepsOfACompleteSwap()
        #expect(steps > 10)
        // The result of an uninterrupted round, for comparison.
        let reference = try TemporaryDirectory()
        defer { reference.remove() }
        let (referenceLog, _) = try makeLog(reference)
        try Compaction.clean(referenceLog, now: 10_000)
        let expected = try Compaction.readAll(referenceLog)

        for crashAfter in 0...steps {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let (log, written) = try makeLog(directory)
            let end = log.logEndOffset
            let cleaned = try LogCleaner.clean(try #require(try log.cleaningPlan(now: 10_000, byteBudget: 1 << 30)))
            var crash = PartitionLog.CrashPoint(afterSteps: crashAfter)
            if crashAfter < steps {
                #expect(throws: LogError.self, "crash after \(crashAfter)") { try log.swapIn(cleaned, crash: &crash) }
            } else {
                #expect(try log.swapIn(cleaned, crash: &crash))
            }
            // The process dies: no close, no clean-shutdown marker.
            let reopened = try Fixtures.open(directory, config: Self.config)
            #expect(try Compaction.leftovers(directory).isEmpty, "crash after \(crashAfter): leftovers")
            #expect(reopened.logEndOffset == end)
            let read = try Compaction.readAll(reopened)
            Compaction.expectCompactionOf(written, read: read)
            #expect(reopened.producerState.entry(for: 4)?.lastSequence == 0, "crash after \(crashAfter): producer state")
            // Cleaning again from whatever the checkpoint says converges on the uninterrupted result.
            reopened.updateHighWatermark(reopened.logEndOffset)
            try Compaction.clean(reopened, now: 10_000)
            #expect(try Compaction.readAll(reopened) == expected, "crash after \(crashAfter): second round")
        }
    }

    @Test func cleanedFilesOfARoundThatNeverSwappedAreDiscarded() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, written) = try makeLog(directory)
        let before = try Compaction.readAll(log)
        _ = try LogCleaner.clean(try #require(try log.cleaningPlan(now: 10_000, byteBudget: 1 << 30)))
        #expect(!(try Compaction.leftovers(directory).isEmpty))
        let reopened = try Fixtures.open(directory, config: Self.config)
        #expect(try Compaction.leftovers(directory).isEmpty)
        #expect(try Compaction.readAll(reopened) == before)
        #expect(before == written)
    }

    @Test func aSwapFileWhoseGroupEndedInDroppedSegmentsKeepsThoseSegments() throws {
        // Hand-made: segment 0 holds k=a0, segment 1 holds k=a1 (superseded by segment 2's a2) — a swap
        // of 0...1 whose file ends at offset 0 must replace segment 0 only and leave segment 1 alone.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Compaction.config())
        try log.append(Compaction.batch([("x", "x0")]), leaderEpoch: 0, now: 0)
        try log.roll(now: 0)
        try log.append(Compaction.batch([("a", "a1")]), leaderEpoch: 0, now: 0)
        try log.roll(now: 0)
        try log.append(Compaction.batch([("a", "a2")]), leaderEpoch: 0, now: 0)
        try log.close()
        let swap = Fixtures.segmentPath(directory, base: 0) + LogFileNames.swapSuffix
        try Fixtures.writeFile(swap, try Fixtures.readFile(Fixtures.segmentPath(directory, base: 0)))
        let reopened = try Fixtures.open(directory, config: Compaction.config())
        #expect(reopened.openReport.completedSwaps == [0])
        #expect(reopened.segments.map(\.baseOffset) == [0, 1, 2])
        #expect(try Compaction.readAll(reopened).map(\.value) == ["x0", "a1", "a2"])
    }
}

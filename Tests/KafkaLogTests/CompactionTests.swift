import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

@Suite struct CompactionTests {
    /// A compacted log of `count` records over `keys` keys, rolled so the active segment is empty, high
    /// watermark at the end.
    func makeLog(_ directory: TemporaryDirectory, count: Int = 120, keys: Int = 7, config: LogConfig = Compaction.config(),
                 codecs: [CompressionCodec] = [.none]) throws -> (PartitionLog, [KeyedRecord]) {
        let log = try Fixtures.open(directory, config: config)
        let written = try Compaction.fill(log, count: count, keys: keys, codecs: codecs)
        try log.roll(now: 5_000)
        log.updateHighWatermark(log.logEndOffset)
        return (log, written)
    }

    @Test func keepsExactlyTheLatestValueOfEveryKeyAtItsOffset() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, written) = try makeLog(directory)
        let sizeBefore = log.size
        let end = log.logEndOffset
        #expect(log.segments.count > 5)
        let cleaned = try #require(try Compaction.clean(log, now: 10_000))
        #expect(cleaned.plan.endOffset == end && log.cleanerCheckpoint == end)
        let read = try Compaction.readAll(log)
        #expect(Set(read) == Set(Compaction.latest(written).values), "exactly one record per key, its latest")
        Compaction.expectCompactionOf(written, read: read)
        #expect(log.logEndOffset == end && log.logStartOffset == 0)
        #expect(log.size < sizeBefore / 5)
        #expect(cleaned.stats.recordsRead == written.count && cleaned.stats.recordsRetained == 7)
        #expect(try Compaction.leftovers(directory).isEmpty)
        // The cleaned state survives a reopen, checkpoint included; nothing more to clean.
        try log.close()
        let reopened = try Fixtures.open(directory, config: Compaction.config())
        #expect(reopened.cleanerCheckpoint == end)
        #expect(try Compaction.readAll(reopened) == read)
        reopened.updateHighWatermark(reopened.logEndOffset)
        #expect(try reopened.cleaningPlan(now: 20_000, byteBudget: 1 << 30) == nil)
    }

    @Test func neverTouchesTheActiveSegmentNorPassesTheHighWatermark() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Compaction.config())
        let written = try Compaction.fill(log, count: 60, keys: 3)
        let active = log.activeSegment
        let activeBytes = try Fixtures.readFile(active.logPath)
        #expect(active.size > 0)
        // Below the high watermark nothing is cleanable yet.
        #expect(try log.cleaningPlan(now: 10_000, byteBudget: 1 << 30) == nil)
        log.updateHighWatermark(log.logEndOffset)
        let cleaned = try #require(try Compaction.clean(log, now: 10_000))
        #expect(cleaned.plan.endOffset == active.baseOffset)
        #expect(log.activeSegment === active)
        #expect(try Fixtures.readFile(active.logPath) == activeBytes)
        let read = try Compaction.readAll(log)
        Compaction.expectCompactionOf(written, read: read)
        // Everything in the active segment is still there, duplicates included.
        #expect(read.filter { $0.offset >= active.baseOffset } == written.filter { $0.offset >= active.baseOffset })
        // A log whose only segment is the active one has nothing to clean.
        let single = try TemporaryDirectory()
        defer { single.remove() }
        let small = try Fixtures.open(single, config: Compaction.config(segmentBytes: 1 << 20))
        try Compaction.fill(small, count: 30, keys: 2)
        small.updateHighWatermark(small.logEndOffset)
        #expect(try small.cleaningPlan(now: 10_000, byteBudget: 1 << 30) == nil)
    }

    @Test func fetchesAtEveryOffsetAcrossTheGaps() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, written) = try makeLog(directory, count: 90, keys: 5)
        try Compaction.clean(log, now: 10_000)
        let survivors = try Compaction.readAll(log)
        for offset in 0..<log.logEndOffset {
            let data = try log.read(fetchOffset: offset, maxBytes: 1, minOneBatch: true)
            let expected = survivors.first { $0.offset >= offset }
            guard let expected else { continue }
            var reader = RecordBatchReader(try data.readRecords())
            let batch = try #require(try reader.next(), "offset \(offset)")
            let records = try batch.decodeRecords(decompressionLimit: 1 << 20, offsets: .increasing)
            let first = records.map { batch.header.baseOffset + Int64($0.offsetDelta) }.first { $0 >= offset }
            #expect(first == expected.offset, "fetch at \(offset)")
        }
        #expect(written.count == 90)
        // Timestamp lookups still land on surviving records.
        let found = try #require(try log.offsetForTimestamp(0))
        #expect(found.offset == survivors[0].offset)
    }

    @Test func tombstonesStayUntilDeleteRetentionAfterTheirFirstCleaning() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Compaction.config(deleteRetentionMs: 1_000))
        var written = try Compaction.fill(log, count: 30, keys: 3)
        let tombstoneOffset = log.logEndOffset
        try log.append(Compaction.batch([("k1", nil)]), leaderEpoch: 1, now: 0)
        written.append(KeyedRecord(offset: tombstoneOffset, key: "k1", value: nil))
        written += try Compaction.fill(log, count: 30, keys: 3, keyPrefix: "other")
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)

        try Compaction.clean(log, now: 10_000)
        var read = try Compaction.readAll(log)
        #expect(read.contains(KeyedRecord(offset: tombstoneOffset, key: "k1", value: nil)), "the tombstone stays")
        #expect(!read.contains { $0.key == "k1" && $0.value != nil }, "the values it deletes are gone")
        Compaction.expectCompactionOf(written, read: read)
        // Its batch now carries the delete horizon: first cleaning + delete.retention.ms.
        let batch = try #require(try batchHolding(tombstoneOffset, in: log))
        #expect(batch.deleteHorizon == 11_000 && batch.header.baseTimestamp == 11_000)

        // Cleaning again before the horizon keeps it; at the horizon it goes.
        written += try Compaction.fill(log, count: 6, keys: 3, keyPrefix: "more")
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)
        try Compaction.clean(log, now: 10_999)
        read = try Compaction.readAll(log)
        #expect(read.contains { $0.offset == tombstoneOffset })
        written += try Compaction.fill(log, count: 6, keys: 3, keyPrefix: "more")
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)
        try Compaction.clean(log, now: 11_000)
        read = try Compaction.readAll(log)
        #expect(!read.contains { $0.key == "k1" }, "tombstone dropped once its horizon passed")
        Compaction.expectCompactionOf(written, read: read)
    }

    @Test func recordsYoungerThanTheMinimumLagAreNotCleaned() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Compaction.config(minCompactionLagMs: 5_000))
        var written = try Compaction.fill(log, count: 40, keys: 3, timestamp: 1_000)
        let youngStart = log.logEndOffset
        try log.roll(now: 0)
        written += try Compaction.fill(log, count: 40, keys: 3, timestamp: 9_000)
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)
        // At 10 000 only the segments with timestamps up to 1 040 are older than 5 s.
        let cleaned = try #require(try Compaction.clean(log, now: 10_000))
        #expect(cleaned.plan.firstUncleanableOffset == youngStart && cleaned.plan.endOffset == youngStart)
        let read = try Compaction.readAll(log)
        #expect(read.filter { $0.offset >= youngStart } == written.filter { $0.offset >= youngStart })
        #expect(read.filter { $0.offset < youngStart }.count == 3)
        Compaction.expectCompactionOf(written, read: read)
        // Once old enough, the rest goes too.
        try Compaction.clean(log, now: 20_000)
        #expect(Set(try Compaction.readAll(log)) == Set(Compaction.latest(written).values))
    }

    @Test func compressedBatchesAreRewrittenWithTheirCodec() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let codecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd, .none]
        let (log, written) = try makeLog(directory, count: 150, keys: 11, config: Compaction.config(segmentBytes: 400), codecs: codecs)
        var codecByBase: [Int64: CompressionCodec] = [:]
        for segment in log.segments {
            try segment.forEachBatchHeader { header, _ in codecByBase[header.baseOffset] = header.compression }
        }
        try Compaction.clean(log, now: 10_000)
        let read = try Compaction.readAll(log)
        #expect(Set(read) == Set(Compaction.latest(written).values))
        var rewritten = 0
        for segment in log.segments {
            try segment.forEachBatchHeader { header, _ in
                #expect(codecByBase[header.baseOffset] == header.compression || header.recordCount == 0, "batch \(header.baseOffset) keeps its codec")
                if header.compression != .none { rewritten += 1 }
            }
        }
        #expect(rewritten > 0)
    }

    @Test func keylessRecordsAreDroppedAndProducersKeepTheirLastBatch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Compaction.config())
        try log.append(Compaction.batch([(nil, "no key"), ("a", "a0")]), leaderEpoch: 0, now: 0)
        // An idempotent producer whose last batch is entirely superseded later by another writer.
        try log.append(Compaction.batch([("b", "b0")], producerId: 9, producerEpoch: 0, baseSequence: 0), leaderEpoch: 0, now: 0)
        let lastOfProducer = try log.append(Compaction.batch([("c", "c0"), ("d", "d0")], producerId: 9, producerEpoch: 0, baseSequence: 1), leaderEpoch: 0, now: 0)
        try log.append(Compaction.batch([("b", "b1"), ("c", "c1"), ("d", "d1")]), leaderEpoch: 0, now: 0)
        try log.roll(now: 0)
        try log.append(Compaction.batch([("a", "a1")]), leaderEpoch: 0, now: 0)
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)
        let cleaned = try #require(try Compaction.clean(log, now: 10_000))
        #expect(cleaned.stats.keylessRecordsDropped == 1)
        let read = try Compaction.readAll(log)
        #expect(read.map(\.value) == ["b1", "c1", "d1", "a1"])
        // The producer's first batch is gone; its last one stays as an empty header with its sequence.
        var headers: [RecordBatchHeader] = []
        for segment in log.segments { try segment.forEachBatchHeader { header, _ in headers.append(header) } }
        #expect(!headers.contains { $0.producerId == 9 && $0.baseSequence == 0 })
        let kept = try #require(headers.first { $0.producerId == 9 })
        #expect(kept.recordCount == 0 && kept.baseOffset == lastOfProducer.firstOffset && kept.lastOffset == lastOfProducer.lastOffset && kept.baseSequence == 1)
        // After a reopen the producer continues at sequence 3, not out of order.
        try log.close()
        let reopened = try Fixtures.open(directory, config: Compaction.config())
        #expect(reopened.producerState.entry(for: 9)?.lastSequence == 2)
        try reopened.append(Compaction.batch([("e", "e0")], producerId: 9, producerEpoch: 0, baseSequence: 3), leaderEpoch: 0, now: 0)
    }

    @Test func aByteBudgetCleansInRoundsThatContinueFromTheCheckpoint() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, written) = try makeLog(directory, count: 200, keys: 9)
        let budget = log.segments[0].size * 2
        var rounds = 0
        var previousEnd: Int64 = 0
        while let cleaned = try Compaction.clean(log, now: 10_000, budget: budget) {
            rounds += 1
            #expect(cleaned.plan.firstDirtyOffset == previousEnd && cleaned.plan.endOffset > previousEnd)
            #expect(cleaned.stats.mapBytesRead <= budget)
            previousEnd = cleaned.plan.endOffset
            Compaction.expectCompactionOf(written, read: try Compaction.readAll(log))
            #expect(rounds < 50)
        }
        #expect(rounds > 2)
        #expect(Set(try Compaction.readAll(log)) == Set(Compaction.latest(written).values))
    }

    @Test func theDirtyRatioDecidesWhenToClean() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, _) = try makeLog(directory, count: 120, keys: 7, config: Compaction.config(ratio: 0.5))
        try Compaction.clean(log, now: 10_000)
        // A little more dirty data than clean data is under 0.5 of the whole? Compare with the plan's numbers.
        try Compaction.fill(log, count: 3, keys: 7)
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)
        let clean = log.segments.dropLast(2).reduce(0) { $0 + $1.size }
        let dirty = log.segments[log.segments.count - 2].size
        #expect(Double(dirty) / Double(clean + dirty) <= 0.5)
        #expect(try log.cleaningPlan(now: 10_000, byteBudget: 1 << 30) == nil)
        try Compaction.fill(log, count: 60, keys: 7)
        try log.roll(now: 0)
        log.updateHighWatermark(log.logEndOffset)
        let plan = try #require(try log.cleaningPlan(now: 10_000, byteBudget: 1 << 30))
        #expect(plan.cleanableRatio > 0.5)
    }

    @Test func dirtyDataOlderThanTheMaximumLagIsCleanedWhateverTheRatio() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A ratio of 1 is never exceeded: only max.compaction.lag.ms can start a round.
        let (log, written) = try makeLog(directory, config: Compaction.config(maxCompactionLagMs: 5_000, ratio: 1))
        // The first batch's maxTimestamp (Kafka's first batch timestamp) is 1002.
        #expect(try log.cleaningPlan(now: 6_002, byteBudget: 1 << 30) == nil, "exactly 5 s old, not older")
        _ = try #require(try Compaction.clean(log, now: 6_003))
        #expect(Set(try Compaction.readAll(log)) == Set(Compaction.latest(written).values))
    }

    @Test func compactOnlyLogsAreNotDeletedByRetention() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (compacted, _) = try makeLog(directory, config: Compaction.config(policy: .compact))
        #expect(try compacted.enforceRetention(now: 1 << 40).deletedSegments.isEmpty)
        let other = try TemporaryDirectory()
        defer { other.remove() }
        let (both, _) = try makeLog(other, config: Compaction.config(policy: [.compact, .delete]))
        #expect(!(try both.enforceRetention(now: 1 << 40).deletedSegments.isEmpty))
        #expect(CleanupPolicy(configValue: "compact, delete") == [.compact, .delete])
        #expect(CleanupPolicy(configValue: "compact") == .compact && CleanupPolicy(configValue: "nope") == nil && CleanupPolicy(configValue: "") == nil)
    }

    @Test func aRoundAbandonsItsFilesWhenTheLogChangedMeanwhile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, written) = try makeLog(directory, config: Compaction.config(policy: [.compact, .delete]))
        let plan = try #require(try log.cleaningPlan(now: 10_000, byteBudget: 1 << 30))
        let cleaned = try LogCleaner.clean(plan)
        #expect(!(try Compaction.leftovers(directory).isEmpty), "the .cleaned files exist")
        // Retention deletes the first segments between the unlocked and the locked part.
        #expect(!(try log.enforceRetention(now: 1 << 40).deletedSegments.isEmpty))
        #expect(try log.swapIn(cleaned) == false)
        #expect(try Compaction.leftovers(directory).isEmpty)
        let read = try Compaction.readAll(log)
        #expect(read == written.filter { $0.offset >= log.logStartOffset })
    }

    private func batchHolding(_ offset: Int64, in log: PartitionLog) throws -> RecordBatch? {
        let data = try log.read(fetchOffset: offset, maxBytes: 1, minOneBatch: true)
        var reader = RecordBatchReader(try data.readRecords())
        return try reader.next()
    }
}

import KafkaLog
import Testing

/// The leader epoch cache's rules (Kafka's `LeaderEpochFileCache`) and its checkpoint file format.
@Suite struct LeaderEpochCacheTests {
    typealias Entry = LeaderEpochCache.Entry
    let undefined = (LeaderEpochCache.undefinedEpoch, LeaderEpochCache.undefinedEpochOffset)

    func cache(_ pairs: [(Int32, Int64)]) -> LeaderEpochCache {
        var cache = LeaderEpochCache()
        for (epoch, offset) in pairs { cache.assign(epoch: epoch, startOffset: offset) }
        return cache
    }

    /// Applies a mutating call and returns what it returned (`#expect` cannot take a mutating call).
    func changes(_ cache: inout LeaderEpochCache, _ call: (inout LeaderEpochCache) -> Bool) -> Bool {
        call(&cache)
    }

    func pairs(_ cache: LeaderEpochCache) -> [[Int64]] {
        cache.entries.map { [Int64($0.epoch), $0.startOffset] }
    }

    @Test func assignAddsOnlyNewsAndDropsConflictingLaterEntries() {
        var epochs = LeaderEpochCache()
        #expect(changes(&epochs) { $0.assign(epoch: 2, startOffset: 6) })
        #expect(!changes(&epochs) { $0.assign(epoch: 2, startOffset: 6) }, "the same entry again")
        #expect(!changes(&epochs) { $0.assign(epoch: 2, startOffset: 9) }, "a later batch of the latest epoch")
        #expect(changes(&epochs) { $0.assign(epoch: 3, startOffset: 9) })
        #expect(changes(&epochs) { $0.assign(epoch: 5, startOffset: 20) })
        #expect(pairs(epochs) == [[2, 6], [3, 9], [5, 20]])
        #expect(epochs.latestEpoch == 5 && epochs.earliestEntry == Entry(epoch: 2, startOffset: 6))

        // The latest epoch starting earlier: entries at or after that offset go.
        var earlier = epochs
        #expect(changes(&earlier) { $0.assign(epoch: 5, startOffset: 9) })
        #expect(pairs(earlier) == [[2, 6], [5, 9]])

        // An older epoch: every entry with an epoch at least as new, or starting at or after it, goes.
        var older = epochs
        #expect(changes(&older) { $0.assign(epoch: 4, startOffset: 25) })
        #expect(pairs(older) == [[2, 6], [3, 9], [4, 25]])
        var olderAndEarlier = epochs
        #expect(changes(&olderAndEarlier) { $0.assign(epoch: 1, startOffset: 7) })
        #expect(pairs(olderAndEarlier) == [[1, 7]])

        // A newer epoch starting before the latest entry replaces the entries it overlaps.
        var overlapping = epochs
        #expect(changes(&overlapping) { $0.assign(epoch: 7, startOffset: 15) })
        #expect(pairs(overlapping) == [[2, 6], [3, 9], [7, 15]])

        var unchanged = epochs
        #expect(!changes(&unchanged) { $0.assign(epoch: -1, startOffset: 30) }, "a batch without a leader epoch")
        #expect(!changes(&unchanged) { $0.assign(epoch: 6, startOffset: -1) })
        #expect(unchanged == epochs)
    }

    @Test func entriesGivenInOrderAreAssignedLikeAppends() {
        let loaded = LeaderEpochCache(entries: [Entry(epoch: 1, startOffset: 0), Entry(epoch: 3, startOffset: 5), Entry(epoch: 2, startOffset: 8)])
        #expect(pairs(loaded) == [[1, 0], [2, 8]])
    }

    @Test func endOffsetForEpoch() {
        #expect(LeaderEpochCache().endOffset(for: 0, logEndOffset: 0) == undefined, "empty")
        let epochs = cache([(0, 10), (2, 13), (4, 17)])
        #expect(epochs.endOffset(for: 4, logEndOffset: 30) == (4, 30), "the latest epoch ends at the log end offset")
        #expect(epochs.endOffset(for: 2, logEndOffset: 30) == (2, 17), "an epoch ends where the next begins")
        #expect(epochs.endOffset(for: 0, logEndOffset: 30) == (0, 13))
        #expect(epochs.endOffset(for: 1, logEndOffset: 30) == (0, 13), "an epoch that never wrote: the one before it")
        #expect(epochs.endOffset(for: 3, logEndOffset: 30) == (2, 17))
        #expect(epochs.endOffset(for: 5, logEndOffset: 30) == undefined, "newer than any known epoch")
        #expect(epochs.endOffset(for: LeaderEpochCache.undefinedEpoch, logEndOffset: 30) == undefined)
        let trimmed = cache([(5, 11), (6, 12), (7, 13)])
        #expect(trimmed.endOffset(for: 4, logEndOffset: 20) == (4, 11), "below the earliest: the earliest entry's start")
    }

    @Test func truncateFromEndDropsEntriesStartingAtOrAfterTheOffset() {
        var epochs = cache([(1, 0), (2, 6), (3, 8), (4, 11)])
        #expect(!changes(&epochs) { $0.truncateFromEnd(12) })
        #expect(changes(&epochs) { $0.truncateFromEnd(8) })
        #expect(pairs(epochs) == [[1, 0], [2, 6]])
        #expect(changes(&epochs) { $0.truncateFromEnd(0) })
        #expect(epochs.isEmpty)
        #expect(!changes(&epochs) { $0.truncateFromEnd(0) })
    }

    @Test func truncateFromStartMovesTheEntryInForceUpToTheNewStart() {
        let epochs = cache([(2, 6), (3, 8), (4, 11)])
        var inside = epochs
        #expect(changes(&inside) { $0.truncateFromStart(9) })
        #expect(pairs(inside) == [[3, 9], [4, 11]])
        var exact = epochs
        #expect(changes(&exact) { $0.truncateFromStart(8) })
        #expect(pairs(exact) == [[3, 8], [4, 11]])
        var atFirst = epochs
        #expect(!changes(&atFirst) { $0.truncateFromStart(6) }, "an entry starting exactly there stays")
        var before = epochs
        #expect(!changes(&before) { $0.truncateFromStart(2) })
        #expect(before == epochs)
        var past = epochs
        #expect(changes(&past) { $0.truncateFromStart(15) })
        #expect(pairs(past) == [[4, 15]])
    }

    @Test func epochForOffset() {
        let epochs = cache([(1, 20), (5, 30)])
        #expect(epochs.epoch(forOffset: 5) == nil)
        #expect(epochs.epoch(forOffset: 20) == 1)
        #expect(epochs.epoch(forOffset: 25) == 1)
        #expect(epochs.epoch(forOffset: 30) == 5)
        #expect(epochs.epoch(forOffset: 50) == 5)
    }

    @Test func checkpointFileFormatIsKafkasByteForByte() {
        let epochs = cache([(0, 0), (3, 120), (12, 4_000_000_000)])
        #expect(String(decoding: epochs.encoded(), as: UTF8.self) == "0\n3\n0 0\n3 120\n12 4000000000\n")
        #expect(String(decoding: LeaderEpochCache().encoded(), as: UTF8.self) == "0\n0\n")
        #expect(LeaderEpochCache(parsing: epochs.encoded()) == epochs)
        #expect(LeaderEpochCache(parsing: LeaderEpochCache().encoded()) == LeaderEpochCache())
    }

    @Test func readsWhatKafkaReadsAndRejectsWhatKafkaRejects() {
        func parse(_ text: String) -> LeaderEpochCache? { LeaderEpochCache(parsing: Array(text.utf8)) }
        // As Kafka's CheckpointFile writes it, and as a hand-edited file may look (Kafka splits on \s+).
        #expect(parse("0\n2\n0 1\n1 2\n").map(pairs) == [[0, 1], [1, 2]])
        #expect(parse("0\n2\n0  1\n1\t2").map(pairs) == [[0, 1], [1, 2]])
        #expect(parse("0\r\n1\r\n4 7\r\n").map(pairs) == [[4, 7]])
        // An empty file (Kafka creates one before the first entry) or one with only the version: no entries.
        #expect(parse("") == LeaderEpochCache())
        #expect(parse("0\n") == LeaderEpochCache())
        #expect(parse("1\n0\n") == nil, "unknown version")
        #expect(parse("0\n3\n0 1\n1 2\n") == nil, "fewer entries than the count")
        #expect(parse("0\n1\n0 1\n1 2\n") == nil, "more entries than the count")
        #expect(parse("0\n1\n0 1 2\n") == nil)
        #expect(parse("0\n1\nzero 1\n") == nil)
        #expect(parse("0\n1\n-1 5\n") == nil)
        #expect(parse("0\nx\n") == nil)
        #expect(LeaderEpochCache(parsing: [0xFF, 0xFE]) == nil)
    }
}

import KafkaRaft
import Testing

@Suite struct MemoryRaftLogTests {
    // Offsets 0-1 in epoch 1, 2-4 in epoch 3, 5 in epoch 4.
    let log = MemoryRaftLog(entries: entries([1, 1, 3, 3, 3, 4]))

    @Test func endOffsetForEpochFollowsKafka() {
        #expect(log.endOffset == OffsetAndEpoch(offset: 6, epoch: 4))
        #expect(log.endOffset(forEpoch: 4) == OffsetAndEpoch(offset: 6, epoch: 4))
        #expect(log.endOffset(forEpoch: 3) == OffsetAndEpoch(offset: 5, epoch: 3))
        // Epoch 2 was never written: it ends where epoch 3 starts, reported as epoch 1.
        #expect(log.endOffset(forEpoch: 2) == OffsetAndEpoch(offset: 2, epoch: 1))
        // Below every epoch: the first epoch's start, with the epoch asked for.
        #expect(log.endOffset(forEpoch: 0) == OffsetAndEpoch(offset: 0, epoch: 0))
        // Beyond the last epoch: the log end.
        #expect(log.endOffset(forEpoch: 9) == OffsetAndEpoch(offset: 6, epoch: 4))
        #expect(MemoryRaftLog().endOffset(forEpoch: 0) == OffsetAndEpoch(offset: 0, epoch: 0))
    }

    @Test func divergenceNamesWhereToTruncate() {
        #expect(log.divergence(fetchOffset: 4, lastFetchedEpoch: 3) == nil)
        #expect(log.divergence(fetchOffset: 0, lastFetchedEpoch: 0) == nil)
        #expect(log.divergence(fetchOffset: 6, lastFetchedEpoch: 3) == OffsetAndEpoch(offset: 5, epoch: 3))
        #expect(log.divergence(fetchOffset: 3, lastFetchedEpoch: 2) == OffsetAndEpoch(offset: 2, epoch: 1))
        #expect(log.divergence(fetchOffset: 8, lastFetchedEpoch: 5) == OffsetAndEpoch(offset: 6, epoch: 4))
    }

    @Test func truncateDropsEntriesAndEpochs() {
        var copy = log
        copy.truncate(to: 2)
        #expect(copy.endOffset == OffsetAndEpoch(offset: 2, epoch: 1))
        #expect(copy.endOffset(forEpoch: 3) == OffsetAndEpoch(offset: 2, epoch: 1))
        copy.append([RaftEntry(epoch: 5, payload: [1])])
        #expect(copy.epoch(at: 2) == 5)
        #expect(copy.epoch(at: 3) == nil)
        #expect(copy.entries(from: 1, maxCount: 5).map(\.epoch) == [1, 5])
    }
}

import KafkaRaft
import Testing

/// The in-memory log with snapshots: the log-start snapshot answers epoch lookups for what it covers.
@Suite struct MemoryRaftLogSnapshotTests {
    /// Offsets 0-1 in epoch 1, 2-4 in epoch 3, 5 in epoch 4, then snapshot (4, epoch 3) and the prefix before
    /// it dropped: the log holds offsets 4 (epoch 3) and 5 (epoch 4).
    func snapshotted() -> MemoryRaftLog {
        var log = MemoryRaftLog(entries: entries([1, 1, 3, 3, 3, 4]))
        let id = OffsetAndEpoch(offset: 4, epoch: 3)
        log.writeSnapshotChunk(id, position: 0, bytes: [1, 2])
        log.writeSnapshotChunk(id, position: 2, bytes: [3])
        #expect(log.latestSnapshotID == nil, "a partial snapshot is not a snapshot")
        log.freezeSnapshot(id)
        log.deleteLogPrefix(before: 4)
        return log
    }

    @Test func prefixDeletionKeepsEpochLookupsRight() {
        let log = snapshotted()
        #expect(log.logStartOffset == 4)
        #expect(log.latestSnapshotID == OffsetAndEpoch(offset: 4, epoch: 3))
        #expect(log.snapshotSize(OffsetAndEpoch(offset: 4, epoch: 3)) == 3)
        #expect(log.readSnapshot(OffsetAndEpoch(offset: 4, epoch: 3), position: 1, maxBytes: 5) == [2, 3])
        #expect(log.endOffset == OffsetAndEpoch(offset: 6, epoch: 4))
        #expect(log.epoch(at: 3) == 3)
        #expect(log.epoch(at: 2) == nil)
        #expect(log.entries(from: 4, maxCount: 9).map(\.epoch) == [3, 4])
        #expect(log.entries(from: 2, maxCount: 9).isEmpty)
        #expect(log.endOffset(forEpoch: 4) == OffsetAndEpoch(offset: 6, epoch: 4))
        #expect(log.endOffset(forEpoch: 3) == OffsetAndEpoch(offset: 5, epoch: 3))
        // Epoch 1 is before everything the log holds: it ends at the log start at the latest.
        #expect(log.endOffset(forEpoch: 1) == OffsetAndEpoch(offset: 4, epoch: 1))
    }

    @Test func snapshotOfAWholeEpochStandsForIt() {
        var log = MemoryRaftLog(entries: entries([1, 1, 3, 3, 3, 4]))
        let id = OffsetAndEpoch(offset: 5, epoch: 3)
        log.writeSnapshotChunk(id, position: 0, bytes: [9])
        log.freezeSnapshot(id)
        log.deleteLogPrefix(before: 5)
        // Only epoch 4 is left in the log; an epoch between the snapshot's and 4 ends at the log start,
        // reported with the snapshot's epoch (Kafka's KafkaMetadataLog override).
        #expect(log.endOffset(forEpoch: 3) == OffsetAndEpoch(offset: 5, epoch: 3))
        #expect(log.divergence(fetchOffset: 5, lastFetchedEpoch: 3) == nil)
        #expect(log.divergence(fetchOffset: 6, lastFetchedEpoch: 3) == OffsetAndEpoch(offset: 5, epoch: 3))
    }

    @Test func fetchPositionsBehindTheSnapshotGoToIt() {
        let log = snapshotted()
        let snapshot = FetchPositionCheck.snapshot(OffsetAndEpoch(offset: 4, epoch: 3))
        #expect(log.checkFetchPosition(fetchOffset: 2, lastFetchedEpoch: 3) == snapshot, "below the log start")
        #expect(log.checkFetchPosition(fetchOffset: 4, lastFetchedEpoch: 1) == snapshot, "at it, another epoch")
        #expect(log.checkFetchPosition(fetchOffset: 6, lastFetchedEpoch: 1) == snapshot, "older than the snapshot")
        #expect(log.checkFetchPosition(fetchOffset: 4, lastFetchedEpoch: 3) == .valid)
        #expect(log.checkFetchPosition(fetchOffset: 6, lastFetchedEpoch: 4) == .valid)
        #expect(log.checkFetchPosition(fetchOffset: 7, lastFetchedEpoch: 3)
                == .diverging(OffsetAndEpoch(offset: 5, epoch: 3)))
        // Without snapshots nothing is sent to one.
        #expect(MemoryRaftLog(entries: entries([1, 2])).checkFetchPosition(fetchOffset: 0, lastFetchedEpoch: 0) == .valid)
    }

    @Test func resetToSnapshotEmptiesTheLog() {
        var log = MemoryRaftLog(entries: entries([1, 1, 2]))
        let id = OffsetAndEpoch(offset: 10, epoch: 5)
        log.writeSnapshotChunk(id, position: 0, bytes: [7, 7])
        log.abandonSnapshot(id)
        #expect(log.partialSnapshots.isEmpty)
        log.writeSnapshotChunk(id, position: 0, bytes: [7])
        log.freezeSnapshot(id)
        log.resetToSnapshot(id)
        #expect(log.logStartOffset == 10)
        #expect(log.endOffset == id)
        #expect(log.entries.isEmpty)
        #expect(log.endOffset(forEpoch: 5) == id)
        #expect(log.endOffset(forEpoch: 2) == OffsetAndEpoch(offset: 10, epoch: 2))
        log.append([RaftEntry(epoch: 6, payload: [1])])
        #expect(log.endOffset == OffsetAndEpoch(offset: 11, epoch: 6))
        #expect(log.endOffset(forEpoch: 5) == OffsetAndEpoch(offset: 10, epoch: 5))
        #expect(log.epoch(at: 9) == 5)
        log.truncate(to: 10)
        #expect(log.endOffset == id)
    }

    @Test func restartAfterASnapshot() {
        let id = OffsetAndEpoch(offset: 3, epoch: 2)
        let log = MemoryRaftLog(snapshot: (id, [1]), entries: [RaftEntry(epoch: 2, payload: [4]), RaftEntry(epoch: 3, payload: [5])])
        #expect(log.logStartOffset == 3)
        #expect(log.endOffset == OffsetAndEpoch(offset: 5, epoch: 3))
        #expect(log.endOffset(forEpoch: 2) == OffsetAndEpoch(offset: 4, epoch: 2))
        #expect(log.latestSnapshotID == id)
        let core = Core(localID: 1, voters: VoterSet([1, 2, 3]), quorumState: nil, log: log, now: 0, seed: 1)
        #expect(core.flushedOffset == 5)
    }
}

/// An observer whose only timer is a request deadline keeps looking for the leader.
@Suite struct RaftObserverPollingTests {
    @Test func observerRetriesAfterAnExpiredRequest() {
        let timeout = QuorumConfig().requestTimeoutMs
        var switchedVoter = false
        for seed: UInt64 in 1...8 {
            var (observer, started) = startCore(id: 100, seed: seed)
            let first = try! #require(started.sent.first { $0.fetchRequest != nil })
            #expect(started.last == .scheduleTick(at: timeout))
            // The first Fetch is never answered; at its deadline the observer asks a random voter...
            let retry = observer.handle(.tick, now: timeout)
            let second = try! #require(retry.sent.first { $0.fetchRequest != nil })
            switchedVoter = switchedVoter || second.destination != first.destination
            // ...and wakes up at that request's deadline, which the expired one must not hide.
            #expect(retry.last == .scheduleTick(at: 2 * timeout), "seed \(seed)")
        }
        #expect(switchedVoter, "some seed asks another voter the second time (the case that stalled)")
    }
}

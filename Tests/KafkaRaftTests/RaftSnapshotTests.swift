import KafkaRaft
import Testing

/// KIP-630 at the leader: storing a snapshot, dropping the log before it, answering fetches below the log
/// start with `SnapshotId`, and serving FetchSnapshot chunks and errors.
@Suite struct RaftSnapshotTests {
    static let snapshotBytes: [UInt8] = Array(0..<10)

    /// Replica 1 leading epoch 1 of voters 1-3 with entries 0-4 (the leader-change entry and four
    /// payloads), committed up to 5 by voter 2's fetch. kraft.version 0, so no KRaftVersion/VotersRecord
    /// bootstrap entries shift these offsets.
    func committedLeader() -> (Core, Int64) {
        var config = QuorumConfig()
        config.kraftVersion = 0
        var core = Core(localID: 1, voters: VoterSet([1, 2, 3]), config: config, quorumState: nil,
                        log: MemoryRaftLog(), now: 0, seed: 7)
        _ = core.handle(.tick, now: 0)
        let now = electLeader(&core)
        _ = core.handle(.append([[1], [2], [3], [4]]), now: now)
        _ = core.handle(.persisted(upTo: 5), now: now)
        _ = core.handle(request(fetch(offset: 5, lastEpoch: 1), from: 2), now: now)
        #expect(core.highWatermark == 5)
        return (core, now)
    }

    /// `committedLeader` after taking snapshot (3, epoch 1).
    func snapshottedLeader() -> (Core, Int64) {
        var (core, now) = committedLeader()
        _ = core.handle(.createSnapshot(id: OffsetAndEpoch(offset: 3, epoch: 1), bytes: Self.snapshotBytes), now: now)
        return (core, now)
    }

    func fetch(offset: Int64, lastEpoch: Int32, epoch: Int32 = 1, maxWait: Int64 = 0) -> RaftMessage {
        .fetchRequest(FetchRequest(replicaID: 2, maxWaitMs: maxWait, currentLeaderEpoch: epoch, fetchOffset: offset,
                                   lastFetchedEpoch: lastEpoch))
    }

    func fetchSnapshot(_ id: OffsetAndEpoch = OffsetAndEpoch(offset: 3, epoch: 1), position: Int64, maxBytes: Int32 = 4,
                       epoch: Int32 = 1) -> RaftMessage {
        .fetchSnapshotRequest(FetchSnapshotRequest(replicaID: 2, maxBytes: maxBytes, currentLeaderEpoch: epoch,
                                                   snapshotID: id, position: position))
    }

    @Test func createdSnapshotIsStoredAndTheLogBeforeItDropped() {
        var (core, now) = committedLeader()
        let id = OffsetAndEpoch(offset: 3, epoch: 1)
        let actions = core.handle(.createSnapshot(id: id, bytes: Self.snapshotBytes), now: now)
        #expect(Array(actions.prefix(3)) == [.writeSnapshotChunk(id: id, position: 0, bytes: Self.snapshotBytes),
                                             .freezeSnapshot(id: id), .deleteLogPrefix(before: 3)])
        #expect(core.log.latestSnapshotID == id)
        #expect(core.log.logStartOffset == 3)
        #expect(core.log.endOffset == OffsetAndEpoch(offset: 5, epoch: 1))
        #expect(core.log.epoch(at: 2) == 1, "the snapshot answers for the entry before the log start")
        #expect(core.log.epoch(at: 1) == nil)
        #expect(core.log.readSnapshot(id, position: 0, maxBytes: 100) == Self.snapshotBytes)
    }

    @Test func invalidSnapshotsAreRejected() {
        var (core, now) = committedLeader()
        func rejected(_ id: OffsetAndEpoch, _ bytes: [UInt8] = [1]) -> Bool {
            core.handle(.createSnapshot(id: id, bytes: bytes), now: now).contains {
                if case .snapshotRejected(let rejectedID, _) = $0 { rejectedID == id } else { false }
            }
        }
        #expect(rejected(OffsetAndEpoch(offset: 6, epoch: 1)), "beyond the high watermark")
        #expect(rejected(OffsetAndEpoch(offset: 4, epoch: 0)), "the entry at 3 has epoch 1")
        #expect(rejected(OffsetAndEpoch(offset: 4, epoch: 2)), "beyond the quorum epoch")
        #expect(rejected(OffsetAndEpoch(offset: 0, epoch: 0)), "nothing to snapshot")
        #expect(rejected(OffsetAndEpoch(offset: 4, epoch: 1), []), "empty")
        #expect(core.log.latestSnapshotID == nil)
        #expect(core.log.logStartOffset == 0)
        #expect(!rejected(OffsetAndEpoch(offset: 4, epoch: 1)))
        #expect(rejected(OffsetAndEpoch(offset: 4, epoch: 1)), "not beyond the latest snapshot")
        // A follower that has not learnt the high watermark cannot snapshot.
        var follower = makeCore(id: 2, quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1), log: entries([1, 1]))
        let actions = follower.handle(.createSnapshot(id: OffsetAndEpoch(offset: 1, epoch: 1), bytes: [1]), now: 1)
        #expect(actions.contains { if case .snapshotRejected = $0 { true } else { false } })
    }

    @Test func fetchBelowTheLogStartIsAnsweredWithTheSnapshotID() {
        var (core, now) = snapshottedLeader()
        let snapshotID = OffsetAndEpoch(offset: 3, epoch: 1)
        // Below the log start, even with a long poll: answered at once, without records.
        let below = core.handle(request(fetch(offset: 1, lastEpoch: 1, maxWait: 500), from: 2), now: now + 1)
        let response = try! #require(below.sent.compactMap(\.fetchResponse).last)
        #expect(response.snapshotID == snapshotID)
        #expect(response.records.isEmpty)
        #expect(response.divergingEpoch == nil)
        #expect(response.logStartOffset == 3)
        // At the log start with the snapshot's epoch: a normal fetch.
        let atStart = core.handle(request(fetch(offset: 3, lastEpoch: 1), from: 2), now: now + 2)
        let records = try! #require(atStart.sent.compactMap(\.fetchResponse).last)
        #expect(records.snapshotID == nil)
        #expect(records.records.map(\.payload) == [[3], [4]])
        // At the log start with an epoch the snapshot does not end in: the snapshot.
        let otherEpoch = core.handle(request(fetch(offset: 3, lastEpoch: 0), from: 2), now: now + 3)
        #expect(otherEpoch.sent.compactMap(\.fetchResponse).last?.snapshotID == snapshotID)
    }

    @Test func leaderServesSnapshotChunks() {
        var (core, now) = snapshottedLeader()
        var received: [UInt8] = []
        var position: Int64 = 0
        while position < 10 {
            let actions = core.handle(request(fetchSnapshot(position: position), from: 2), now: now)
            let response = try! #require(actions.sent.compactMap(\.fetchSnapshotResponse).last)
            #expect(response.errorCode == .none)
            #expect(response.size == 10)
            #expect(response.position == position)
            #expect(response.leaderID == 1)
            #expect(response.leaderEpoch == 1)
            #expect(response.unalignedRecords.count == min(4, 10 - Int(position)))
            received += response.unalignedRecords
            position += Int64(response.unalignedRecords.count)
        }
        #expect(received == Self.snapshotBytes)
    }

    @Test func fetchSnapshotErrors() {
        var (core, now) = snapshottedLeader()
        func error(_ message: RaftMessage) -> RaftErrorCode? {
            core.handle(request(message, from: 2), now: now).sent.compactMap(\.fetchSnapshotResponse).last?.errorCode
        }
        #expect(error(fetchSnapshot(OffsetAndEpoch(offset: 4, epoch: 1), position: 0)) == .snapshotNotFound)
        #expect(error(fetchSnapshot(position: 10)) == .positionOutOfRange)
        #expect(error(fetchSnapshot(position: -1)) == .positionOutOfRange)
        #expect(error(fetchSnapshot(position: 0, epoch: 0)) == .fencedLeaderEpoch)
        #expect(error(fetchSnapshot(position: 0, epoch: 2)) == .unknownLeaderEpoch)
        #expect(error(fetchSnapshot(position: 0, maxBytes: 0)) == .invalidRequest)
        let stale = core.handle(request(fetchSnapshot(position: 0, epoch: 0), from: 2), now: now)
        #expect(stale.sent.compactMap(\.fetchSnapshotResponse).last?.leaderID == 1, "errors name the leader")
        var follower = makeCore(id: 3, quorumState: QuorumStateData(leaderEpoch: 4, leaderID: 2))
        let notLeader = follower.handle(request(fetchSnapshot(position: 0, epoch: 4), from: 100, to: 3), now: 1)
        let answer = try! #require(notLeader.sent.compactMap(\.fetchSnapshotResponse).last)
        #expect(answer.errorCode == .notLeaderOrFollower)
        #expect(answer.leaderID == 2)
        #expect(answer.leaderEpoch == 4)
    }

    @Test func fetchSnapshotCountsForCheckQuorum() {
        var (core, now) = snapshottedLeader()
        // Only FetchSnapshot requests from voter 2 for longer than the check-quorum timeout (3000 ms).
        for step in 1...8 {
            _ = core.handle(request(fetchSnapshot(position: 0), from: 2), now: now + Int64(step) * 500)
        }
        #expect(core.state.isLeader)
        let idle = core.handle(.tick, now: now + 4000 + 3001)
        #expect(!core.state.isLeader, "without any fetch the leader resigns")
        #expect(idle.contains(.resigned(epoch: 1)))
    }
}

extension RaftEnvelope {
    var fetchSnapshotRequest: FetchSnapshotRequest? {
        if case .fetchSnapshotRequest(let request) = message { request } else { nil }
    }
    var fetchSnapshotResponse: FetchSnapshotResponse? {
        if case .fetchSnapshotResponse(let response) = message { response } else { nil }
    }
}

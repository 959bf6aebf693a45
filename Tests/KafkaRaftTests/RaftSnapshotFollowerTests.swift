import KafkaRaft
import Testing

/// KIP-630 at a follower: a Fetch answered with `SnapshotId` starts a download, FetchSnapshot chunks are
/// written in order, the complete snapshot is installed (log restarted after it, high watermark raised),
/// and fetching resumes from its end; errors, leader changes and timeouts give the download up.
@Suite struct RaftSnapshotFollowerTests {
    static let snapshotID = OffsetAndEpoch(offset: 7, epoch: 2)
    static let bytes: [UInt8] = Array(100..<110)

    /// Follower 2 of leader 1 in epoch 3 with an empty log, after its first Fetch was answered with
    /// `SnapshotId`; returns the FetchSnapshot it sent next.
    func downloading(config: QuorumConfig = QuorumConfig()) -> (Core, RaftEnvelope) {
        var follower = Core(localID: 2, voters: VoterSet([1, 2, 3]), config: config,
                            quorumState: QuorumStateData(leaderEpoch: 3, leaderID: 1), log: MemoryRaftLog(), now: 0, seed: 7)
        let started = follower.handle(.tick, now: 0)
        let fetch = try! #require(started.sent.first { $0.fetchRequest != nil })
        #expect(fetch.fetchRequest?.fetchOffset == 0)
        let actions = follower.handle(.received(fetch.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: 9, logStartOffset: 7, leaderID: 1, leaderEpoch: 3,
            snapshotID: Self.snapshotID)))), now: 1)
        let next = try! #require(actions.sent.first { $0.fetchSnapshotRequest != nil })
        return (follower, next)
    }

    func chunk(_ request: RaftEnvelope, _ range: Range<Int>, error: RaftErrorCode = .none) -> RaftInput {
        .received(request.reply(.fetchSnapshotResponse(FetchSnapshotResponse(
            errorCode: error, snapshotID: Self.snapshotID, leaderID: 1, leaderEpoch: 3, size: Int64(Self.bytes.count),
            position: Int64(range.lowerBound), unalignedRecords: Array(Self.bytes[range])))))
    }

    @Test func followerDownloadsInstallsAndFetchesFromTheSnapshotEnd() {
        var (follower, request) = downloading()
        let first = try! #require(request.fetchSnapshotRequest)
        #expect(first == FetchSnapshotRequest(replicaID: 2, maxBytes: QuorumConfig().fetchSnapshotMaxBytes,
                                              currentLeaderEpoch: 3, snapshotID: Self.snapshotID, position: 0))
        #expect(request.destination == 1)
        #expect(follower.state.highWatermark == nil, "a SnapshotId answer does not move the high watermark")

        let firstChunk = follower.handle(chunk(request, 0..<4), now: 2)
        #expect(firstChunk.contains(.writeSnapshotChunk(id: Self.snapshotID, position: 0, bytes: Array(Self.bytes[0..<4]))))
        #expect(firstChunk.committed.isEmpty)
        request = try! #require(firstChunk.sent.first { $0.fetchSnapshotRequest != nil })
        #expect(request.fetchSnapshotRequest?.position == 4)

        let last = follower.handle(chunk(request, 4..<10), now: 3)
        let tail = Array(last.prefix(4))
        #expect(tail == [.writeSnapshotChunk(id: Self.snapshotID, position: 4, bytes: Array(Self.bytes[4..<10])),
                         .freezeSnapshot(id: Self.snapshotID), .installSnapshot(id: Self.snapshotID),
                         .committed(highWatermark: 7)])
        #expect(follower.log.logStartOffset == 7)
        #expect(follower.log.endOffset == Self.snapshotID)
        #expect(follower.log.latestSnapshotID == Self.snapshotID)
        #expect(follower.log.readSnapshot(Self.snapshotID, position: 0, maxBytes: 100) == Self.bytes)
        #expect(follower.highWatermark == 7)
        let resume = try! #require(last.sent.first?.fetchRequest)
        #expect(resume.fetchOffset == 7)
        #expect(resume.lastFetchedEpoch == 2)
    }

    @Test func installedFollowerAppendsAfterTheSnapshot() {
        var (follower, request) = downloading()
        let done = follower.handle(chunk(request, 0..<10), now: 2)
        request = try! #require(done.sent.first { $0.fetchRequest != nil })
        let records = [leaderChangeEntry(epoch: 3, leader: 1), RaftEntry(epoch: 3, payload: [5])]
        let appended = follower.handle(.received(request.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: 9, leaderID: 1, leaderEpoch: 3, recordsBaseOffset: 7, records: records)))),
                                       now: 3)
        #expect(appended.contains(.appendToLog(baseOffset: 7, entries: records)))
        #expect(appended.committed == [9])
        #expect(follower.log.entries(from: 7, maxCount: 5) == records)
        #expect(follower.log.endOffset(forEpoch: 2) == OffsetAndEpoch(offset: 7, epoch: 2))
    }

    @Test func snapshotNotFoundRestartsWithAFetch() {
        var (follower, request) = downloading()
        let partial = follower.handle(chunk(request, 0..<4), now: 2)
        request = try! #require(partial.sent.first { $0.fetchSnapshotRequest != nil })
        let gone = follower.handle(.received(request.reply(.fetchSnapshotResponse(FetchSnapshotResponse(
            errorCode: .snapshotNotFound, snapshotID: Self.snapshotID, leaderID: 1, leaderEpoch: 3)))), now: 3)
        #expect(gone.contains(.abandonSnapshot(id: Self.snapshotID)))
        #expect(follower.log.logStartOffset == 0)
        #expect(follower.state.name == "Follower")
        #expect(gone.sent.first?.fetchRequest?.fetchOffset == 0, "the next Fetch learns the leader's snapshot")
    }

    @Test func positionOutOfRangeRestartsWithAFetch() {
        var (follower, request) = downloading()
        let refused = follower.handle(chunk(request, 0..<0, error: .positionOutOfRange), now: 2)
        #expect(refused.contains(.abandonSnapshot(id: Self.snapshotID)))
        #expect(refused.sent.first?.fetchRequest != nil)
    }

    @Test func chunkAtTheWrongPositionIsRefused() {
        var (follower, request) = downloading()
        let wrong = follower.handle(chunk(request, 4..<8), now: 2)
        #expect(!wrong.contains { if case .writeSnapshotChunk = $0 { true } else { false } })
        // Retried from position 0 after the backoff.
        let retry = follower.handle(.tick, now: 2 + QuorumConfig().retryBackoffMs)
        #expect(retry.sent.first?.fetchSnapshotRequest?.position == 0)
    }

    @Test func newLeaderAbandonsTheDownload() {
        var (follower, download) = downloading()
        _ = follower.handle(chunk(download, 0..<4), now: 2)
        let newEpoch = follower.handle(request(.beginQuorumEpochRequest(BeginQuorumEpochRequest(leaderID: 3, leaderEpoch: 4)),
                                               from: 3, to: 2), now: 3)
        let persist = try! #require(newEpoch.firstPersistIndex)
        let abandon = try! #require(newEpoch.firstIndex(of: .abandonSnapshot(id: Self.snapshotID)))
        #expect(persist < abandon)
        #expect(follower.leaderID == 3)
        #expect(newEpoch.sent.first { $0.destination == 3 && $0.fetchRequest != nil } != nil)
    }

    @Test func requestTimeoutAbandonsTheDownload() {
        var config = QuorumConfig()
        config.requestTimeoutMs = 500
        var (follower, request) = downloading(config: config)
        let timedOut = follower.handle(.tick, now: 501)
        #expect(follower.state.name == "Follower")
        #expect(timedOut.contains(.abandonSnapshot(id: Self.snapshotID)))
        #expect(timedOut.sent.first?.fetchRequest != nil)
        // A late answer to the abandoned request changes nothing.
        let late = follower.handle(chunk(request, 0..<4), now: 502)
        #expect(!late.contains { if case .writeSnapshotChunk = $0 { true } else { false } })
    }

    @Test func fetchTimeoutOfAVoterAbandonsTheDownload() {
        var (follower, request) = downloading()
        let chunked = follower.handle(chunk(request, 0..<4), now: 1_000)
        request = try! #require(chunked.sent.first { $0.fetchSnapshotRequest != nil })
        // Each chunk restarted the fetch timeout: nothing happens before 1000 + fetchTimeoutMs.
        _ = follower.handle(chunk(request, 4..<6), now: 1_500)
        #expect(follower.state.name == "Follower")
        let timeout = follower.handle(.tick, now: 1_500 + QuorumConfig().fetchTimeoutMs)
        #expect(follower.state.name == "Prospective")
        #expect(timeout.contains(.abandonSnapshot(id: Self.snapshotID)))
    }
}

/// A follower that installs a snapshot takes the voters and kraft.version its header carries.
@Suite struct SnapshotControlRecordTests {
    @Test func installedSnapshotControlRecordsReplaceTheHistory() {
        let snapshotID = OffsetAndEpoch(offset: 10, epoch: 2)
        let log = MemoryRaftLog(snapshot: (snapshotID, [1, 2, 3]), entries: [])
        var core = RaftCore(localID: 4, voters: VoterSet([1, 2, 3]), quorumState: nil, log: log, now: 0, seed: 1)
        #expect(core.controlRecords.kraftVersion == 0)
        let voters = VoterSet([1, 2, 3, 4])
        let actions = core.adoptSnapshotControlRecords([.kraftVersion(1), .voters(voters)], snapshot: snapshotID)
        #expect(actions == [.votersChanged(voters)])
        #expect(core.controlRecords.kraftVersion == 1)
        #expect(core.voters == voters && core.isVoter)
        // The same records again change nothing.
        #expect(core.adoptSnapshotControlRecords([.kraftVersion(1), .voters(voters)], snapshot: snapshotID).isEmpty)
        // Records for a snapshot the log does not start at are ignored.
        #expect(core.adoptSnapshotControlRecords([.voters(VoterSet([1]))], snapshot: OffsetAndEpoch(offset: 3, epoch: 1)).isEmpty)
        #expect(core.voters == voters)
    }
}

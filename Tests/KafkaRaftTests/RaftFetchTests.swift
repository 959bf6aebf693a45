import KafkaRaft
import Testing

/// Pull replication: the leader's answers to Fetch, and followers and observers handling them.
@Suite struct RaftFetchTests {
    /// Replica 1 leading epoch 1 of voters 1-3, its epoch-start entries flushed: leader change (offset 0),
    /// then the kraft.version 1 bootstrap, KRaftVersion (1) and VotersRecord (2).
    func leader() -> (Core, Int64) {
        var core = makeCore()
        let now = electLeader(&core)
        _ = core.handle(.persisted(upTo: 3), now: now)
        return (core, now)
    }

    func fetch(offset: Int64, lastEpoch: Int32, epoch: Int32 = 1, replica: Int32 = 2, maxWait: Int64 = 0) -> RaftMessage {
        .fetchRequest(FetchRequest(replicaID: replica, maxWaitMs: maxWait, currentLeaderEpoch: epoch,
                                   fetchOffset: offset, lastFetchedEpoch: lastEpoch))
    }

    @Test func leaderServesEntriesAndCommitsWhenAMajorityHasThem() {
        var (core, now) = leader()
        let accepted = core.handle(.append([[1], [2]]), now: now)
        #expect(accepted.contains(.appendAccepted(last: OffsetAndEpoch(offset: 4, epoch: 1))))
        _ = core.handle(.persisted(upTo: 5), now: now)
        let first = core.handle(request(fetch(offset: 0, lastEpoch: 0), from: 2), now: now + 1)
        let response = try! #require(first.sent.compactMap(\.fetchResponse).last)
        #expect(response.records.map(\.payload) == [[], [], [], [1], [2]])
        #expect(response.records.prefix(3).allSatisfy { $0.isControl })
        #expect(response.highWatermark == -1)
        #expect(first.committed.isEmpty, "fetching from 0 shows nothing replicated yet")
        let second = core.handle(request(fetch(offset: 5, lastEpoch: 1), from: 2), now: now + 2)
        #expect(second.committed == [5])
        #expect(second.sent.compactMap(\.fetchResponse).last?.highWatermark == 5)
        #expect(core.highWatermark == 5)
    }

    @Test func fetchErrorsNameTheCurrentLeader() {
        var (core, now) = leader()
        let stale = core.handle(request(fetch(offset: 0, lastEpoch: 0, epoch: 0), from: 2), now: now)
        #expect(stale.sent.compactMap(\.fetchResponse).last?.errorCode == .fencedLeaderEpoch)
        #expect(stale.sent.compactMap(\.fetchResponse).last?.leaderID == 1)
        #expect(stale.sent.compactMap(\.fetchResponse).last?.leaderEpoch == 1)
        let future = core.handle(request(fetch(offset: 0, lastEpoch: 0, epoch: 2), from: 2), now: now)
        #expect(future.sent.compactMap(\.fetchResponse).last?.errorCode == .unknownLeaderEpoch)
        let invalid = core.handle(request(fetch(offset: 0, lastEpoch: 3, epoch: 1), from: 2), now: now)
        #expect(invalid.sent.compactMap(\.fetchResponse).last?.errorCode == .invalidRequest)

        var follower = makeCore(id: 3, quorumState: QuorumStateData(leaderEpoch: 4, leaderID: 2))
        let notLeader = follower.handle(request(fetch(offset: 0, lastEpoch: 0, epoch: 4, replica: 100), from: 100, to: 3),
                                        now: 1)
        #expect(notLeader.sent.compactMap(\.fetchResponse).last == FetchResponse(errorCode: .notLeaderOrFollower, highWatermark: -1,
                                                                     leaderID: 2, leaderEpoch: 4))
    }

    @Test func divergingFollowerTruncatesAndFetchesAgain() {
        // Follower 2 wrote offsets 1-2 in epoch 2 that leader 3 (epoch 4) never had.
        var (follower, started) = startCore(id: 2, quorumState: QuorumStateData(leaderEpoch: 4, leaderID: 3),
                                            log: entries([1, 2, 2]))
        let first = try! #require(started.sent.first { $0.fetchRequest != nil })
        #expect(first.fetchRequest?.fetchOffset == 3)
        #expect(first.fetchRequest?.lastFetchedEpoch == 2)

        var leaderLog = MemoryRaftLog(entries: entries([1]))
        leaderLog.append([leaderChangeEntry(epoch: 4, leader: 3)])
        let divergence = try! #require(leaderLog.divergence(fetchOffset: 3, lastFetchedEpoch: 2))
        #expect(divergence == OffsetAndEpoch(offset: 1, epoch: 1))

        let actions = follower.handle(.received(first.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: -1, divergingEpoch: .init(epoch: divergence.epoch, endOffset: divergence.offset),
            leaderID: 3, leaderEpoch: 4)))), now: 2)
        #expect(actions.contains(.truncateLog(toOffset: 1)))
        #expect(follower.log.endOffset == OffsetAndEpoch(offset: 1, epoch: 1))
        let next = try! #require(actions.sent.first { $0.fetchRequest != nil }?.fetchRequest)
        #expect(next.fetchOffset == 1)
        #expect(next.lastFetchedEpoch == 1)
        #expect(leaderLog.divergence(fetchOffset: 1, lastFetchedEpoch: 1) == nil)
    }

    @Test func followerAppendsFlushesAndFetchesOnlyOnceDurable() {
        var (follower, started) = startCore(id: 2, quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1))
        let request = try! #require(started.sent.first { $0.fetchRequest != nil })
        let records = [leaderChangeEntry(epoch: 1, leader: 1), RaftEntry(epoch: 1, payload: [7])]
        let actions = follower.handle(.received(request.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: 5, leaderID: 1, leaderEpoch: 1, recordsBaseOffset: 0, records: records)))),
                                      now: 2)
        #expect(actions.contains(.appendToLog(baseOffset: 0, entries: records)))
        #expect(actions.contains(.flushLog(upTo: 2)))
        #expect(actions.committed == [2], "the high watermark is capped by the follower's log end")
        #expect(actions.sent.isEmpty, "no fetch reports offset 2 before it is durable")
        let afterFlush = follower.handle(.persisted(upTo: 2), now: 3)
        #expect(afterFlush.sent.first?.fetchRequest?.fetchOffset == 2)
    }

    @Test func fetchWithNoNewDataWaitsForAnAppend() {
        var (core, now) = leader()
        let parked = core.handle(request(fetch(offset: 3, lastEpoch: 1, maxWait: 500), from: 2, correlationID: 5), now: now)
        #expect(parked.sent.allSatisfy { $0.fetchResponse == nil })
        let appended = core.handle(.append([[9]]), now: now + 10)
        let answer = try! #require(appended.sent.first { $0.fetchResponse != nil })
        #expect(answer.correlationID == 5)
        #expect(answer.fetchResponse?.records.map(\.payload) == [[9]])
        // Another parked fetch times out with an empty answer.
        _ = core.handle(request(fetch(offset: 4, lastEpoch: 1, maxWait: 500), from: 3, correlationID: 6), now: now + 20)
        #expect(core.handle(.tick, now: now + 519).sent.allSatisfy { $0.fetchResponse == nil })
        let expired = core.handle(.tick, now: now + 520)
        #expect(expired.sent.first { $0.fetchResponse != nil }?.correlationID == 6)
    }

    /// KIP-1166 (Fetch v18): a fetcher that says which high watermark it knows is answered at once while
    /// the leader's is higher, and a parked one as soon as the leader's passes it, with no records to wait for.
    @Test func aFetcherBehindOnTheHighWatermarkIsAnsweredWithoutWaiting() {
        var (core, now) = leader()
        func observer(offset: Int64, knows highWatermark: Int64) -> RaftMessage {
            .fetchRequest(FetchRequest(replicaID: 100, maxWaitMs: 500, currentLeaderEpoch: 1, fetchOffset: offset,
                                       lastFetchedEpoch: 1, highWatermark: highWatermark))
        }
        _ = core.handle(.append([[1]]), now: now)
        _ = core.handle(.persisted(upTo: 4), now: now)
        _ = core.handle(request(fetch(offset: 4, lastEpoch: 1), from: 2), now: now + 1)
        #expect(core.highWatermark == 4)
        let behind = core.handle(request(observer(offset: 4, knows: 2), from: 100, correlationID: 7), now: now + 2)
        let answer = try! #require(behind.sent.first { $0.correlationID == 7 }?.fetchResponse)
        #expect(answer.records.isEmpty && answer.highWatermark == 4)
        let current = core.handle(request(observer(offset: 4, knows: 4), from: 100, correlationID: 8), now: now + 3)
        #expect(current.sent.allSatisfy { $0.fetchResponse == nil }, "nothing new: the fetch waits")
        _ = core.handle(.append([[2]]), now: now + 4)
        _ = core.handle(.persisted(upTo: 5), now: now + 4)
        let parked = core.handle(request(observer(offset: 5, knows: 4), from: 100, correlationID: 9), now: now + 5)
        #expect(parked.sent.allSatisfy { $0.fetchResponse == nil })
        // Voter 2 catches up: the high watermark moves to 5 and the observer hears of it.
        let committed = core.handle(request(fetch(offset: 5, lastEpoch: 1), from: 2), now: now + 6)
        #expect(committed.committed == [5])
        let woken = try! #require(committed.sent.first { $0.correlationID == 9 }?.fetchResponse)
        #expect(woken.records.isEmpty && woken.highWatermark == 5)
    }

    @Test func observerFetchesAreTrackedButDoNotCommit() {
        var (core, now) = leader()
        _ = core.handle(.append([[1]]), now: now)
        _ = core.handle(.persisted(upTo: 4), now: now)
        let actions = core.handle(request(fetch(offset: 4, lastEpoch: 1, replica: 100), from: 100), now: now + 5)
        #expect(actions.committed.isEmpty)
        let described = core.describeQuorum(now: now + 6)
        #expect(described.errorCode == .none)
        #expect(described.leaderID == 1)
        #expect(described.leaderEpoch == 1)
        #expect(described.currentVoters.map(\.replicaID) == [1, 2, 3])
        #expect(described.currentVoters.first?.logEndOffset == 4)
        #expect(described.observers == [.init(replicaID: 100, logEndOffset: 4, lastFetchTimestamp: now + 5,
                                              lastCaughtUpTimestamp: now + 5)])
        #expect(makeCore(id: 2).describeQuorum(now: 0).errorCode == .notLeaderOrFollower)
    }

    @Test func unattachedObserverFindsTheLeaderThroughAnyVoter() {
        var (observer, started) = startCore(id: 100)
        #expect(observer.state.name == "Unattached")
        let probe = try! #require(started.sent.first { $0.fetchRequest != nil })
        #expect(probe.fetchRequest?.currentLeaderEpoch == 0)
        let found = observer.handle(.received(probe.reply(.fetchResponse(FetchResponse(
            errorCode: .fencedLeaderEpoch, highWatermark: -1, leaderID: 3, leaderEpoch: 6)))), now: 2)
        #expect(observer.state.name == "Follower")
        #expect(observer.leaderID == 3)
        #expect(observer.epoch == 6)
        let next = try! #require(found.sent.first { $0.fetchRequest != nil })
        #expect(next.destination == 3)
        #expect(next.fetchRequest?.currentLeaderEpoch == 6)
        // Observers never campaign.
        _ = observer.handle(.tick, now: 60_000)
        #expect(observer.state.name == "Follower")
    }

    @Test func duplicatedOrLateResponsesAreIgnored() {
        var (follower, started) = startCore(id: 2, quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1))
        let request = try! #require(started.sent.first { $0.fetchRequest != nil })
        let response = request.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: -1, leaderID: 1, leaderEpoch: 1, recordsBaseOffset: 0,
            records: [RaftEntry(epoch: 1, payload: [1])])))
        _ = follower.handle(.received(response), now: 2)
        let duplicate = follower.handle(.received(response), now: 3)
        #expect(!duplicate.contains { if case .appendToLog = $0 { true } else { false } })
        #expect(follower.log.endOffset.offset == 1)
    }
}

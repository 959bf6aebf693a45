import KafkaRaft
import Testing

/// The voter set as data and as the log's latest VotersRecord at every replica.
@Suite struct RaftVoterSetTests {
    static let directory = DirectoryID(mostSignificantBits: 1, leastSignificantBits: 2)

    @Test func addRemoveAndUpdateFollowKafkasVoterSet() {
        let set = VoterSet([1, 2, 3])
        #expect(set.adding(.init(voterID: 2)) == nil)
        let four = set.adding(.init(voterID: 4, voterDirectoryID: Self.directory))
        #expect(four?.sorted == [1, 2, 3, 4])
        #expect(four?.majority == 3)
        #expect(four?.removing(4, directoryID: .zero) == nil, "a known directory id must match")
        #expect(four?.removing(4, directoryID: Self.directory)?.sorted == [1, 2, 3])
        #expect(set.removing(2, directoryID: Self.directory)?.sorted == [1, 3], "a static voter has no directory id")
        #expect(VoterSet([1]).removing(1, directoryID: .zero) == nil)
        let endpoint = VoterSet.Endpoint(name: "CONTROLLER", host: "h", port: 1)
        #expect(set.updating(.init(voterID: 2, endpoints: [endpoint]))?.voter(2)?.endpoints == [endpoint])
        #expect(set.updating(.init(voterID: 7)) == nil)
    }

    @Test func historyKeepsTheLatestVoterSetAndRevertsOnTruncation() {
        var history = ControlRecordHistory(staticVoters: VoterSet([1, 2, 3]))
        history.apply([RaftEntry(epoch: 1, payload: [1]), RaftEntry(epoch: 1, control: .kraftVersion(1)),
                       RaftEntry(epoch: 1, control: .voters(VoterSet([1, 2, 3])))], baseOffset: 0)
        history.apply([RaftEntry(epoch: 2, control: .voters(VoterSet([1, 2, 3, 4])))], baseOffset: 5)
        #expect(history.voters.sorted == [1, 2, 3, 4])
        #expect(history.lastVoterSetOffset == 5)
        #expect(history.kraftVersion == 1)
        #expect(history.voters(at: 5).sorted == [1, 2, 3])
        #expect(history.voters(at: 6).sorted == [1, 2, 3, 4])
        history.truncate(to: 5)
        #expect(history.voters.sorted == [1, 2, 3])
        history.truncate(to: 1)
        #expect(history.voters == VoterSet([1, 2, 3]))
        #expect(history.lastVoterSetOffset == nil)
        #expect(history.kraftVersion == 0)
    }

    @Test func followerAdoptsAnUncommittedVoterSetAndDropsItWithTheEntry() {
        var (follower, started) = startCore(id: 4, quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1))
        #expect(!follower.isVoter)
        let fetch = try! #require(started.sent.first { $0.fetchRequest != nil })
        let records = [leaderChangeEntry(epoch: 1, leader: 1), RaftEntry(epoch: 1, control: .kraftVersion(1)),
                       RaftEntry(epoch: 1, control: .voters(VoterSet([1, 2, 3]))),
                       RaftEntry(epoch: 1, control: .voters(VoterSet([1, 2, 3, 4])))]
        let appended = follower.handle(.received(fetch.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: 3, leaderID: 1, leaderEpoch: 1, recordsBaseOffset: 0, records: records)))),
                                       now: 1)
        #expect(appended.contains(.flushLog(upTo: 4)))
        #expect(follower.isVoter, "the uncommitted VotersRecord at offset 3 makes 4 a voter")
        // A voter follower whose leader goes quiet starts an election.
        let timedOut = follower.handle(.tick, now: 1 + QuorumConfig().fetchTimeoutMs)
        #expect(follower.state.name == "Prospective")
        #expect(Set(timedOut.sent.compactMap(\.voteRequest).map(\.voterID)) == [1, 2, 3])

        // Another leader of a later epoch never had offset 3: the follower truncates and is an observer again.
        var (other, otherStarted) = startCore(id: 4, quorumState: QuorumStateData(leaderEpoch: 2, leaderID: 2))
        let otherFetch = try! #require(otherStarted.sent.first { $0.fetchRequest != nil })
        _ = other.handle(.received(otherFetch.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: 3, leaderID: 2, leaderEpoch: 2, recordsBaseOffset: 0, records: records)))),
                         now: 1)
        #expect(other.isVoter)
        let next = try! #require(other.handle(.persisted(upTo: 4), now: 2).sent.first { $0.fetchRequest != nil })
        let truncated = other.handle(.received(next.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: 3, divergingEpoch: .init(epoch: 1, endOffset: 3), leaderID: 2,
            leaderEpoch: 2)))), now: 4)
        #expect(truncated.contains(.truncateLog(toOffset: 3)))
        #expect(truncated.contains(.votersChanged(VoterSet([1, 2, 3]))))
        #expect(!other.isVoter)
        #expect(other.voters == VoterSet([1, 2, 3]))
    }

    @Test func restartTakesTheVoterSetFromTheLog() {
        let log = [leaderChangeEntry(epoch: 1, leader: 1), RaftEntry(epoch: 1, control: .voters(VoterSet([1, 2, 3, 4])))]
        var (core, started) = startCore(id: 4, quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1), log: log)
        #expect(core.voters.sorted == [1, 2, 3, 4])
        #expect(core.isVoter)
        #expect(started.persisted.last?.currentVoters == [1, 2, 3, 4])
        _ = core.handle(.tick, now: QuorumConfig().fetchTimeoutMs)
        #expect(core.state.name == "Prospective")
    }

    @Test func leaderFollowingItsRemovalIsStillAcceptedForEndQuorumEpoch() {
        var (follower, started) = startCore(id: 2, quorumState: QuorumStateData(leaderEpoch: 3, leaderID: 1))
        let fetch = try! #require(started.sent.first { $0.fetchRequest != nil })
        _ = follower.handle(.received(fetch.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: 1, leaderID: 1, leaderEpoch: 3, recordsBaseOffset: 0,
            records: [RaftEntry(epoch: 3, control: .voters(VoterSet([2, 3])))])))), now: 1)
        #expect(!follower.voters.contains(1))
        #expect(follower.leaderID == 1)
        let ended = follower.handle(request(.endQuorumEpochRequest(EndQuorumEpochRequest(
            leaderID: 1, leaderEpoch: 3, preferredSuccessors: [2, 3])), from: 1, to: 2), now: 5)
        let errors = ended.sent.compactMap { envelope -> RaftErrorCode? in
            if case .endQuorumEpochResponse(let response) = envelope.message { response.errorCode } else { nil }
        }
        #expect(errors == [.none])
        #expect(follower.state.name == "Prospective", "the first preferred successor starts an election at once")
    }

    @Test func restartedLeaderThatRemovedItselfComesBackResigned() {
        let log = [leaderChangeEntry(epoch: 2, leader: 1), RaftEntry(epoch: 2, control: .voters(VoterSet([2, 3])))]
        let (core, started) = startCore(id: 1, quorumState: QuorumStateData(leaderEpoch: 2, leaderID: 1), log: log)
        #expect(!core.isVoter)
        #expect(core.state.name == "Resigned")
        #expect(started.contains(.resigned(epoch: 2)))
        #expect(Set(started.sent.compactMap(\.endQuorumEpochRequest).map(\.leaderEpoch)) == [2])
    }

    /// Found by the reconfiguration simulation: an observer probing voters that know no leader, with one
    /// probe timed out and another in flight, must keep probing (a timed-out request's deadline once hid
    /// the later one, and nothing woke the observer again).
    @Test func unattachedObserverKeepsLookingForTheLeader() {
        var (observer, started) = startCore(id: 100)
        let first = try! #require(started.sent.first { $0.fetchRequest != nil })
        let noLeader = FetchResponse(errorCode: .notLeaderOrFollower, highWatermark: -1, leaderID: -1, leaderEpoch: 0)
        let second = observer.handle(.received(first.reply(.fetchResponse(noLeader))), now: 5)
        #expect(second.sent.contains { $0.fetchRequest != nil }, "the next voter is probed at once")
        var now = second.compactMap { if case .scheduleTick(let at) = $0 { at } else { nil } }.last!
        var probes = 0
        for _ in 0..<10 {
            let actions = observer.handle(.tick, now: now)
            probes += actions.sent.filter { $0.fetchRequest != nil }.count
            let next = actions.compactMap { if case .scheduleTick(let at) = $0 { at } else { nil } }.last!
            #expect(next > now && next < Int64.max)
            now = next
        }
        #expect(probes >= 3, "unanswered probes time out and new ones go out")
    }
}

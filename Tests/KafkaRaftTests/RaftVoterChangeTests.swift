import KafkaRaft
import Testing

/// KIP-853 at the leader, as transcripts: AddRaftVoter, RemoveRaftVoter and UpdateRaftVoter and each of
/// their errors.
@Suite struct RaftVoterChangeTests {
    static let client = RaftEnvelope.adminClient
    static let endpoint = VoterSet.Endpoint(name: "CONTROLLER", host: "node4", port: 9093)
    static let directory4 = DirectoryID(mostSignificantBits: 4, leastSignificantBits: 44)

    func fetch(offset: Int64, replica: Int32, epoch: Int32 = 1) -> RaftInput {
        request(.fetchRequest(FetchRequest(replicaID: replica, maxWaitMs: 0, currentLeaderEpoch: epoch,
                                           fetchOffset: offset, lastFetchedEpoch: offset == 0 ? 0 : epoch)),
                from: replica)
    }

    func admin(_ message: RaftMessage, to destination: Int32 = 1, correlationID: Int32 = 41) -> RaftInput {
        request(message, from: Self.client, to: destination, correlationID: correlationID)
    }

    func addVoter4(timeoutMs: Int32 = 30_000, listeners: [VoterSet.Endpoint] = [endpoint],
                   range: VoterSet.KRaftVersionRange = .strom) -> RaftMessage {
        .addRaftVoterRequest(AddRaftVoterRequest(timeoutMs: timeoutMs, voterID: 4, voterDirectoryID: Self.directory4,
                                                 listeners: listeners, supportedKRaftVersions: range))
    }

    func remove(_ id: Int32, directoryID: DirectoryID = .zero) -> RaftMessage {
        .removeRaftVoterRequest(RemoveRaftVoterRequest(voterID: id, voterDirectoryID: directoryID))
    }

    /// Replica 1 leading epoch 1 of voters 1-3 with its epoch-start entries (offsets 0-2) committed by
    /// voter 2, and observer 4 caught up.
    func committedLeader(config: QuorumConfig = QuorumConfig()) -> (Core, Int64) {
        var core = Core(localID: 1, voters: VoterSet([1, 2, 3]), config: config, quorumState: nil,
                        log: MemoryRaftLog(), now: 0, seed: 7)
        _ = core.handle(.tick, now: 0)
        let now = electLeader(&core)
        let end = core.log.endOffset.offset
        _ = core.handle(.persisted(upTo: end), now: now)
        _ = core.handle(fetch(offset: end, replica: 2), now: now)
        _ = core.handle(fetch(offset: end, replica: 4), now: now)
        return (core, now)
    }

    func answers(_ actions: [RaftAction]) -> [RaftEnvelope] { actions.sent.filter { $0.destination == Self.client } }

    func changeErrors(_ actions: [RaftAction]) -> [RaftErrorCode] {
        answers(actions).compactMap {
            switch $0.message {
            case .addRaftVoterResponse(let response), .removeRaftVoterResponse(let response): response.errorCode
            default: nil
            }
        }
    }

    @Test func addedObserverVotesOnceAppendedAndTheChangeAnswersWhenTheNewMajorityCommits() {
        var (core, now) = committedLeader()
        #expect(core.highWatermark == 3)
        let added = core.handle(admin(addVoter4()), now: now + 1)
        let voter4 = VoterSet.Voter(voterID: 4, voterDirectoryID: Self.directory4, endpoints: [Self.endpoint])
        let expected = VoterSet(voters: [.init(voterID: 1), .init(voterID: 2), .init(voterID: 3), voter4])
        #expect(added.contains(.appendToLog(baseOffset: 3, entries: [RaftEntry(epoch: 1, control: .voters(expected))])))
        #expect(added.contains(.flushLog(upTo: 4)))
        #expect(added.contains(.votersChanged(expected)))
        #expect(answers(added).isEmpty, "the answer waits for the commit")
        #expect(core.voters == expected, "the uncommitted VotersRecord is in force at once")
        #expect(core.describeQuorum(now: now + 1).currentVoters.map(\.replicaID) == [1, 2, 3, 4])
        _ = core.handle(.persisted(upTo: 4), now: now + 2)
        // Leader and voter 2 at 4 are two of four: not yet a majority of the new set.
        let two = core.handle(fetch(offset: 4, replica: 2), now: now + 3)
        #expect(two.committed.isEmpty)
        #expect(answers(two).isEmpty)
        let three = core.handle(fetch(offset: 4, replica: 4), now: now + 4)
        #expect(three.committed == [4])
        #expect(answers(three) == [RaftEnvelope(source: 1, destination: Self.client, correlationID: 41,
                                                message: .addRaftVoterResponse(RaftVoterChangeResponse(errorCode: .none)))])
    }

    /// AddRaftVoter v1 with AckWhenCommitted false (KIP-1186): answered NONE as soon as the record is
    /// appended; the next change still waits for it to commit.
    @Test func anAddThatDoesNotWaitForTheCommitIsAnsweredOnceAppended() {
        var (core, now) = committedLeader()
        var request = AddRaftVoterRequest(timeoutMs: 30_000, voterID: 4, voterDirectoryID: Self.directory4, listeners: [Self.endpoint])
        request.ackWhenCommitted = false
        let added = core.handle(admin(.addRaftVoterRequest(request)), now: now + 1)
        #expect(added.contains { if case .appendToLog(baseOffset: 3, entries: _) = $0 { true } else { false } })
        #expect(changeErrors(added) == [.none])
        #expect(core.voters.ids.contains(4) && core.highWatermark == 3, "in force, not committed")
        #expect(changeErrors(core.handle(admin(remove(3), correlationID: 2), now: now + 2)) == [.requestTimedOut],
                "the appended set is not committed yet")
    }

    @Test func addRaftVoterErrors() {
        var follower = makeCore(id: 2, quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1))
        #expect(changeErrors(follower.handle(admin(addVoter4(), to: 2), now: 1)) == [.notLeaderOrFollower])

        var uncommitted = makeCore()
        let elected = electLeader(&uncommitted)
        #expect(changeErrors(uncommitted.handle(admin(addVoter4()), now: elected)) == [.requestTimedOut],
                "no high watermark in the epoch yet")

        var (core, now) = committedLeader()
        let duplicate = AddRaftVoterRequest(timeoutMs: 100, voterID: 2, voterDirectoryID: .zero, listeners: [Self.endpoint])
        #expect(changeErrors(core.handle(admin(.addRaftVoterRequest(duplicate)), now: now)) == [.duplicateVoter])
        #expect(changeErrors(core.handle(admin(addVoter4(listeners: [])), now: now)) == [.invalidRequest])
        let future = VoterSet.KRaftVersionRange(minSupportedVersion: 2, maxSupportedVersion: 3)
        #expect(changeErrors(core.handle(admin(addVoter4(range: future)), now: now)) == [.invalidRequest])
        var stranger = AddRaftVoterRequest(timeoutMs: 100, voterID: 5, voterDirectoryID: .zero, listeners: [Self.endpoint])
        #expect(changeErrors(core.handle(admin(.addRaftVoterRequest(stranger)), now: now)) == [.requestTimedOut],
                "5 never fetched: not a caught-up observer")
        stranger.voterID = -3
        #expect(changeErrors(core.handle(admin(.addRaftVoterRequest(stranger)), now: now)) == [.invalidRequest])
        #expect(changeErrors(core.handle(admin(addVoter4()), now: now + QuorumConfig().fetchTimeoutMs)) == [.requestTimedOut],
                "4 has not fetched within the fetch timeout")
        #expect(core.voters == VoterSet([1, 2, 3]))
        #expect(core.log.endOffset.offset == 3, "no error appends anything")
    }

    @Test func observerBehindTheHighWatermarkIsNotAdded() {
        var (core, now) = committedLeader()
        _ = core.handle(.append([[1], [2]]), now: now)
        _ = core.handle(.persisted(upTo: 5), now: now)
        _ = core.handle(fetch(offset: 5, replica: 2), now: now + 1)
        #expect(core.highWatermark == 5)
        _ = core.handle(fetch(offset: 3, replica: 4), now: now + 2)
        #expect(changeErrors(core.handle(admin(addVoter4()), now: now + 3)) == [.requestTimedOut])
        _ = core.handle(fetch(offset: 5, replica: 4), now: now + 4)
        let added = core.handle(admin(addVoter4()), now: now + 5)
        #expect(changeErrors(added).isEmpty)
        #expect(core.voters.contains(4))
    }

    @Test func oneChangeAtATimeAndAPendingOneTimesOut() {
        var (core, now) = committedLeader()
        _ = core.handle(admin(addVoter4(timeoutMs: 500), correlationID: 1), now: now)
        #expect(changeErrors(core.handle(admin(remove(3), correlationID: 2), now: now + 10)) == [.requestTimedOut],
                "an add is in flight")
        let tick = core.handle(.tick, now: now + 100)
        #expect(tick.contains { if case .scheduleTick(let at) = $0 { at <= now + 500 } else { false } })
        let expired = core.handle(.tick, now: now + 500)
        #expect(answers(expired).map(\.correlationID) == [1])
        #expect(changeErrors(expired) == [.requestTimedOut])
        // The record stays in the log, uncommitted: the next change still waits for it.
        #expect(changeErrors(core.handle(admin(remove(3), correlationID: 3), now: now + 501)) == [.requestTimedOut])
    }

    @Test func kraftVersionZeroKeepsTheStaticVoters() {
        var config = QuorumConfig()
        config.kraftVersion = 0
        var (core, now) = committedLeader(config: config)
        #expect(core.log.entries.count == 1, "only the leader-change entry")
        #expect(core.controlRecords.kraftVersion == 0)
        #expect(core.highWatermark == 1)
        #expect(changeErrors(core.handle(admin(addVoter4()), now: now)) == [.unsupportedVersion])
        #expect(changeErrors(core.handle(admin(remove(3)), now: now)) == [.unsupportedVersion])
    }

    @Test func removedVoterStopsCountingAndTheChangeAnswersOnCommit() {
        var (core, now) = committedLeader()
        let removed = core.handle(admin(remove(3)), now: now)
        #expect(removed.contains(.appendToLog(baseOffset: 3, entries: [RaftEntry(epoch: 1, control: .voters(VoterSet([1, 2])))])))
        #expect(core.voters == VoterSet([1, 2]))
        #expect(core.describeQuorum(now: now).observers.map(\.replicaID).contains(3) == false,
                "3 never fetched, so it is not listed as an observer either")
        _ = core.handle(.persisted(upTo: 4), now: now + 1)
        // Voter 3 fetching to the end no longer commits anything.
        #expect(core.handle(fetch(offset: 4, replica: 3), now: now + 2).committed.isEmpty)
        let committed = core.handle(fetch(offset: 4, replica: 2), now: now + 3)
        #expect(committed.committed == [4])
        #expect(changeErrors(committed) == [.none])
    }

    @Test func removeRaftVoterErrors() {
        var (core, now) = committedLeader()
        #expect(changeErrors(core.handle(admin(remove(9)), now: now)) == [.voterNotFound])
        #expect(changeErrors(core.handle(admin(remove(-1)), now: now)) == [.invalidRequest])
        var follower = makeCore(id: 2, quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1))
        #expect(changeErrors(follower.handle(admin(remove(3), to: 2), now: 1)) == [.notLeaderOrFollower])

        // A voter with a directory id is removed only by its own.
        let withDirectory = VoterSet(voters: [.init(voterID: 1), .init(voterID: 2),
                                              .init(voterID: 3, voterDirectoryID: Self.directory4)])
        var keyed = Core(localID: 1, voters: withDirectory, quorumState: nil, log: MemoryRaftLog(), now: 0, seed: 7)
        let start = electLeader(&keyed)
        _ = keyed.handle(.persisted(upTo: 3), now: start)
        _ = keyed.handle(fetch(offset: 3, replica: 2), now: start)
        let other = DirectoryID(mostSignificantBits: 9, leastSignificantBits: 9)
        #expect(changeErrors(keyed.handle(admin(remove(3, directoryID: other)), now: start)) == [.voterNotFound])
        #expect(changeErrors(keyed.handle(admin(remove(3, directoryID: Self.directory4)), now: start)).isEmpty)

        // The last voter cannot be removed.
        var alone = Core(localID: 1, voters: VoterSet([1]), quorumState: nil, log: MemoryRaftLog(), now: 0, seed: 1)
        _ = alone.handle(.tick, now: 0)
        _ = alone.handle(.tick, now: 2_000)
        _ = alone.handle(.persisted(upTo: 3), now: 2_000)
        #expect(alone.state.isLeader && alone.highWatermark == 3)
        #expect(changeErrors(alone.handle(admin(remove(1)), now: 2_001)) == [.voterNotFound])
    }

    @Test func leaderThatRemovedItselfLeadsUntilTheChangeCommitsThenResigns() {
        var (core, now) = committedLeader()
        let removed = core.handle(admin(remove(1)), now: now)
        #expect(changeErrors(removed).isEmpty)
        #expect(core.state.isLeader)
        #expect(!core.isVoter)
        // Its own flushed position no longer counts: the new set {2, 3} must commit on its own.
        #expect(core.handle(.persisted(upTo: 4), now: now + 1).committed.isEmpty)
        #expect(core.handle(fetch(offset: 4, replica: 2), now: now + 2).committed.isEmpty)
        let committed = core.handle(fetch(offset: 4, replica: 3), now: now + 3)
        #expect(committed.committed == [4])
        #expect(changeErrors(committed) == [.none])
        #expect(committed.contains(.resigned(epoch: 1)))
        #expect(core.state.name == "Resigned")
        let ends = committed.sent.compactMap(\.endQuorumEpochRequest)
        #expect(ends.count == 2)
        #expect(Set(ends.flatMap(\.preferredSuccessors)) == [2, 3])
    }

    @Test func leadershipEndingAnswersThePendingChange() {
        var (core, now) = committedLeader()
        _ = core.handle(admin(addVoter4()), now: now)
        let deposed = core.handle(request(.beginQuorumEpochRequest(BeginQuorumEpochRequest(leaderID: 2, leaderEpoch: 2)),
                                          from: 2), now: now + 1)
        #expect(core.state.name == "Follower")
        #expect(changeErrors(deposed) == [.notLeaderOrFollower])
    }

    @Test func updateRaftVoterReplacesEndpointsAndAnswersAtOnce() {
        var (core, now) = committedLeader()
        let endpoint2 = VoterSet.Endpoint(name: "CONTROLLER", host: "node2", port: 19093)
        func update(_ id: Int32, epoch: Int32 = 1, range: VoterSet.KRaftVersionRange = .strom,
                    to destination: Int32 = 1) -> RaftInput {
            request(.updateRaftVoterRequest(UpdateRaftVoterRequest(
                currentLeaderEpoch: epoch, voterID: id, voterDirectoryID: .zero, listeners: [endpoint2],
                kraftVersionFeature: range)), from: 2, to: destination)
        }
        func error(_ actions: [RaftAction]) -> RaftErrorCode? {
            actions.sent.compactMap { if case .updateRaftVoterResponse(let response) = $0.message { response.errorCode } else { nil } }.last
        }
        #expect(error(core.handle(update(2, epoch: 0), now: now)) == .fencedLeaderEpoch)
        #expect(error(core.handle(update(2, epoch: 2), now: now)) == .unknownLeaderEpoch)
        #expect(error(core.handle(update(9), now: now)) == .voterNotFound)
        #expect(error(core.handle(update(2, range: .init(minSupportedVersion: 0, maxSupportedVersion: 0)), now: now))
                == .invalidRequest)
        let updated = core.handle(update(2), now: now)
        #expect(updated.sent.last == RaftEnvelope(source: 1, destination: 2, correlationID: 99, message:
            .updateRaftVoterResponse(UpdateRaftVoterResponse(errorCode: .none, leaderID: 1, leaderEpoch: 1))))
        #expect(core.voters.voter(2)?.endpoints == [endpoint2])
        #expect(core.controlRecords.lastVoterSetOffset == 3)
        #expect(error(core.handle(update(2), now: now)) == .requestTimedOut, "the previous VotersRecord is uncommitted")

        var follower = makeCore(id: 3, quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1))
        #expect(error(follower.handle(update(2, to: 3), now: 1)) == .notLeaderOrFollower)
    }

    @Test func voterWhoseEntryDiffersSendsUpdateRaftVoterOncePerEpoch() {
        var config = QuorumConfig()
        config.localListeners = [VoterSet.Endpoint(name: "CONTROLLER", host: "node2", port: 9093)]
        var follower = Core(localID: 2, voters: VoterSet([1, 2, 3]), config: config,
                            quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1), log: MemoryRaftLog(), now: 0, seed: 7)
        let fetch = try! #require(follower.handle(.tick, now: 0).sent.first { $0.fetchRequest != nil })
        let records = [leaderChangeEntry(epoch: 1, leader: 1), RaftEntry(epoch: 1, control: .kraftVersion(1)),
                       RaftEntry(epoch: 1, control: .voters(VoterSet([1, 2, 3])))]
        _ = follower.handle(.received(fetch.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: 3, leaderID: 1, leaderEpoch: 1, recordsBaseOffset: 0, records: records)))),
                            now: 1)
        let durable = follower.handle(.persisted(upTo: 3), now: 2)
        let update = try! #require(durable.sent.first)
        #expect(update.destination == 1)
        #expect(update.message == .updateRaftVoterRequest(UpdateRaftVoterRequest(
            currentLeaderEpoch: 1, voterID: 2, voterDirectoryID: .zero, listeners: config.localListeners,
            kraftVersionFeature: .strom)))
        // Refused while a change is pending: the follower goes on fetching from the leader and tries
        // again after the request timeout.
        let refused = follower.handle(.received(update.reply(.updateRaftVoterResponse(UpdateRaftVoterResponse(
            errorCode: .requestTimedOut, leaderID: 1, leaderEpoch: 1)))), now: 3)
        #expect(refused.sent.map(\.destination) == [1])
        #expect(refused.sent.allSatisfy { $0.fetchRequest != nil })
        var now: Int64 = 3
        var retried: RaftEnvelope?
        var outbox = refused.sent
        while retried == nil && now < 5_000 {
            now += 10
            let due = outbox + follower.handle(.tick, now: now).sent
            outbox = []
            for sent in due where retried == nil {
                if case .updateRaftVoterRequest = sent.message { retried = sent; break }
                // Fetches (to the leader, or to any voter while backing off from it) find nothing new;
                // what the answer makes the follower send goes out at the next step.
                outbox += follower.handle(.received(sent.reply(.fetchResponse(FetchResponse(
                    errorCode: .none, highWatermark: 3, leaderID: 1, leaderEpoch: 1, recordsBaseOffset: 3)))),
                                          now: now).sent
            }
        }
        let retry = try! #require(retried)
        #expect(now >= 3 + QuorumConfig().requestTimeoutMs)
        let accepted = follower.handle(.received(retry.reply(.updateRaftVoterResponse(UpdateRaftVoterResponse(
            errorCode: .none, leaderID: 1, leaderEpoch: 1)))), now: now + 1)
        #expect(accepted.sent.allSatisfy { $0.fetchRequest != nil }, "accepted: back to fetching")
        #expect(accepted.sent.count == 1)

        // A voter whose entry already matches sends none.
        var matching = QuorumConfig()
        matching.localListeners = []
        var quiet = Core(localID: 2, voters: VoterSet([1, 2, 3]), config: matching,
                         quorumState: QuorumStateData(leaderEpoch: 1, leaderID: 1), log: MemoryRaftLog(entries: records),
                         now: 0, seed: 7)
        let first = try! #require(quiet.handle(.tick, now: 0).sent.first)
        let next = quiet.handle(.received(first.reply(.fetchResponse(FetchResponse(
            errorCode: .none, highWatermark: 3, leaderID: 1, leaderEpoch: 1, recordsBaseOffset: 3)))), now: 1)
        #expect(next.sent.allSatisfy { $0.fetchRequest != nil })
    }
}

@testable import KafkaReplication
import Testing

/// A local leader epoch cache as `(epoch, startOffset)` entries, answering as Kafka's `endOffsetFor`.
struct EpochCache {
    var entries: [(epoch: Int32, startOffset: Int64)]
    var logEndOffset: Int64

    func endOffset(for epoch: Int32) -> EpochEndOffset? {
        guard let latest = entries.last else { return nil }
        if epoch == latest.epoch { return EpochEndOffset(leaderEpoch: epoch, endOffset: logEndOffset) }
        guard let higher = entries.first(where: { $0.epoch > epoch }) else { return nil }
        guard let floor = entries.last(where: { $0.epoch <= epoch }) else {
            return EpochEndOffset(leaderEpoch: epoch, endOffset: higher.startOffset)
        }
        return EpochEndOffset(leaderEpoch: floor.epoch, endOffset: higher.startOffset)
    }
}

@Suite struct FollowerFetchStateTests {
    func fetching(at offset: Int64 = 100, epoch: Int32 = 3) -> FollowerFetchState {
        FollowerFetchState(leaderId: 2, leaderEpoch: 7, logEndOffset: offset, latestEpoch: epoch, highWatermark: 80)
    }

    func request(_ state: FollowerFetchState, now: Int64 = 0) throws -> FetchPartitionRequest {
        guard case .fetch(let request) = state.nextStep(now: now, logStartOffset: 0) else {
            Issue.record("not fetching: \(state.nextStep(now: now, logStartOffset: 0))")
            throw ReplicationError.invalidRequest
        }
        return request
    }

    @Test func startsAtTheLogEndOffsetWithItsLatestEpoch() throws {
        let state = fetching()
        #expect(try request(state) == FetchPartitionRequest(fetchOffset: 100, currentLeaderEpoch: 7, lastFetchedEpoch: 3, logStartOffset: 0))
    }

    @Test func withoutAnEpochItFirstTruncatesToTheHighWatermark() throws {
        var state = FollowerFetchState(leaderId: 2, leaderEpoch: 7, logEndOffset: 100, latestEpoch: nil, highWatermark: 80)
        #expect(state.nextStep(now: 0, logStartOffset: 0) == .truncate(toOffset: 80))
        state.truncated(logEndOffset: 80, latestEpoch: nil)
        #expect(try request(state) == FetchPartitionRequest(fetchOffset: 80, currentLeaderEpoch: 7, lastFetchedEpoch: nil, logStartOffset: 0))
    }

    @Test func appendMovesTheFetchOffsetAndClampsTheHighWatermark() throws {
        var state = fetching()
        let sent = try request(state)
        #expect(state.handleResponse(to: sent, FetchPartitionResponse(highWatermark: 150, logStartOffset: 0),
                                     localLogEndOffset: 100, now: 1, endOffsetForEpoch: { _ in nil }) == .append)
        #expect(state.appended(logEndOffset: 120, latestEpoch: 7, logStartOffset: 0, leaderHighWatermark: 150) == 120)
        #expect(try request(state) == FetchPartitionRequest(fetchOffset: 120, currentLeaderEpoch: 7, lastFetchedEpoch: 7, logStartOffset: 0))
        // No records: the epoch is kept, and the leader's lower high watermark is taken.
        #expect(state.appended(logEndOffset: 120, latestEpoch: nil, logStartOffset: 0, leaderHighWatermark: 90) == 90)
        #expect(state.lastFetchedEpoch == 7)
    }

    @Test func aStaleResponseIsIgnored() throws {
        var state = fetching()
        var sent = try request(state)
        sent.fetchOffset = 90
        #expect(state.handleResponse(to: sent, FetchPartitionResponse(error: .fencedLeaderEpoch),
                                     localLogEndOffset: 100, now: 1, endOffsetForEpoch: { _ in nil }) == .ignore)
        #expect(state.status == .fetching)
    }

    @Test func divergingEpochTruncatesThenFetchesWithTheNewEpoch() throws {
        // Local: epoch 3 from 50, epoch 5 from 90, end 100. Leader: epoch 3 ended at 95.
        var state = fetching(at: 100, epoch: 5)
        let cache = EpochCache(entries: [(1, 0), (3, 50), (5, 90)], logEndOffset: 100)
        let sent = try request(state)
        let decision = state.handleResponse(
            to: sent, FetchPartitionResponse(divergingEpoch: EpochEndOffset(leaderEpoch: 3, endOffset: 95)),
            localLogEndOffset: 100, now: 1, endOffsetForEpoch: cache.endOffset(for:))
        #expect(decision == .truncate(toOffset: 90))
        #expect(state.nextStep(now: 1, logStartOffset: 0) == .truncate(toOffset: 90))
        state.truncated(logEndOffset: 90, latestEpoch: 3)
        #expect(try request(state, now: 1) == FetchPartitionRequest(fetchOffset: 90, currentLeaderEpoch: 7, lastFetchedEpoch: 3, logStartOffset: 0))
    }

    @Test func truncationOffsets() {
        let cache = EpochCache(entries: [(1, 0), (3, 50), (5, 90)], logEndOffset: 100)
        func offset(_ epoch: Int32, _ end: Int64, fetchOffset: Int64 = 100, cache: EpochCache? = cache) -> Int64 {
            FollowerFetchState.offsetTruncationState(
                leaderEpochEndOffset: EpochEndOffset(leaderEpoch: epoch, endOffset: end), fetchOffset: fetchOffset,
                localLogEndOffset: 100, endOffsetForEpoch: { cache?.endOffset(for: $0) })
        }
        #expect(offset(3, 70) == 70, "same epoch, the leader's ends first")
        #expect(offset(3, 95) == 90, "same epoch, ours ends first")
        #expect(offset(4, 95) == 90, "epoch unknown here: the end of our largest epoch below it, 3")
        #expect(offset(2, 40) == 50, "epoch unknown here: our epoch 1 ends at 50; the next fetch narrows it to 40")
        #expect(offset(0, 30) == 0, "below every local epoch: epoch 0 ends where our epoch 1 starts")
        #expect(offset(5, 120) == 100, "never past the local log end")
        #expect(offset(3, -1, fetchOffset: 77) == 77, "leader end offset undefined: the fetch offset")
        #expect(offset(-1, 60) == 60, "leader epoch undefined: its end offset")
        #expect(offset(3, 60, cache: nil) == 60, "no local epochs: the leader's end offset")
    }

    @Test func offsetOutOfRangeTruncatesToTheLeadersEnd() throws {
        var state = fetching(at: 100)
        let sent = try request(state)
        #expect(state.handleResponse(to: sent, FetchPartitionResponse(error: .offsetOutOfRange), localLogEndOffset: 100,
                                     now: 1, endOffsetForEpoch: { _ in nil }) == .listLeaderOffsets(currentLeaderEpoch: 7))
        #expect(state.nextStep(now: 1, logStartOffset: 0) == .listLeaderOffsets(currentLeaderEpoch: 7))
        #expect(state.leaderOffsetsListed(leaderLogStartOffset: 0, leaderLogEndOffset: 60, localLogEndOffset: 100, localLatestEpoch: 3)
                == .truncate(toOffset: 60))
        #expect(state.nextStep(now: 1, logStartOffset: 0) == .truncate(toOffset: 60))
        state.truncated(logEndOffset: 60, latestEpoch: 3)
        #expect(try request(state, now: 1).fetchOffset == 60)
    }

    @Test func offsetOutOfRangeBelowTheLeadersStartTruncatesFully() throws {
        var state = fetching(at: 100)
        _ = state.handleResponse(to: try request(state), FetchPartitionResponse(error: .offsetOutOfRange), localLogEndOffset: 100,
                                 now: 1, endOffsetForEpoch: { _ in nil })
        #expect(state.leaderOffsetsListed(leaderLogStartOffset: 500, leaderLogEndOffset: 900, localLogEndOffset: 100, localLatestEpoch: 3)
                == .truncateFullyAndStartAt(500))
        #expect(state.nextStep(now: 1, logStartOffset: 0) == .truncateFullyAndStartAt(500))
        state.truncated(logEndOffset: 500, latestEpoch: nil)
        #expect(try request(state, now: 1) == FetchPartitionRequest(fetchOffset: 500, currentLeaderEpoch: 7, lastFetchedEpoch: nil, logStartOffset: 0))
    }

    @Test func offsetOutOfRangeWithinTheLeadersLogResumes() throws {
        var state = fetching(at: 100)
        _ = state.handleResponse(to: try request(state), FetchPartitionResponse(error: .offsetOutOfRange), localLogEndOffset: 100,
                                 now: 1, endOffsetForEpoch: { _ in nil })
        #expect(state.leaderOffsetsListed(leaderLogStartOffset: 0, leaderLogEndOffset: 150, localLogEndOffset: 100, localLatestEpoch: 3)
                == .resume(fetchOffset: 100))
        #expect(try request(state, now: 1).fetchOffset == 100)
    }

    @Test func listingOffsetsFailing() throws {
        var state = fetching(at: 100)
        _ = state.handleResponse(to: try request(state), FetchPartitionResponse(error: .offsetOutOfRange), localLogEndOffset: 100,
                                 now: 1, endOffsetForEpoch: { _ in nil })
        #expect(state.leaderOffsetsFailed(.notLeaderOrFollower, requestLeaderEpoch: 7, now: 1) == .backOff(until: 1001))
        #expect(state.nextStep(now: 1000, logStartOffset: 0) == .wait(until: 1001))
        #expect(try request(state, now: 1001).fetchOffset == 100)
        _ = state.handleResponse(to: try request(state, now: 1001), FetchPartitionResponse(error: .offsetOutOfRange),
                                 localLogEndOffset: 100, now: 1001, endOffsetForEpoch: { _ in nil })
        #expect(state.leaderOffsetsFailed(.fencedLeaderEpoch, requestLeaderEpoch: 7, now: 1002) == .awaitMetadata)
    }

    @Test func fencedInTheCurrentEpochWaitsForMetadata() throws {
        var state = fetching()
        #expect(state.handleResponse(to: try request(state), FetchPartitionResponse(error: .fencedLeaderEpoch),
                                     localLogEndOffset: 100, now: 1, endOffsetForEpoch: { _ in nil }) == .awaitMetadata)
        #expect(state.status == .failed)
        #expect(state.nextStep(now: 1_000_000, logStartOffset: 0) == .awaitMetadata)
        // Metadata with the same epoch brings a failed partition back; a newer one too.
        let restarted = state.leaderChanged(leaderId: 2, leaderEpoch: 7, logEndOffset: 100, latestEpoch: 3, highWatermark: 80)
        #expect(restarted)
        #expect(state.status == .fetching)
    }

    @Test func fencedInAnEarlierEpochRetries() throws {
        var state = fetching()
        var sent = try request(state)
        sent.currentLeaderEpoch = 6
        #expect(state.handleResponse(to: sent, FetchPartitionResponse(error: .fencedLeaderEpoch),
                                     localLogEndOffset: 100, now: 1, endOffsetForEpoch: { _ in nil }) == .backOff(until: 1001))
        #expect(state.status == .fetching)
    }

    @Test(arguments: [ReplicationError.unknownLeaderEpoch, .notLeaderOrFollower, .unknownTopicOrPartition, .kafkaStorageError, .other(code: -1)])
    func otherErrorsBackOff(error: ReplicationError) throws {
        var state = fetching()
        let sent = try request(state)
        #expect(state.handleResponse(to: sent, FetchPartitionResponse(error: error), localLogEndOffset: 100, now: 10,
                                     endOffsetForEpoch: { _ in nil }) == .backOff(until: 1010))
        #expect(state.nextStep(now: 1009, logStartOffset: 0) == .wait(until: 1010))
        #expect(state.handleResponse(to: sent, FetchPartitionResponse(), localLogEndOffset: 100, now: 500,
                                     endOffsetForEpoch: { _ in nil }) == .ignore, "not ready while backing off")
        #expect(try request(state, now: 1010) == sent)
    }

    @Test func aNewLeaderEpochStartsOverTheSameKeepsTheState() throws {
        var state = fetching(at: 100)
        state.backOff(now: 0)
        let same = state.leaderChanged(leaderId: 2, leaderEpoch: 7, logEndOffset: 100, latestEpoch: 3, highWatermark: 80)
        #expect(!same)
        #expect(state.isDelayed(now: 5))
        let newer = state.leaderChanged(leaderId: 3, leaderEpoch: 8, logEndOffset: 100, latestEpoch: 3, highWatermark: 80)
        #expect(newer)
        #expect(!state.isDelayed(now: 5))
        #expect(try request(state, now: 5) == FetchPartitionRequest(fetchOffset: 100, currentLeaderEpoch: 8, lastFetchedEpoch: 3, logStartOffset: 0))
        #expect(state.leaderId == 3)
    }
}

@Suite struct LeaderFetchCheckTests {
    let cache = EpochCache(entries: [(1, 0), (3, 50), (5, 90)], logEndOffset: 100)

    func check(current: Int32? = 5, lastFetched: Int32?, offset: Int64, logStart: Int64 = 0) -> LeaderFetchCheck {
        LeaderFetchCheck.check(currentLeaderEpoch: current, lastFetchedEpoch: lastFetched, fetchOffset: offset, leaderEpoch: 5,
                               logStartOffset: logStart, logEndOffset: 100, endOffsetForEpoch: cache.endOffset(for:))
    }

    @Test func leaderEpochChecks() {
        #expect(check(current: 4, lastFetched: 3, offset: 50) == .error(.fencedLeaderEpoch))
        #expect(check(current: 6, lastFetched: 3, offset: 50) == .error(.unknownLeaderEpoch))
        #expect(check(current: nil, lastFetched: nil, offset: 50) == .read)
    }

    @Test func divergence() {
        #expect(check(lastFetched: 3, offset: 80) == .read)
        #expect(check(lastFetched: 3, offset: 95) == .divergingEpoch(EpochEndOffset(leaderEpoch: 3, endOffset: 90)))
        #expect(check(lastFetched: 4, offset: 95) == .divergingEpoch(EpochEndOffset(leaderEpoch: 3, endOffset: 90)))
        #expect(check(lastFetched: 5, offset: 100) == .read)
        #expect(check(lastFetched: 6, offset: 100) == .error(.offsetOutOfRange), "an epoch beyond ours")
    }

    @Test func offsetsOutOfRange() {
        #expect(check(lastFetched: nil, offset: 101) == .error(.offsetOutOfRange))
        #expect(check(lastFetched: nil, offset: 10, logStart: 20) == .error(.offsetOutOfRange))
        #expect(check(lastFetched: 3, offset: 10, logStart: 20) == .error(.offsetOutOfRange))
    }
}

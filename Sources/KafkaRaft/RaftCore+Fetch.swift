/// Fetch at the leader: validate the fetcher's position against our log, answer with entries, the
/// diverging epoch or the snapshot to fetch instead (KIP-630 `SnapshotId`), record its progress, or park the
/// request until new data arrives (long poll), or, for a fetcher that said which high watermark it knows
/// (KIP-1166), until ours is higher than that.
extension RaftCore {
    /// Errors: INVALID_REQUEST for a negative replica id, offset, epoch or wait, or a last fetched epoch
    /// above the fetcher's leader epoch (every fetcher of the metadata log is a replica: a voter, or an
    /// observer under its broker id, so a negative id is a client that does not belong here);
    /// FENCED_LEADER_EPOCH for an old epoch; UNKNOWN_LEADER_EPOCH for a newer one;
    /// NOT_LEADER_OR_FOLLOWER when this replica does not lead the epoch. Each carries our leader and epoch.
    mutating func handleFetchRequest(_ request: FetchRequest, envelope: RaftEnvelope, now: Int64,
                                     into actions: inout [RaftAction]) {
        if request.replicaID < 0 || request.maxWaitMs < 0 || request.fetchOffset < 0 || request.lastFetchedEpoch < 0
            || request.lastFetchedEpoch > request.currentLeaderEpoch {
            return respond(.fetchResponse(errorFetchResponse(.invalidRequest)), to: envelope, into: &actions)
        }
        let before = highWatermark
        let response = tryCompleteFetch(request, from: envelope.source, now: now, into: &actions)
        // This fetch may have moved the high watermark: parked fetchers that know an older one hear of it.
        if highWatermark != before { completeParkedFetches(now: now, onlyWithData: true, into: &actions) }
        if response.errorCode != .none || !response.records.isEmpty || request.maxWaitMs == 0
            || response.divergingEpoch != nil || response.snapshotID != nil || request.highWatermark < response.highWatermark {
            return respond(.fetchResponse(response), to: envelope, into: &actions)
        }
        guard case .leader(var leader) = state else { return }
        leader.parkedFetches.removeAll { $0.source == envelope.source }
        leader.parkedFetches.append(LeaderState.ParkedFetch(
            source: envelope.source, correlationID: envelope.correlationID, request: request,
            deadline: now + request.maxWaitMs))
        state = .leader(leader)
    }

    /// Kafka's `tryCompleteFetchRequest`.
    mutating func tryCompleteFetch(_ request: FetchRequest, from source: Int32, now: Int64,
                                   into actions: inout [RaftAction]) -> FetchResponse {
        if request.currentLeaderEpoch < epoch { return errorFetchResponse(.fencedLeaderEpoch) }
        if request.currentLeaderEpoch > epoch { return errorFetchResponse(.unknownLeaderEpoch) }
        guard case .leader(var leader) = state else { return errorFetchResponse(.notLeaderOrFollower) }
        switch log.checkFetchPosition(fetchOffset: request.fetchOffset, lastFetchedEpoch: request.lastFetchedEpoch) {
        case .valid:
            break
        case .diverging(let diverging):
            return FetchResponse(errorCode: .none, highWatermark: leader.highWatermark ?? -1,
                                 logStartOffset: log.logStartOffset,
                                 divergingEpoch: .init(epoch: diverging.epoch, endOffset: diverging.offset),
                                 leaderID: localID, leaderEpoch: epoch)
        case .snapshot(let snapshotID):
            leader.updateCheckQuorum(forFollowingVoter: request.replicaID, now: now)
            state = .leader(leader)
            return FetchResponse(errorCode: .none, highWatermark: leader.highWatermark ?? -1,
                                 logStartOffset: log.logStartOffset, leaderID: localID, leaderEpoch: epoch,
                                 snapshotID: snapshotID)
        }
        let records = log.entries(from: request.fetchOffset, maxCount: config.maxFetchEntries)
        let advanced = leader.updateReplicaState(replicaID: request.replicaID, fetchOffset: request.fetchOffset,
                                                 now: now, leaderEndOffset: log.endOffset.offset)
        state = .leader(leader)
        if advanced, let highWatermark = leader.highWatermark {
            actions.append(.committed(highWatermark: highWatermark))
        }
        return FetchResponse(errorCode: .none, highWatermark: leader.highWatermark ?? -1,
                             logStartOffset: log.logStartOffset, leaderID: localID, leaderEpoch: epoch,
                             recordsBaseOffset: request.fetchOffset, records: records)
    }

    /// Answers parked fetches that now have data or know an older high watermark than ours
    /// (`onlyWithData`), or whose wait is over.
    mutating func completeParkedFetches(now: Int64, onlyWithData: Bool, into actions: inout [RaftAction]) {
        guard case .leader(var leader) = state else { return }
        let endOffset = log.endOffset.offset
        let highWatermark = leader.highWatermark ?? -1
        let due = leader.parkedFetches.filter {
            onlyWithData ? $0.request.fetchOffset < endOffset || $0.request.highWatermark < highWatermark : now >= $0.deadline
        }
        guard !due.isEmpty else { return }
        leader.parkedFetches.removeAll { due.contains($0) }
        state = .leader(leader)
        for parked in due {
            let response = tryCompleteFetch(parked.request, from: parked.source, now: now, into: &actions)
            actions.append(.send(RaftEnvelope(source: localID, destination: parked.source,
                                              correlationID: parked.correlationID, message: .fetchResponse(response))))
        }
    }

    /// The Fetch a follower or observer sends: from its log end, naming the epoch of its last entry.
    mutating func sendFetch(to destination: Int32, now: Int64, into actions: inout [RaftAction]) {
        let end = log.endOffset
        send(.fetchRequest(FetchRequest(clusterID: clusterID, replicaID: localID, maxWaitMs: config.fetchMaxWaitMs,
                                        currentLeaderEpoch: epoch, fetchOffset: end.offset,
                                        lastFetchedEpoch: end.epoch)),
             to: destination, now: now, into: &actions)
    }
}

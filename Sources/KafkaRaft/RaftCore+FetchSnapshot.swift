/// FetchSnapshot (KIP-630): the leader serves chunks of its snapshots; a follower told by a Fetch answer's
/// `SnapshotId` downloads the snapshot chunk by chunk, installs it, and then fetches entries from its end.
extension RaftCore {
    /// Errors, in Kafka's order: INVALID_REQUEST for `MaxBytes <= 0` (and, as for Fetch, a negative
    /// replica id); FENCED_LEADER_EPOCH,
    /// UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER as for Fetch; SNAPSHOT_NOT_FOUND when the snapshot is
    /// not (or no longer) here; POSITION_OUT_OF_RANGE for a position outside `[0, size)`. A voter's request
    /// counts as a fetch for check-quorum.
    mutating func handleFetchSnapshotRequest(_ request: FetchSnapshotRequest, envelope: RaftEnvelope, now: Int64,
                                             into actions: inout [RaftAction]) {
        func answer(_ error: RaftErrorCode) {
            respond(.fetchSnapshotResponse(FetchSnapshotResponse(
                errorCode: error, snapshotID: request.snapshotID, leaderID: leaderID ?? -1, leaderEpoch: epoch)),
                    to: envelope, into: &actions)
        }
        if request.maxBytes <= 0 || request.replicaID < 0 { return answer(.invalidRequest) }
        if request.currentLeaderEpoch < epoch { return answer(.fencedLeaderEpoch) }
        if request.currentLeaderEpoch > epoch { return answer(.unknownLeaderEpoch) }
        guard case .leader(var leader) = state else { return answer(.notLeaderOrFollower) }
        leader.updateCheckQuorum(forFollowingVoter: request.replicaID, now: now)
        state = .leader(leader)
        guard let size = log.snapshotSize(request.snapshotID) else { return answer(.snapshotNotFound) }
        guard request.position >= 0, request.position < size else { return answer(.positionOutOfRange) }
        let bytes = log.readSnapshot(request.snapshotID, position: request.position,
                                     maxBytes: Int(min(Int64(request.maxBytes), size - request.position)))
        respond(.fetchSnapshotResponse(FetchSnapshotResponse(
            errorCode: .none, snapshotID: request.snapshotID, leaderID: localID, leaderEpoch: epoch, size: size,
            position: request.position, unalignedRecords: bytes)), to: envelope, into: &actions)
    }

    /// The next chunk of the snapshot being downloaded, from the byte after the last one written.
    mutating func sendFetchSnapshot(_ fetching: FetchingSnapshot, to destination: Int32, now: Int64,
                                    into actions: inout [RaftAction]) {
        send(.fetchSnapshotRequest(FetchSnapshotRequest(
            clusterID: clusterID, replicaID: localID, maxBytes: config.fetchSnapshotMaxBytes,
            currentLeaderEpoch: epoch, snapshotID: fetching.id, position: fetching.position)),
             to: destination, now: now, into: &actions)
    }

    /// A Fetch answer named `SnapshotId`: download that snapshot before fetching entries again. A download
    /// of another snapshot in progress is given up.
    mutating func startSnapshotFetch(_ snapshotID: OffsetAndEpoch, follower: FollowerState,
                                     into actions: inout [RaftAction]) -> FollowerState {
        var follower = follower
        if let current = follower.fetchingSnapshot {
            if current.id == snapshotID { return follower }
            abandonPartialSnapshot(current.id, into: &actions)
        }
        follower.fetchingSnapshot = FetchingSnapshot(id: snapshotID)
        return follower
    }

    /// Writes the chunk and installs the snapshot once all of it arrived. SNAPSHOT_NOT_FOUND (the leader
    /// dropped it for a newer one) and POSITION_OUT_OF_RANGE give the download up; the next Fetch learns the
    /// leader's current snapshot. A chunk that does not continue the download is refused (retried after
    /// backoff). Every accepted answer restarts the fetch timeout.
    mutating func handleFetchSnapshotResponse(_ response: FetchSnapshotResponse, from source: Int32, now: Int64,
                                              into actions: inout [RaftAction]) -> Bool {
        let reportedLeader = response.leaderID >= 0 ? response.leaderID : nil
        let restarts = response.errorCode == .snapshotNotFound || response.errorCode == .positionOutOfRange
        if let handled = handleCommonResponse(error: restarts ? .none : response.errorCode, leaderID: reportedLeader,
                                              epoch: response.leaderEpoch, now: now, into: &actions) {
            return handled
        }
        guard case .follower(var follower) = state, var fetching = follower.fetchingSnapshot else { return true }
        if restarts || response.snapshotID != fetching.id {
            abandonSnapshotFetch(into: &actions)
            guard case .follower(let current) = state else { return true }
            follower = current
        } else {
            let bytes = response.unalignedRecords
            guard response.position == fetching.position, !bytes.isEmpty, fetching.size ?? response.size == response.size,
                  response.position + Int64(bytes.count) <= response.size else { return false }
            log.writeSnapshotChunk(fetching.id, position: fetching.position, bytes: bytes)
            actions.append(.writeSnapshotChunk(id: fetching.id, position: fetching.position, bytes: bytes))
            fetching.position += Int64(bytes.count)
            fetching.size = response.size
            follower.fetchingSnapshot = fetching
            if fetching.position == response.size {
                follower = installSnapshot(fetching, follower: follower, into: &actions)
            }
        }
        follower.hasFetchedFromLeader = true
        follower.fetchDeadline = now + config.fetchTimeoutMs
        state = .follower(follower)
        return true
    }
}

extension LeaderState {
    /// A voter is following this leader (a FetchSnapshot, or a Fetch sent to a snapshot): it counts for
    /// check-quorum even though its fetch offset says nothing about the high watermark.
    mutating func updateCheckQuorum(forFollowingVoter voterID: Int32, now: Int64) {
        guard voterID != localID, voters.contains(voterID) else { return }
        recordVoterFetch(voterID, now: now)
    }
}

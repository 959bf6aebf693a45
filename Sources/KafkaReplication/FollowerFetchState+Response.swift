/// The partition's part of a Fetch response, as far as the fetcher's decisions need it.
public struct FetchPartitionResponse: Hashable, Sendable {
    /// nil for no error.
    public var error: ReplicationError?
    public var highWatermark: Int64
    public var logStartOffset: Int64
    /// Set when the leader found our log diverging from its own at `lastFetchedEpoch`.
    public var divergingEpoch: EpochEndOffset?

    public init(error: ReplicationError? = nil, highWatermark: Int64 = -1, logStartOffset: Int64 = -1,
                divergingEpoch: EpochEndOffset? = nil) {
        self.error = error
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.divergingEpoch = divergingEpoch
    }
}

/// What to do with one partition of a Fetch response.
public enum FetchResponseDecision: Hashable, Sendable {
    /// Append the records at `fetchOffset` (they may be none), then report `appended(...)`.
    case append
    /// Truncate the local log to this offset (a diverging epoch), then report `truncated(...)`.
    case truncate(toOffset: Int64)
    /// OFFSET_OUT_OF_RANGE: list the leader's offsets (see `FollowerFetchStep.listLeaderOffsets`).
    case listLeaderOffsets(currentLeaderEpoch: Int32)
    /// Retry after backing off until this time.
    case backOff(until: Int64)
    /// Our leader epoch is fenced: wait for new metadata.
    case awaitMetadata
    /// A stale response (the state moved on since the request): nothing to do.
    case ignore
}

/// How to recover from OFFSET_OUT_OF_RANGE once the leader's offsets are known (Kafka's
/// `fetchOffsetAndTruncate`).
public enum OutOfRangeResolution: Hashable, Sendable {
    /// The leader's log ends below ours (an unclean election): truncate to its end.
    case truncate(toOffset: Int64)
    /// Our log ends below the leader's start: everything we hold is stale; restart at its start.
    case truncateFullyAndStartAt(Int64)
    /// Neither: fetch again from our log end offset.
    case resume(fetchOffset: Int64)
}

extension FollowerFetchState {
    /// Decides what a fetch response means (Kafka's `processFetchRequest` for one partition). `request` is
    /// what was sent; `localLogEndOffset` and `endOffsetForEpoch` (the local leader epoch cache's
    /// `endOffsetFor`) serve the diverging-epoch truncation.
    public mutating func handleResponse(
        to request: FetchPartitionRequest, _ response: FetchPartitionResponse, localLogEndOffset: Int64,
        now: Int64, endOffsetForEpoch: (Int32) -> EpochEndOffset?
    ) -> FetchResponseDecision {
        guard request.fetchOffset == fetchOffset, isReadyForFetch(now: now) else { return .ignore }
        switch response.error {
        case nil:
            guard let diverging = response.divergingEpoch else { return .append }
            let offset = Self.offsetTruncationState(
                leaderEpochEndOffset: diverging, fetchOffset: fetchOffset, localLogEndOffset: localLogEndOffset,
                endOffsetForEpoch: endOffsetForEpoch)
            status = .truncating(toOffset: offset)
            return .truncate(toOffset: offset)
        case .offsetOutOfRange?:
            status = .resolvingOutOfRange
            return .listLeaderOffsets(currentLeaderEpoch: currentLeaderEpoch)
        case .fencedLeaderEpoch?:
            return onPartitionFenced(requestLeaderEpoch: request.currentLeaderEpoch, now: now)
        case .kafkaStorageError?, .unknownLeaderEpoch?, .notLeaderOrFollower?, .unknownTopicOrPartition?,
             .unknownTopicId?, .inconsistentTopicId?, .some:
            backOff(now: now)
            return .backOff(until: delayedUntil!)
        }
    }

    /// The caller appended the fetched records (or none): fetch on from its new log end offset. Returns
    /// the local high watermark to set: the leader's, clamped to the local log (Kafka's
    /// `maybeUpdateHighWatermark`; it may move down after a leader change).
    public mutating func appended(logEndOffset: Int64, latestEpoch: Int32?, logStartOffset: Int64,
                                  leaderHighWatermark: Int64) -> Int64 {
        if status == .fetching {
            fetchOffset = logEndOffset
            lastFetchedEpoch = latestEpoch ?? lastFetchedEpoch
        }
        return Self.followerHighWatermark(
            leaderHighWatermark: leaderHighWatermark, logStartOffset: logStartOffset, logEndOffset: logEndOffset)
    }

    /// A follower's high watermark given the leader's: within [log start offset, log end offset].
    public static func followerHighWatermark(leaderHighWatermark: Int64, logStartOffset: Int64, logEndOffset: Int64) -> Int64 {
        max(logStartOffset, min(leaderHighWatermark, logEndOffset))
    }

    /// The leader's offsets after OFFSET_OUT_OF_RANGE. Sets the state to truncate (or to fetch again at
    /// once, for `.resume`) and returns the resolution.
    public mutating func leaderOffsetsListed(
        leaderLogStartOffset: Int64, leaderLogEndOffset: Int64, localLogEndOffset: Int64, localLatestEpoch: Int32?
    ) -> OutOfRangeResolution {
        guard status == .resolvingOutOfRange else { return .resume(fetchOffset: fetchOffset) }
        if leaderLogEndOffset < localLogEndOffset {
            status = .truncating(toOffset: leaderLogEndOffset)
            return .truncate(toOffset: leaderLogEndOffset)
        }
        if leaderLogStartOffset > localLogEndOffset {
            status = .truncatingFully(startAt: leaderLogStartOffset)
            return .truncateFullyAndStartAt(leaderLogStartOffset)
        }
        truncated(logEndOffset: localLogEndOffset, latestEpoch: localLatestEpoch)
        return .resume(fetchOffset: localLogEndOffset)
    }

    /// Listing the leader's offsets failed (Kafka's `handleOutOfRangeError` catch): fenced in our epoch ->
    /// await metadata; anything else -> fetch again after backing off.
    public mutating func leaderOffsetsFailed(_ error: ReplicationError, requestLeaderEpoch: Int32, now: Int64) -> FetchResponseDecision {
        guard status == .resolvingOutOfRange else { return .ignore }
        status = .fetching
        if error == .fencedLeaderEpoch { return onPartitionFenced(requestLeaderEpoch: requestLeaderEpoch, now: now) }
        backOff(now: now)
        return .backOff(until: delayedUntil!)
    }

    /// Kafka's `onPartitionFenced`: fenced in the epoch we still hold -> failed until new metadata; fenced in
    /// an epoch we have already left -> just retry later.
    private mutating func onPartitionFenced(requestLeaderEpoch: Int32, now: Int64) -> FetchResponseDecision {
        if requestLeaderEpoch == currentLeaderEpoch {
            status = .failed
            return .awaitMetadata
        }
        backOff(now: now)
        return .backOff(until: delayedUntil!)
    }
}

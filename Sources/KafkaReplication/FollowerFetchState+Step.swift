/// The partition's fields in the follower's next Fetch request.
public struct FetchPartitionRequest: Hashable, Sendable {
    public var fetchOffset: Int64
    public var currentLeaderEpoch: Int32
    /// nil: leave the field at -1 (the leader then does no divergence check).
    public var lastFetchedEpoch: Int32?
    public var logStartOffset: Int64

    public init(fetchOffset: Int64, currentLeaderEpoch: Int32, lastFetchedEpoch: Int32?, logStartOffset: Int64) {
        self.fetchOffset = fetchOffset
        self.currentLeaderEpoch = currentLeaderEpoch
        self.lastFetchedEpoch = lastFetchedEpoch
        self.logStartOffset = logStartOffset
    }
}

/// What the fetcher should do next for a partition.
public enum FollowerFetchStep: Hashable, Sendable {
    /// Include it in the next Fetch to the leader with these fields.
    case fetch(FetchPartitionRequest)
    /// Truncate the local log to this offset, then report `truncated(logEndOffset:latestEpoch:)`. As Kafka's
    /// `truncateTo`, an offset at or past the log end offset still drops the leader epoch entries that
    /// start at the log end offset (a former leader's entry for an epoch it appended nothing in): kept, it
    /// would be sent again as the last fetched epoch and the partition would diverge at the same offset forever.
    case truncate(toOffset: Int64)
    /// Empty the local log and restart it at this offset, then report `truncated(logEndOffset:latestEpoch:)`.
    case truncateFullyAndStartAt(Int64)
    /// Ask the leader for its log start and log end offsets in `currentLeaderEpoch`.
    case listLeaderOffsets(currentLeaderEpoch: Int32)
    /// Nothing until this time (backing off).
    case wait(until: Int64)
    /// Nothing until new metadata arrives (`leaderChanged`).
    case awaitMetadata
}

extension FollowerFetchState {
    /// The next step at `now`; `logStartOffset` is the local log's, sent with the fetch.
    public func nextStep(now: Int64, logStartOffset: Int64) -> FollowerFetchStep {
        if status == .failed { return .awaitMetadata }
        if let delayedUntil, now < delayedUntil { return .wait(until: delayedUntil) }
        switch status {
        case .fetching:
            return .fetch(FetchPartitionRequest(
                fetchOffset: fetchOffset, currentLeaderEpoch: currentLeaderEpoch, lastFetchedEpoch: lastFetchedEpoch,
                logStartOffset: logStartOffset))
        case .truncating(let offset):
            return .truncate(toOffset: offset)
        case .truncatingFully(let offset):
            return .truncateFullyAndStartAt(offset)
        case .resolvingOutOfRange:
            return .listLeaderOffsets(currentLeaderEpoch: currentLeaderEpoch)
        case .failed:
            return .awaitMetadata
        }
    }

    /// The caller truncated the local log (as `.truncate` asked, or as `leaderOffsetsListed` decided):
    /// fetch from its new log end offset with its latest epoch.
    public mutating func truncated(logEndOffset: Int64, latestEpoch: Int32?) {
        guard status != .failed else { return }
        fetchOffset = logEndOffset
        lastFetchedEpoch = latestEpoch
        status = .fetching
    }
}

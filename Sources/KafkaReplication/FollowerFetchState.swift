/// One partition a follower replicates, as its fetcher tracks it (Kafka's `PartitionFetchState` and the
/// per-partition decisions of `AbstractFetcherThread`): where to fetch from, in which leader epoch, what
/// it is waiting for.
///
/// Invariants:
/// - `fetchOffset` is the local log end offset whenever `status` is `.fetching` (the caller appends
///   exactly the fetched records at it, and truncations end with `truncated(logEndOffset:latestEpoch:)`).
/// - A fetch response is acted on only if it answers a fetch at the current `fetchOffset` while fetching
///   and not backing off; anything else is stale and ignored.
/// - Only new metadata (`leaderChanged`) brings a `.failed` partition back.
public struct FollowerFetchState: Hashable, Sendable {
    /// Kafka's `replica.fetch.backoff.ms` default.
    public static let defaultFetchBackoffMs: Int64 = 1000

    public enum Status: Hashable, Sendable {
        /// Fetching from `fetchOffset`.
        case fetching
        /// Truncate the local log to this offset, then report `truncated(logEndOffset:latestEpoch:)`.
        case truncating(toOffset: Int64)
        /// Empty the local log and restart it at this offset (the leader's log start offset), then report
        /// `truncated(logEndOffset:latestEpoch:)`.
        case truncatingFully(startAt: Int64)
        /// The leader said OFFSET_OUT_OF_RANGE: list its earliest and latest offsets (ListOffsets in
        /// `currentLeaderEpoch`), then report `leaderOffsetsListed` or `leaderOffsetsFailed`.
        case resolvingOutOfRange
        /// Fenced (our leader epoch is old) or the local log failed: wait for new metadata.
        case failed
    }

    public internal(set) var leaderId: Int32
    public internal(set) var currentLeaderEpoch: Int32
    public internal(set) var fetchOffset: Int64
    /// The epoch of the last record in the local log (sent so the leader can detect divergence).
    public internal(set) var lastFetchedEpoch: Int32?
    public internal(set) var status: Status
    /// Backing off after an error until this time (Kafka's `DelayedItem`); nil when not delayed.
    public internal(set) var delayedUntil: Int64?
    public var fetchBackoffMs: Int64

    /// Starts following `leaderId` in `leaderEpoch` (Kafka's `partitionFetchState` for a new state, with
    /// truncation on fetch): at the log end offset when the log knows its latest epoch, else by first
    /// truncating to the high watermark.
    public init(leaderId: Int32, leaderEpoch: Int32, logEndOffset: Int64, latestEpoch: Int32?, highWatermark: Int64,
                fetchBackoffMs: Int64 = FollowerFetchState.defaultFetchBackoffMs) {
        self.leaderId = leaderId
        self.currentLeaderEpoch = leaderEpoch
        self.fetchBackoffMs = fetchBackoffMs
        if let latestEpoch {
            fetchOffset = logEndOffset
            lastFetchedEpoch = latestEpoch
            status = .fetching
        } else {
            fetchOffset = highWatermark
            lastFetchedEpoch = nil
            status = .truncating(toOffset: highWatermark)
        }
        delayedUntil = nil
    }

    /// New metadata names the leader (Kafka's `addPartitions`): the same leader epoch keeps the current
    /// state (unless failed); a new one starts over as `init` does. Returns whether it started over.
    @discardableResult
    public mutating func leaderChanged(leaderId: Int32, leaderEpoch: Int32, logEndOffset: Int64, latestEpoch: Int32?,
                                       highWatermark: Int64) -> Bool {
        if leaderEpoch == currentLeaderEpoch, status != .failed { return false }
        self = FollowerFetchState(leaderId: leaderId, leaderEpoch: leaderEpoch, logEndOffset: logEndOffset,
                                  latestEpoch: latestEpoch, highWatermark: highWatermark, fetchBackoffMs: fetchBackoffMs)
        return true
    }

    /// Whether it is backing off at `now`.
    public func isDelayed(now: Int64) -> Bool { delayedUntil.map { now < $0 } ?? false }

    /// Whether a fetch for it may go out now (Kafka's `isReadyForFetch`).
    public func isReadyForFetch(now: Int64) -> Bool { status == .fetching && !isDelayed(now: now) }

    /// Backs off for `fetchBackoffMs` unless already backing off (Kafka's `delayPartitions`); also for a
    /// fetch request that failed as a whole.
    public mutating func backOff(now: Int64) {
        if !isDelayed(now: now) { delayedUntil = now + fetchBackoffMs }
    }

    /// The local log failed (a storage error on append or truncation): stop until new metadata.
    public mutating func markFailed() {
        status = .failed
    }
}

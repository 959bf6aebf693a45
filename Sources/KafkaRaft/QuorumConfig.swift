/// The `controller.quorum.*` timing settings, in milliseconds, with Kafka's defaults.
///
/// Election timeouts are randomised in `[electionTimeoutMs, 2 * electionTimeoutMs)`; a leader resigns when a
/// majority has not fetched within `1.5 * fetchTimeoutMs` (check-quorum) and re-sends BeginQuorumEpoch every
/// `fetchTimeoutMs / 2`.
public struct QuorumConfig: Hashable, Sendable {
    /// `controller.quorum.election.timeout.ms`
    public var electionTimeoutMs: Int64 = 1000
    /// `controller.quorum.fetch.timeout.ms`
    public var fetchTimeoutMs: Int64 = 2000
    /// `controller.quorum.election.backoff.max.ms`
    public var electionBackoffMaxMs: Int64 = 1000
    /// `controller.quorum.request.timeout.ms`
    public var requestTimeoutMs: Int64 = 2000
    /// `controller.quorum.retry.backoff.ms`
    public var retryBackoffMs: Int64 = 20
    /// How long the leader parks a Fetch that finds no new data (Fetch `MaxWaitMs` sent by followers). Keep it
    /// well below `fetchTimeoutMs`: an idle voter follower that waits longer than that for the answer campaigns.
    public var fetchMaxWaitMs: Int64 = 500
    /// At most this many entries in one Fetch response (stands in for `MaxBytes`).
    public var maxFetchEntries: Int = 64
    /// FetchSnapshot `MaxBytes`: the largest snapshot chunk a follower asks for (KIP-630).
    public var fetchSnapshotMaxBytes: Int32 = 1 << 20
    /// Base of the randomised binary exponential backoff after a lost election (Kafka's `RETRY_BACKOFF_BASE_MS`).
    public var electionBackoffBaseMs: Int64 = 100
    /// Observers the leader has not heard from in this long are left out of DescribeQuorum.
    public var observerSessionTimeoutMs: Int64 = 300_000
    /// The kraft.version a first leader writes (with a `VotersRecord` of the static voters) when its log has
    /// no voters record yet. Strom runs 1 (KIP-853 dynamic voters); 0 keeps the static voters for good.
    public var kraftVersion: Int16 = 1
    /// The listener voters are reached on (`controller.listener.names`' first); AddRaftVoter and
    /// UpdateRaftVoter must name an endpoint on it. nil accepts any non-empty endpoint list.
    public var listenerName: String? = nil
    /// This replica's own controller endpoints and log directory id. A voter whose entry in the voter set
    /// differs (other endpoints, no directory id, another kraft.version range than Strom's) tells the
    /// leader with UpdateRaftVoter once per epoch. No endpoints: never.
    public var localListeners: [VoterSet.Endpoint] = []
    public var localDirectoryID: DirectoryID = .zero

    public init() {}

    /// Leader check-quorum period: `fetchTimeoutMs * 1.5`.
    public var checkQuorumTimeoutMs: Int64 { fetchTimeoutMs * 3 / 2 }
    /// Period of the leader's BeginQuorumEpoch re-sends.
    public var beginQuorumEpochTimeoutMs: Int64 { fetchTimeoutMs / 2 }
}

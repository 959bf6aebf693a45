import NIOConcurrencyHelpers

/// How long one request was worked on, for `request_percentage` (Kafka's request handler thread time):
/// the time from its dispatch to its answer, less the time it was parked waiting for something else
/// (a long poll for data, a flush, replication, a rebalance), which Kafka spends in a purgatory, not
/// on a request thread. A request decided elsewhere (see `RequestDispatcher.decidedElsewhere`) counts
/// only its reading and answering. Measured with the monotonic clock: a duration, not a time.
final class RequestTime: Sendable {
    /// The request is decided elsewhere (by the active controller, or a coordinator writing its log):
    /// only reading it and writing its answer count, its handling is a wait.
    let decidedElsewhere: Bool
    private let start = ContinuousClock.now
    private let parked = NIOLockedValueBox(Duration.zero)
    private let exempted = NIOLockedValueBox(false)
    /// The throttle time charged, once it was (a request is charged once).
    let charged = NIOLockedValueBox<Int32?>(nil)

    /// The request turned out to be one the quota does not limit (a follower's fetch).
    func exempt() { exempted.withLockedValue { $0 = true } }
    var isExempt: Bool { exempted.withLockedValue { $0 } }

    init(decidedElsewhere: Bool = false) {
        self.decidedElsewhere = decidedElsewhere
    }

    /// Runs `body`, not counting the time it takes.
    func parked<T>(_ body: () async throws -> T) async rethrows -> T {
        let begin = ContinuousClock.now
        defer { let spent = ContinuousClock.now - begin; parked.withLockedValue { $0 += spent } }
        return try await body()
    }

    /// Counts `duration`, measured elsewhere (a flush run inside another job), as parked.
    func park(_ duration: Duration) {
        parked.withLockedValue { $0 += duration }
    }

    /// The time worked so far, in nanoseconds.
    var workedNanos: Int64 {
        let worked = ContinuousClock.now - start - parked.withLockedValue { $0 }
        let (seconds, attoseconds) = worked.components
        return max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

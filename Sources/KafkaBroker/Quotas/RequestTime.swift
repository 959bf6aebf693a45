import NIOConcurrencyHelpers

/// How long one request was worked on, for `request_percentage` (Kafka's request handler thread time):
/// the time from its dispatch to its answer, less the time it was parked waiting for something else
/// (a long poll for data, a flush, replication, a rebalance, the controller), which Kafka spends in a
/// purgatory, not on a request thread. Measured with the monotonic clock: a duration, not a time.
final class RequestTime: Sendable {
    private let start = ContinuousClock.now
    private let parked = NIOLockedValueBox(Duration.zero)
    private let exempted = NIOLockedValueBox(false)

    /// The request turned out to be one the quota does not limit (a follower's fetch).
    func exempt() { exempted.withLockedValue { $0 = true } }
    var isExempt: Bool { exempted.withLockedValue { $0 } }

    /// Runs `body`, not counting the time it takes.
    func parked<T>(_ body: () async throws -> T) async rethrows -> T {
        let begin = ContinuousClock.now
        defer { let spent = ContinuousClock.now - begin; parked.withLockedValue { $0 += spent } }
        return try await body()
    }

    /// The time worked so far, in nanoseconds.
    var workedNanos: Int64 {
        let worked = ContinuousClock.now - start - parked.withLockedValue { $0 }
        let (seconds, attoseconds) = worked.components
        return max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

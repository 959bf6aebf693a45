import Foundation

/// Time for the broker shell, in Kafka's unit: milliseconds since the Unix epoch.
///
/// Invariant: the shell reads time only through one injected `NodeClock`, and waits for a time only
/// through `sleep(untilMs:)`, so a test can drive every timer of a node by hand (`ManualClock`). The
/// pure cores never read a clock: the shell passes them `now`.
public protocol NodeClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMs() -> Int64
    /// Returns once `nowMs() >= deadlineMs`; throws `CancellationError` if the task is cancelled first.
    func sleep(untilMs deadlineMs: Int64) async throws
}

extension NodeClock {
    /// Sleeps `ms` milliseconds from now.
    public func sleep(forMs ms: Int64) async throws {
        try await sleep(untilMs: nowMs() &+ max(0, ms))
    }
}

/// The wall clock.
public struct SystemClock: NodeClock {
    public init() {}

    public func nowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    public func sleep(untilMs deadlineMs: Int64) async throws {
        let remaining = deadlineMs - nowMs()
        if remaining > 0 { try await Task.sleep(for: .milliseconds(remaining)) }
        try Task.checkCancellation()
    }
}

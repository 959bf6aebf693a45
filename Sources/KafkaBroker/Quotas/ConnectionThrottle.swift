import NIOConcurrencyHelpers
import NIOCore

/// A connection muted for a quota's throttle time (Kafka's `ThrottledChannel`): the answer goes out at
/// once, carrying `throttle_time_ms` (KIP-219), and the connection reads no further request until the
/// time has passed, whether or not the client waits on its own.
///
/// Invariant: the mute only grows (a later, shorter throttle does not shorten it); `waitUntilUnmuted`
/// returns at once when the connection is not muted.
final class ConnectionThrottle: Sendable {
    private let clock: NodeClock
    private let mutedUntilMs = NIOLockedValueBox<Int64?>(nil)

    init(clock: NodeClock) {
        self.clock = clock
    }

    /// Mutes the connection for `throttleMs` from now (nothing for 0).
    func mute(forMs throttleMs: Int32) {
        guard throttleMs > 0 else { return }
        let until = clock.nowMs() + Int64(throttleMs)
        mutedUntilMs.withLockedValue { $0 = max($0 ?? until, until) }
    }

    /// Returns true once the connection is no longer muted, false as soon as `closed` completes (the
    /// connection closed meanwhile: a muted connection must not hold up the listener's shutdown for its
    /// throttle time, nor serve the request it was holding back).
    func waitUntilUnmuted(orUntil closed: EventLoopFuture<Void>) async -> Bool {
        guard let until = mutedUntilMs.withLockedValue({ $0 }) else { return true }
        var unmuted = true
        if clock.nowMs() < until {
            let clock = self.clock
            let outcome = NIOLockedValueBox<Bool?>(nil)
            unmuted = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let resume: @Sendable (Bool) -> Void = { timeUp in
                    if outcome.withLockedValue({ o in defer { o = o ?? timeUp }; return o == nil }) { c.resume(returning: timeUp) }
                }
                let sleeper = Task {
                    do { try await clock.sleep(untilMs: until); resume(true) } catch { resume(false) }
                }
                closed.whenComplete { _ in sleeper.cancel(); resume(false) }
            }
        }
        mutedUntilMs.withLockedValue { if $0 == until { $0 = nil } }
        return unmuted
    }
}

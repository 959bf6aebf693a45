import NIOConcurrencyHelpers
import NIOCore

/// A connection muted for a quota's throttle time (Kafka's `ThrottledChannel`): the answer goes out at
/// once, carrying `throttle_time_ms` (KIP-219), and the connection reads no further request until the
/// time has passed, whether or not the client waits on its own.
///
/// Invariants: the mute only grows (a later, shorter throttle does not shorten it); a wait ends at the
/// mute's end or when the connection closes, whichever is first, exactly once; one close callback per
/// connection, however many waits.
final class ConnectionThrottle: Sendable {
    private struct State {
        var mutedUntilMs: Int64?
        var closed = false
        /// The wait in progress: resumed with true when the time is up, false when the connection closes.
        var waiter: CheckedContinuation<Bool, Never>?
        var sleeper: Task<Void, Never>?
    }

    private let clock: NodeClock
    private let state = NIOLockedValueBox(State())

    init(clock: NodeClock, closed: EventLoopFuture<Void>) {
        self.clock = clock
        closed.whenComplete { [state] _ in
            let (waiter, sleeper) = state.withLockedValue { s in
                s.closed = true
                defer { s.waiter = nil; s.sleeper = nil }
                return (s.waiter, s.sleeper)
            }
            sleeper?.cancel()
            waiter?.resume(returning: false)
        }
    }

    /// Mutes the connection for `throttleMs` from now (nothing for 0).
    func mute(forMs throttleMs: Int32) {
        guard throttleMs > 0 else { return }
        let until = clock.nowMs() + Int64(throttleMs)
        state.withLockedValue { $0.mutedUntilMs = max($0.mutedUntilMs ?? until, until) }
    }

    /// Returns true once the connection is no longer muted, false as soon as it closes (a muted
    /// connection must not hold up the listener's shutdown for its throttle time, nor serve the request
    /// it was holding back). Called by the connection's one reading task.
    func waitUntilUnmuted() async -> Bool {
        guard let until = state.withLockedValue({ $0.closed ? nil : $0.mutedUntilMs }) else {
            return !state.withLockedValue { $0.closed }
        }
        let clock = self.clock, state = self.state
        let unmuted: Bool
        if clock.nowMs() < until {
            unmuted = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                // The waiter is in place before the sleeper exists, so whichever ends the wait finds it.
                let closedAlready = state.withLockedValue { s -> Bool in
                    if s.closed { return true }
                    s.waiter = c
                    return false
                }
                if closedAlready { return c.resume(returning: false) }
                let sleeper = Task {
                    let timeUp = (try? await clock.sleep(untilMs: until)) != nil
                    let waiter = state.withLockedValue { s in defer { s.waiter = nil; s.sleeper = nil }; return s.waiter }
                    waiter?.resume(returning: timeUp)
                }
                // Kept for the close callback to cancel; when the wait already ended, nothing to keep.
                let ended = state.withLockedValue { s -> Bool in
                    if s.waiter == nil { return true }
                    s.sleeper = sleeper
                    return false
                }
                if ended { sleeper.cancel() }
            }
        } else {
            unmuted = true
        }
        state.withLockedValue { if $0.mutedUntilMs == until { $0.mutedUntilMs = nil } }
        return unmuted
    }
}

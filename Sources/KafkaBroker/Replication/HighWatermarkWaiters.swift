import NIOConcurrencyHelpers

/// acks=all produce requests parked until a partition's high watermark covers their records (Kafka's
/// produce purgatory, `DelayedProduce`), one set per partition.
///
/// Invariant: every waiter is resumed exactly once: when the high watermark reaches its offset, when
/// the leadership it appended under ends (a newer leader epoch, or this node is no longer the leader),
/// or when its timeout passes on the node's clock. The high watermark and the leadership are kept here
/// too, under the same lock as the waiters, so a change between a waiter's check and its registration
/// cannot be missed.
final class HighWatermarkWaiters: Sendable {
    enum Outcome: Sendable, Equatable {
        case reached
        case leadershipChanged
        case timedOut
    }

    private struct Waiter {
        var offset: Int64
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var highWatermark: Int64
        /// The leader epoch this node leads under, or nil when it does not lead.
        var leaderEpoch: Int32?
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Waits whose timer fired before they registered: they must not register.
        var expired: Set<UInt64> = []
    }

    private let state: NIOLockedValueBox<State>

    init(highWatermark: Int64) {
        state = NIOLockedValueBox(State(highWatermark: highWatermark, leaderEpoch: nil))
    }

    /// Records a higher high watermark and resumes the waiters it satisfies.
    func advance(to highWatermark: Int64) {
        let ready = state.withLockedValue { s -> [CheckedContinuation<Outcome, Never>] in
            guard highWatermark > s.highWatermark else { return [] }
            s.highWatermark = highWatermark
            let done = s.waiters.filter { $0.value.offset <= highWatermark }
            for id in done.keys { s.waiters[id] = nil }
            return done.values.map(\.continuation)
        }
        for c in ready { c.resume(returning: .reached) }
    }

    /// Records the leadership this node now has (nil: it does not lead); a change resumes every waiter
    /// with `leadershipChanged`. `highWatermark` is the partition's, which may be lower after truncation.
    /// Within the same leadership this is ``advance(to:)``: waiters the high watermark now covers resume
    /// with `reached`.
    func leadershipChanged(to leaderEpoch: Int32?, highWatermark: Int64) {
        let changed = state.withLockedValue { s -> [CheckedContinuation<Outcome, Never>]? in
            guard s.leaderEpoch != leaderEpoch else { return nil }
            s.highWatermark = highWatermark
            s.leaderEpoch = leaderEpoch
            defer { s.waiters = [:] }
            return s.waiters.values.map(\.continuation)
        }
        guard let changed else { return advance(to: highWatermark) }
        for c in changed { c.resume(returning: .leadershipChanged) }
    }

    /// Waits until the high watermark reaches `offset` while this node leads under `leaderEpoch`, at
    /// most `timeoutMs` on `clock`. Answered at once, without a timer, when the high watermark already
    /// covers `offset` or the leadership already changed (a single node's acks=all, whose flush moved
    /// the high watermark before the request asks).
    func wait(untilOffset offset: Int64, leaderEpoch: Int32, timeoutMs: Int64, clock: NodeClock) async -> Outcome {
        if let settled = settled(offset: offset, leaderEpoch: leaderEpoch) { return settled }
        let id = state.withLockedValue { s -> UInt64 in s.nextID += 1; return s.nextID }
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Outcome, Never>) in
                    let immediate = self.state.withLockedValue { s -> Outcome? in
                        if s.expired.remove(id) != nil { return .timedOut }
                        if let settled = Self.settled(s, offset: offset, leaderEpoch: leaderEpoch) { return settled }
                        s.waiters[id] = Waiter(offset: offset, continuation: c)
                        return nil
                    }
                    if let immediate { c.resume(returning: immediate) }
                }
            }
            // Cancellation (the connection closed) ends the wait as a timeout would.
            group.addTask {
                try? await clock.sleep(forMs: max(0, timeoutMs))
                return .timedOut
            }
            var outcome = await group.next()!
            if outcome == .timedOut {
                let registered = state.withLockedValue { s -> CheckedContinuation<Outcome, Never>?? in
                    if let waiter = s.waiters.removeValue(forKey: id) { return .some(waiter.continuation) }
                    s.expired.insert(id)
                    return .none
                }
                if case let .some(c?) = registered { c.resume(returning: .timedOut) }
                // Resumed as the timer fired (its outcome is the true one), or refused to register.
                if let resumed = await group.next() { outcome = resumed }
                state.withLockedValue { _ = $0.expired.remove(id) }
            }
            group.cancelAll()
            return outcome
        }
    }

    /// The outcome a wait for `offset` under `leaderEpoch` has now, if it needs no waiting.
    func settled(offset: Int64, leaderEpoch: Int32) -> Outcome? {
        state.withLockedValue { Self.settled($0, offset: offset, leaderEpoch: leaderEpoch) }
    }

    private static func settled(_ s: State, offset: Int64, leaderEpoch: Int32) -> Outcome? {
        if s.leaderEpoch != leaderEpoch { return .leadershipChanged }
        return s.highWatermark >= offset ? .reached : nil
    }

    var waiterCount: Int { state.withLockedValue { $0.waiters.count } }
}

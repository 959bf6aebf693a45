import KafkaBroker
import NIOConcurrencyHelpers

/// A `NodeClock` that moves only when a test says so.
///
/// Invariants: `nowMs()` never goes backwards; a sleeper is resumed exactly once, by the `advance` that
/// reaches its deadline or by its task's cancellation. `sleepers(atLeast:)` lets a test wait (on an
/// event, not on time) until the code under test has reached its sleep before moving the clock.
public final class ManualClock: NodeClock, Sendable {
    private struct Sleeper {
        var deadline: Int64
        var continuation: CheckedContinuation<Void, Error>
    }

    private struct State {
        var now: Int64
        var nextID: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
        var watchers: [(condition: @Sendable ([Int64]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state: NIOLockedValueBox<State>

    public init(nowMs: Int64 = 1_700_000_000_000) {
        state = NIOLockedValueBox(State(now: nowMs))
    }

    public func nowMs() -> Int64 { state.withLockedValue { $0.now } }

    /// The deadlines of the tasks sleeping now, soonest first.
    public var pendingDeadlines: [Int64] { state.withLockedValue { $0.sleepers.values.map(\.deadline).sorted() } }

    public func sleep(untilMs deadlineMs: Int64) async throws {
        let id = state.withLockedValue { s -> UInt64 in s.nextID += 1; return s.nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                enum Outcome { case now, cancelled, parked([CheckedContinuation<Void, Never>]) }
                let outcome = state.withLockedValue { s -> Outcome in
                    if Task.isCancelled { return .cancelled }
                    if s.now >= deadlineMs { return .now }
                    s.sleepers[id] = Sleeper(deadline: deadlineMs, continuation: c)
                    return .parked(Self.satisfiedWatchers(&s))
                }
                switch outcome {
                case .now: c.resume()
                case .cancelled: c.resume(throwing: CancellationError())
                case .parked(let watchers): for w in watchers { w.resume() }
                }
            }
        } onCancel: {
            state.withLockedValue { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleeper whose deadline it reaches, earliest first.
    public func advance(byMs ms: Int64) {
        precondition(ms >= 0, "a clock does not go backwards")
        let due = state.withLockedValue { s -> [Sleeper] in
            s.now += ms
            let due = s.sleepers.filter { $0.value.deadline <= s.now }
            for id in due.keys { s.sleepers.removeValue(forKey: id) }
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Returns once at least `count` tasks are sleeping on this clock.
    public func sleepers(atLeast count: Int) async {
        await sleepers { $0.count >= count }
    }

    /// Returns once the deadlines of the sleeping tasks (soonest first) satisfy `condition`; checked
    /// each time a task starts sleeping, under the clock's lock (so it must not read the clock).
    public func sleepers(where condition: @escaping @Sendable ([Int64]) -> Bool) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLockedValue { s -> Bool in
                if condition(s.sleepers.values.map(\.deadline).sorted()) { return true }
                s.watchers.append((condition, c))
                return false
            }
            if ready { c.resume() }
        }
    }

    private static func satisfiedWatchers(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
        let deadlines = s.sleepers.values.map(\.deadline).sorted()
        var ready: [CheckedContinuation<Void, Never>] = []
        s.watchers.removeAll { w in
            guard w.condition(deadlines) else { return false }
            ready.append(w.continuation)
            return true
        }
        return ready
    }
}

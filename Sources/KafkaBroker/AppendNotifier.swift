import NIOConcurrencyHelpers

/// Wakes long-polling fetches when data is appended.
///
/// A waiter remembers the generation it read before looking at the logs; `wait` returns as soon as
/// the generation has moved past it (some append happened since) or the timeout passes. Every
/// registered continuation is resumed exactly once: by `notifyAll`, by the timeout, or at once
/// when an append already happened.
final class AppendNotifier: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let clock: NodeClock

    init(clock: NodeClock) {
        self.clock = clock
    }

    var generation: UInt64 { state.withLockedValue { $0.generation } }

    func notifyAll() {
        let waiting = state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
            s.generation += 1
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiting { w.resume() }
    }

    /// Returns when an append happened after `generation`, or after `timeoutMs` on the node's clock.
    func wait(since generation: UInt64, timeoutMs: Int64) async {
        let id = state.withLockedValue { s -> UInt64 in s.nextID += 1; return s.nextID }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLockedValue { s -> Bool in
                        if s.generation != generation { return true }
                        s.waiters[id] = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
            group.addTask { [clock] in
                try? await clock.sleep(forMs: timeoutMs)
            }
            await group.next()
            self.release(id)
            group.cancelAll()
        }
    }

    /// Resumes waiter `id` if it is still registered.
    private func release(_ id: UInt64) {
        let c = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
        c?.resume()
    }
}

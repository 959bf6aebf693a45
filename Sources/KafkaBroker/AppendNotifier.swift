import KafkaProtocol
import NIOConcurrencyHelpers

/// Wakes long-polling fetches when one of their partitions changes (records appended, the high
/// watermark moved), as Kafka's fetch purgatory completes only the delayed fetches keyed by the partition
/// that changed: an append to one partition does not make every waiting fetch on the node read all of
/// its partitions again.
///
/// Invariant: no lost wake-up. A waiter takes `generation` before it looks at its logs; `wait` returns
/// at once when one of its partitions was notified after that (each partition remembers the generation
/// of its last notification), else when a later `notify` names one of them, on `notifyAll`, or after
/// the timeout. Every registered continuation is resumed exactly once.
final class AppendNotifier: Sendable {
    private struct Waiter {
        var partitions: Set<TopicPartition>
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var generation: UInt64 = 0
        /// The generation of each partition's last notification.
        var changed: [TopicPartition: UInt64] = [:]
        /// The generation of the last `notifyAll`.
        var everything: UInt64 = 0
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]

        func changed(since generation: UInt64, in partitions: Set<TopicPartition>) -> Bool {
            if everything > generation { return true }
            return partitions.contains { (changed[$0] ?? 0) > generation }
        }
    }

    private let state = NIOLockedValueBox(State())
    private let clock: NodeClock

    init(clock: NodeClock) {
        self.clock = clock
    }

    var generation: UInt64 { state.withLockedValue { $0.generation } }

    /// Fetches waiting now.
    var waiting: Int { state.withLockedValue { $0.waiters.count } }

    /// `partition` changed: wakes the fetches waiting on it.
    func notify(_ partition: TopicPartition) {
        let waking = state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
            s.generation += 1
            s.changed[partition] = s.generation
            let ids = s.waiters.compactMap { $0.value.partitions.contains(partition) ? $0.key : nil }
            return ids.compactMap { s.waiters.removeValue(forKey: $0)?.continuation }
        }
        for w in waking { w.resume() }
    }

    /// Wakes every waiting fetch (shutdown, and changes not tied to one partition).
    func notifyAll() {
        let waking = state.withLockedValue { s -> [CheckedContinuation<Void, Never>] in
            s.generation += 1
            s.everything = s.generation
            defer { s.waiters = [:] }
            return s.waiters.values.map(\.continuation)
        }
        for w in waking { w.resume() }
    }

    /// Returns when one of `partitions` was notified after `generation`, or after `timeoutMs` on the
    /// node's clock.
    func wait(since generation: UInt64, for partitions: Set<TopicPartition>, timeoutMs: Int64) async {
        let id = state.withLockedValue { s -> UInt64 in s.nextID += 1; return s.nextID }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLockedValue { s -> Bool in
                        if s.changed(since: generation, in: partitions) { return true }
                        s.waiters[id] = Waiter(partitions: partitions, continuation: c)
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
        let c = state.withLockedValue { $0.waiters.removeValue(forKey: id)?.continuation }
        c?.resume()
    }
}

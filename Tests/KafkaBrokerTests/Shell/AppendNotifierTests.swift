import BrokerTestKit
@testable import KafkaBroker
import KafkaProtocol
import Testing

/// `AppendNotifier`: a waiting fetch wakes for its own partitions only, and never misses a change made
/// between reading its logs and starting to wait. (The manual clock never fires the timeouts here.)
@Suite struct AppendNotifierTests {
    let a = TopicPartition("t", 0)
    let b = TopicPartition("t", 1)

    /// Yields until `notifier` has `count` waiters (they register on their own tasks).
    func untilWaiting(_ notifier: AppendNotifier, _ count: Int) async {
        while notifier.waiting != count { await Task.yield() }
    }

    @Test func aChangeToAnotherPartitionLeavesTheFetchWaiting() async {
        let notifier = AppendNotifier(clock: ManualClock())
        let since = notifier.generation
        let fetch = Task { await notifier.wait(since: since, for: [a], timeoutMs: 60_000) }
        await untilWaiting(notifier, 1)
        notifier.notify(b)
        #expect(notifier.waiting == 1, "a change to t-1 woke a fetch of t-0")
        notifier.notify(a)
        await fetch.value
        #expect(notifier.waiting == 0)
    }

    @Test func aChangeBeforeTheWaitBeganReturnsAtOnce() async {
        let notifier = AppendNotifier(clock: ManualClock())
        let since = notifier.generation
        notifier.notify(b)
        notifier.notify(a)
        // Took `since` before both: returns without waiting (else the manual clock would hold it forever).
        await notifier.wait(since: since, for: [a], timeoutMs: 60_000)
        let later = notifier.generation
        let fetch = Task { await notifier.wait(since: later, for: [a, b], timeoutMs: 60_000) }
        await untilWaiting(notifier, 1)
        notifier.notify(b)
        await fetch.value
    }

    @Test func notifyAllWakesEveryFetch() async {
        let notifier = AppendNotifier(clock: ManualClock())
        let since = notifier.generation
        let fetches = [a, b].map { p in Task { await notifier.wait(since: since, for: [p], timeoutMs: 60_000) } }
        await untilWaiting(notifier, 2)
        notifier.notifyAll()
        for f in fetches { await f.value }
        // And a fetch that read its logs before the notifyAll does not wait either.
        await notifier.wait(since: since, for: [TopicPartition("u", 0)], timeoutMs: 60_000)
    }
}

@testable import KafkaBroker
import BrokerTestKit
import Testing

/// acks=all waiters on a manual clock: each ends on the change that decides it (the high watermark
/// reaching its offset, the leadership ending) or on its timeout, once, never by polling.
@Suite struct HighWatermarkWaitersTests {
    @Test func aWaiterEndsWhenTheHighWatermarkReachesItsOffset() async {
        let clock = ManualClock()
        let waiters = HighWatermarkWaiters(highWatermark: 0)
        waiters.leadershipChanged(to: 4, highWatermark: 0)
        let waiting = Task { await waiters.wait(untilOffset: 10, leaderEpoch: 4, timeoutMs: 30_000, clock: clock) }
        await clock.sleepers(atLeast: 1)
        while waiters.waiterCount == 0 { await Task.yield() }
        waiters.advance(to: 9)
        #expect(waiters.waiterCount == 1, "a high watermark short of the offset leaves the waiter waiting")
        waiters.advance(to: 10)
        #expect(await waiting.value == .reached)
        #expect(waiters.waiterCount == 0)
    }

    @Test func aWaiterWhoseOffsetIsAlreadyCoveredEndsAtOnce() async {
        let clock = ManualClock()
        let waiters = HighWatermarkWaiters(highWatermark: 0)
        waiters.leadershipChanged(to: 1, highWatermark: 20)
        #expect(await waiters.wait(untilOffset: 20, leaderEpoch: 1, timeoutMs: 30_000, clock: clock) == .reached)
        // Decided without a wait (a single node's acks=all, whose flush moved the high watermark first):
        // no timer is set for it.
        #expect(waiters.settled(offset: 20, leaderEpoch: 1) == .reached)
        #expect(waiters.settled(offset: 21, leaderEpoch: 1) == nil)
        #expect(waiters.settled(offset: 5, leaderEpoch: 2) == .leadershipChanged)
        #expect(clock.pendingDeadlines.isEmpty)
    }

    @Test func aNewLeadershipReleasesTheWaitersOfTheOldOne() async {
        let clock = ManualClock()
        let waiters = HighWatermarkWaiters(highWatermark: 0)
        waiters.leadershipChanged(to: 1, highWatermark: 0)
        let waiting = Task { await waiters.wait(untilOffset: 5, leaderEpoch: 1, timeoutMs: 30_000, clock: clock) }
        while waiters.waiterCount == 0 { await Task.yield() }
        waiters.leadershipChanged(to: nil, highWatermark: 3)
        #expect(await waiting.value == .leadershipChanged)
        // A wait under an epoch this node no longer leads ends at once.
        #expect(await waiters.wait(untilOffset: 1, leaderEpoch: 1, timeoutMs: 30_000, clock: clock) == .leadershipChanged)
    }

    @Test func aNewRegistrationInTheSameLeadershipResumesTheWaitersItsHighWatermarkCovers() async {
        // An ISR change (the controller fenced a follower) re-applies the leadership with a higher high
        // watermark: that must release the produces it covers, not just record the new value.
        let clock = ManualClock()
        let waiters = HighWatermarkWaiters(highWatermark: 0)
        waiters.leadershipChanged(to: 3, highWatermark: 0)
        let waiting = Task { await waiters.wait(untilOffset: 7, leaderEpoch: 3, timeoutMs: 30_000, clock: clock) }
        while waiters.waiterCount == 0 { await Task.yield() }
        waiters.leadershipChanged(to: 3, highWatermark: 7)
        #expect(await waiting.value == .reached)
    }

    @Test func aWaiterTimesOutOnTheNodesClockAndOnlyThen() async {
        let clock = ManualClock()
        let waiters = HighWatermarkWaiters(highWatermark: 0)
        waiters.leadershipChanged(to: 2, highWatermark: 0)
        let waiting = Task { await waiters.wait(untilOffset: 5, leaderEpoch: 2, timeoutMs: 1_000, clock: clock) }
        await clock.sleepers(atLeast: 1)
        while waiters.waiterCount == 0 { await Task.yield() }
        clock.advance(byMs: 999)
        #expect(waiters.waiterCount == 1)
        clock.advance(byMs: 1)
        #expect(await waiting.value == .timedOut)
        #expect(waiters.waiterCount == 0, "a timed-out waiter is removed")
        // The high watermark moving later resumes nothing twice.
        waiters.advance(to: 5)
    }
}

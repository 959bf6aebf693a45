@testable import KafkaBroker
import BrokerTestKit
import KafkaTestKit
import Testing

/// `AdminDeadline`: the answer by `timeoutMs` is REQUEST_TIMED_OUT's stand-in when the work has not
/// finished, and the work still runs to its end; work that finishes first is answered with its result.
/// Time is a manual clock and the work waits on the test, so the order is certain whatever the load.
@Suite struct AdminDeadlineTests {
    @Test func unfinishedWorkIsAnsweredTimedOutAndStillCompletes() async {
        let clock = ManualClock()
        let (gate, open) = AsyncStream<Void>.makeStream()
        let (done, finished) = AsyncStream<Int>.makeStream()
        let answering = Task {
            await AdminDeadline.answer(withinMs: 30_000, clock: clock, {
                for await _ in gate {}
                finished.yield(42)
                finished.finish()
                return 42
            }, timedOut: { -1 })
        }
        await clock.sleepers(atLeast: 1)
        #expect(clock.pendingDeadlines == [clock.nowMs() + 30_000], "the deadline is timeoutMs from the request")
        clock.advance(byMs: 30_000)
        #expect(await answering.value == -1)
        open.finish()
        var completed: [Int] = []
        for await value in done { completed.append(value) }
        #expect(completed == [42], "the work went on after the answer")
    }

    @Test func finishedWorkIsAnsweredWithItsResult() async {
        let clock = ManualClock()
        // The clock never moves: only the work can answer.
        #expect(await AdminDeadline.answer(withinMs: 1, clock: clock, { 7 }, timedOut: { -1 }) == 7)
        #expect(await AdminDeadline.answer(withinMs: 0, clock: clock, { 8 }, timedOut: { -1 }) == 8, "0 waits for the work")
    }
}

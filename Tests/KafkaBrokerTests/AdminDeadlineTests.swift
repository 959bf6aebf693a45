@testable import KafkaBroker
import Testing

/// `AdminDeadline`: the answer by `timeoutMs` is REQUEST_TIMED_OUT's stand-in when the work has not
/// finished, and the work still runs to its end; work that finishes first is answered with its result.
/// The work here waits on the test, not on time, so the order is certain whatever the machine's load.
@Suite struct AdminDeadlineTests {
    @Test func unfinishedWorkIsAnsweredTimedOutAndStillCompletes() async {
        let (gate, open) = AsyncStream<Void>.makeStream()
        let (done, finished) = AsyncStream<Int>.makeStream()
        let answer = await AdminDeadline.answer(withinMs: 1, {
            for await _ in gate {}
            finished.yield(42)
            finished.finish()
            return 42
        }, timedOut: { -1 })
        #expect(answer == -1)
        open.finish()
        var completed: [Int] = []
        for await value in done { completed.append(value) }
        #expect(completed == [42], "the work went on after the answer")
    }

    @Test func finishedWorkIsAnsweredWithItsResult() async {
        #expect(await AdminDeadline.answer(withinMs: 600_000, { 7 }, timedOut: { -1 }) == 7)
        #expect(await AdminDeadline.answer(withinMs: 0, { 8 }, timedOut: { -1 }) == 8, "0 waits for the work")
    }
}

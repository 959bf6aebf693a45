import Dispatch
import NIOConcurrencyHelpers
import Testing
@testable import KafkaBroker

/// The executor never runs more than its thread count of jobs at once; the others wait their turn.
@Suite struct BlockingIOExecutorTests {
    /// Counts the jobs inside, remembers the most ever inside at once, and holds each job until the
    /// test releases it. Entries are announced on a stream, so the test waits on events, not time.
    final class Gate: Sendable {
        private let state = NIOLockedValueBox((inside: 0, most: 0))
        private let releases = DispatchSemaphore(value: 0)
        let entries: AsyncStream<Int>
        private let announce: AsyncStream<Int>.Continuation

        init() {
            (entries, announce) = AsyncStream.makeStream(of: Int.self)
        }

        var mostInsideAtOnce: Int { state.withLockedValue { $0.most } }

        /// Runs on an executor thread: enters, waits for its release, leaves.
        func job(_ n: Int) {
            state.withLockedValue { s in
                s.inside += 1
                s.most = max(s.most, s.inside)
            }
            announce.yield(n)
            // Blocks this thread until the test releases one job.
            releases.wait()
            state.withLockedValue { $0.inside -= 1 }
        }

        /// Lets one of the jobs inside leave.
        func releaseOne() {
            releases.signal()
        }
    }

    @Test func neverRunsMoreJobsThanItHasThreads() async throws {
        let executor = BlockingIOExecutor(threadCount: 2)
        let gate = Gate()
        let jobs = 6
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<jobs {
                group.addTask { try await executor.run { gate.job(n) } }
            }
            var entered = gate.entries.makeAsyncIterator()
            // Two jobs fill both threads; each release lets exactly one more in.
            var inside = 0
            for _ in 0..<2 { _ = await entered.next(); inside += 1 }
            while inside < jobs {
                #expect(gate.mostInsideAtOnce <= 2)
                gate.releaseOne()
                _ = await entered.next()
                inside += 1
            }
            for _ in 0..<jobs { gate.releaseOne() }
            try await group.waitForAll()
        }
        #expect(gate.mostInsideAtOnce == 2)
        await executor.shutdown()
    }

    @Test func aJobSubmittedAfterShutdownIsRefusedWithoutRunning() async throws {
        let executor = BlockingIOExecutor(threadCount: 1)
        #expect(try await executor.run { 41 + 1 } == 42)
        await executor.shutdown()
        let ran = NIOLockedValueBox(false)
        await #expect(throws: (any Error).self) { try await executor.run { ran.withLockedValue { $0 = true } } }
        #expect(!ran.withLockedValue { $0 })
    }
}

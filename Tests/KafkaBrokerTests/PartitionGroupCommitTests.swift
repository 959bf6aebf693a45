import KafkaLog
import Testing
@testable import KafkaBroker

/// `Partition.makeDurable`: acks=all appends share syncs (one in flight per partition), and nobody
/// returns before the recovery point covers its records.
@Suite struct PartitionGroupCommitTests {
    typealias Fixture = PartitionTests.Fixture

    @Test func appendsWaitingTogetherShareOneSync() async throws {
        let f = try Fixture(settings: Fixture.settings(flushBeforeAcksAll: true))
        defer { f.remove() }
        let io = BlockingIOExecutor(threadCount: 4)
        var ends: [Int64] = []
        for _ in 0..<20 { ends.append(try #require(try f.append(try PartitionTests.batch(count: 2), acks: -1).get().flushThrough)) }
        #expect(f.partition.highWatermark == 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for end in ends {
                group.addTask {
                    try await f.partition.makeDurable(through: end, io: io, clock: SystemClock())
                    #expect(f.partition.withLog { $0.recoveryPoint } >= end)
                }
            }
            try await group.waitForAll()
        }
        // Whoever synced first covered the log end offset, so everyone else found it durable or waited for it.
        #expect(f.partition.lock.withLock { f.partition.groupCommit.syncsStarted } == 1)
        #expect(f.partition.highWatermark == 40 && f.partition.withLog { $0.recoveryPoint } == 40)
        await io.shutdown()
    }

    @Test func concurrentAppendersReturnOnlyOnceTheirRecordsAreDurable() async throws {
        let f = try Fixture(settings: Fixture.settings(flushBeforeAcksAll: true))
        defer { f.remove() }
        let io = BlockingIOExecutor(threadCount: 4)
        let producers = 16
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<producers {
                group.addTask {
                    for _ in 0..<5 {
                        let end = try #require(try f.append(try PartitionTests.batch(count: 1), acks: -1).get().flushThrough)
                        try await f.partition.makeDurable(through: end, io: io, clock: SystemClock())
                        #expect(f.partition.withLog { $0.recoveryPoint } >= end)
                        #expect(f.partition.highWatermark >= end)
                    }
                }
            }
            try await group.waitForAll()
        }
        let syncs = f.partition.lock.withLock { f.partition.groupCommit.syncsStarted }
        #expect(syncs >= 1 && syncs <= producers * 5)
        #expect(f.partition.lock.withLock { f.partition.groupCommit.waiters.isEmpty && !f.partition.groupCommit.syncing })
        #expect(f.partition.highWatermark == Int64(producers * 5))
        await io.shutdown()
    }

    @Test func aLogTruncatedBelowTheRecordsNeedsNoSync() async throws {
        let f = try Fixture(settings: Fixture.settings(flushBeforeAcksAll: true))
        defer { f.remove() }
        let io = BlockingIOExecutor(threadCount: 1)
        let end = try #require(try f.append(try PartitionTests.batch(count: 3), acks: -1).get().flushThrough)
        try f.partition.withLog { try $0.truncate(to: 0, now: PartitionTests.now) }
        try await f.partition.makeDurable(through: end, io: io, clock: SystemClock())
        #expect(f.partition.lock.withLock { f.partition.groupCommit.syncsStarted } == 0)
        await io.shutdown()
    }

    @Test func aSyncThatNeverRanFailsItsCallerAndFreesTheNextOne() async throws {
        let f = try Fixture(settings: Fixture.settings(flushBeforeAcksAll: true))
        defer { f.remove() }
        let io = BlockingIOExecutor(threadCount: 1)
        await io.shutdown()
        let end = try #require(try f.append(try PartitionTests.batch(count: 3), acks: -1).get().flushThrough)
        await #expect(throws: (any Error).self) { try await f.partition.makeDurable(through: end, io: io, clock: SystemClock()) }
        #expect(f.partition.lock.withLock { !f.partition.groupCommit.syncing })
        let running = BlockingIOExecutor(threadCount: 1)
        try await f.partition.makeDurable(through: end, io: running, clock: SystemClock())
        #expect(f.partition.highWatermark == 3)
        await running.shutdown()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import KafkaLog

/// Opening a log fsyncs no directory; the first flush, roll or close does, on every open, whatever
/// that open changed. Running out of descriptors fails the call but leaves the log online.
@Suite struct DeferredDirectorySyncTests {
    @Test func everyOpenDefersBothDirectoriesToItsFirstFlush() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let partitionDirectory = FileSystem.join(directory.path, "\(Fixtures.topic)-0")
        let log = try Fixtures.open(directory, fileCache: LogFileCache(capacity: 8))
        #expect(log.unsyncedDirectories == [directory.path, partitionDirectory])
        try Fixtures.fill(log, batches: 2)
        try log.flush(now: 2_000)
        #expect(log.unsyncedDirectories.isEmpty)
        try log.close()

        // A later process that finds both directories made still owes them an fsync before its first
        // acknowledged records (the first process may have died before syncing them).
        let again = try Fixtures.open(directory, fileCache: LogFileCache(capacity: 8))
        #expect(again.unsyncedDirectories == [directory.path, partitionDirectory])
        let pending = try #require(try { () throws(LogError) -> PendingFlush? in
            _ = try again.append(Fixtures.batch(count: 1, firstValue: again.logEndOffset), leaderEpoch: 0, now: 3_000)
            return try again.prepareFlush()
        }())
        #expect(again.unsyncedDirectories.isEmpty, "prepareFlush syncs them before listing the files to sync")
        try pending.perform()
        again.completeFlush(pending, now: 3_001)
        try again.close()
        // Closing an idle log syncs nothing; closing one with records not yet durable flushes them,
        // directories first, and the marker still says the shutdown was clean.
        let idle = try Fixtures.open(directory, fileCache: LogFileCache(capacity: 8))
        try idle.close()
        #expect(idle.unsyncedDirectories.count == 2)
        let busy = try Fixtures.open(directory, fileCache: LogFileCache(capacity: 8))
        let end = busy.logEndOffset
        _ = try busy.append(Fixtures.batch(count: 2, firstValue: end), leaderEpoch: 0, now: 4_000)
        try busy.close()
        #expect(busy.unsyncedDirectories.isEmpty)
        #expect(busy.recoveryPoint == end + 2)
        let reopened = try Fixtures.open(directory, fileCache: LogFileCache(capacity: 8))
        #expect(reopened.openReport.cleanShutdown)
        #expect(reopened.logEndOffset == end + 2)
        Fixtures.expectContiguous(try Fixtures.readAll(reopened), from: 0, to: end + 2)
    }

    @Test func runningOutOfDescriptorsLeavesTheLogOnline() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, fileCache: LogFileCache(capacity: 8))
        #expect(throws: LogError.self) {
            try log.changingFiles { () throws(LogError) in throw .io(operation: "open", path: "x", errno: EMFILE) }
        }
        #expect(log.storageFailure == nil)
        try Fixtures.fill(log, batches: 1)
        #expect(throws: LogError.self) {
            try log.changingFiles { () throws(LogError) in throw .io(operation: "pwrite", path: "x", errno: EIO) }
        }
        #expect(log.storageFailure != nil, "a real I/O failure still takes it offline")
    }
}

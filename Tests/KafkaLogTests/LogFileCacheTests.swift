#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Testing
@testable import KafkaLog

/// The file cache on its own: segment file handles over small files, each holding its own name.
@Suite struct LogFileCacheTests {
    /// `count` files under `directory`, each holding its path, and a handle for each in `cache`.
    func makeFiles(_ directory: TemporaryDirectory, count: Int, cache: LogFileCache) throws -> [SegmentFile] {
        try (0..<count).map { i in
            let path = directory.path + "/file-\(i)"
            try Fixtures.writeFile(path, Array(path.utf8))
            return SegmentFile(path: path, cache: cache)
        }
    }

    func contents(_ handle: SegmentFile) throws -> String {
        String(buffer: try handle.open().readAll())
    }

    @Test(.enabled(if: OpenDescriptors.countable)) func staysWithinCapacityAndReopensEvictedFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = LogFileCache(capacity: 3)
        let handles = try makeFiles(directory, count: 10, cache: cache)
        for step in 0..<100 {
            let handle = handles[step * 7 % handles.count]
            #expect(try contents(handle) == handle.path)
            #expect(cache.openCount <= 3)
            #expect(OpenDescriptors.count(under: directory.path) <= 3, "step \(step)")
        }
        #expect(handles.filter(\.isOpen).count == 3)
    }

    /// CLOCK keeps what is used: a file used again before every new file is opened is never the one
    /// evicted, however many other files pass through the cache.
    @Test func aFileUsedBetweenEveryOpeningIsNeverEvicted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = LogFileCache(capacity: 4)
        let handles = try makeFiles(directory, count: 41, cache: cache)
        let hot = handles[0]
        let kept = try hot.open()
        for cold in handles.dropFirst() {
            #expect(try hot.open() === kept, "the hot file was reopened before \(cold.path)")
            _ = try cold.open()
            #expect(cache.openCount <= 4)
        }
    }

    @Test func loweringTheCapacityEvictsAtOnceAndHeldFilesStayUsable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = LogFileCache(capacity: 8)
        let handles = try makeFiles(directory, count: 8, cache: cache)
        let held = try handles.map { try $0.open() }
        #expect(cache.openCount == 8)
        cache.capacity = 2
        #expect(cache.capacity == 2 && cache.openCount == 2)
        #expect(handles.filter(\.isOpen).count == 2)
        // Evicted from the cache, not closed under their holders.
        for (file, handle) in zip(held, handles) {
            #expect(String(buffer: try file.readAll()) == handle.path)
        }
        cache.capacity = 0
        #expect(cache.capacity == 1 && cache.openCount == 1)
    }

    @Test func anOpenFailingForWantOfDescriptorsEvictsAndRetriesOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = LogFileCache(capacity: 100)
        let handles = try makeFiles(directory, count: LogFileCache.exhaustionRelief + 4, cache: cache)
        for handle in handles { _ = try handle.open() }
        var attempts = 0
        let value = try cache.retryingOnExhaustion { () throws(LogError) -> Int in
            attempts += 1
            if attempts == 1 { throw .io(operation: "open", path: "x", errno: EMFILE) }
            return 7
        }
        #expect(value == 7 && attempts == 2)
        #expect(cache.openCount == 4, "evicted to make room")
        attempts = 0
        #expect(throws: LogError.io(operation: "open", path: "x", errno: ENFILE)) {
            try cache.retryingOnExhaustion { () throws(LogError) in
                attempts += 1
                throw .io(operation: "open", path: "x", errno: ENFILE)
            }
        }
        #expect(attempts == 2, "retried once only")
        attempts = 0
        #expect(throws: LogError.self) {
            try cache.retryingOnExhaustion { () throws(LogError) in
                attempts += 1
                throw .io(operation: "open", path: "x", errno: EACCES)
            }
        }
        #expect(attempts == 1, "other failures are not retried")
    }

    /// A deleted file surfaces as an error, never as a new empty file; a retired handle does not even
    /// open a new file of the same name.
    @Test func aFileDeletedUnderneathIsAnErrorAndARetiredOneIsNeverReopened() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = LogFileCache(capacity: 4)
        let handles = try makeFiles(directory, count: 2, cache: cache)
        _ = try handles[0].open()
        handles[0].release()
        try FileSystem.remove(handles[0].path)
        #expect(throws: LogError.io(operation: "open", path: handles[0].path, errno: ENOENT)) { try handles[0].open() }
        #expect(!FileSystem.exists(handles[0].path))

        handles[1].retire()
        #expect(FileSystem.exists(handles[1].path))
        #expect(throws: LogError.io(operation: "open", path: handles[1].path, errno: ENOENT)) { try handles[1].open() }
        #expect(cache.openCount == 0)
    }

    @Test func theDefaultCapacityLeavesRoomForEverythingElse() {
        #expect(LogFileCache.defaultCapacity(openFileLimit: 20_000) == 4096)
        #expect(LogFileCache.defaultCapacity(openFileLimit: 1024) == 512)
        #expect(LogFileCache.defaultCapacity(openFileLimit: 10) == 64)
        #expect(OpenFileLimit.current() > 0)
    }
}

/// Counts this process's open descriptors (Linux: the links in /proc/self/fd).
enum OpenDescriptors {
    static var countable: Bool { FileSystem.exists("/proc/self/fd") }

    /// Open descriptors whose file lies under `directory` (deleted files included), so that tests
    /// running in parallel do not count each other's.
    static func count(under directory: String) -> Int {
        guard let names = try? FileSystem.list("/proc/self/fd") else { return 0 }
        var count = 0
        var target = [UInt8](repeating: 0, count: 4096)
        for name in names {
            let length = target.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { readlink("/proc/self/fd/" + name, $0.baseAddress!, $0.count) }
            }
            guard length > 0 else { continue }
            if String(decoding: target[..<length], as: UTF8.self).hasPrefix(directory + "/") { count += 1 }
        }
        return count
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers

/// A segment's `.log` file, open only while its ``LogFileCache`` keeps it: ``open()`` returns the open
/// ``LogFile``, reopening the file (read-write, never creating it) when the cache evicted it.
///
/// Invariants: the handle holds a file exactly while it has a slot in the cache; a ``LogFile`` it
/// returned stays valid after eviction (whoever holds it keeps the descriptor); once ``retire()``d
/// (the file was deleted or renamed away) it never opens the path again, so a later file of the same
/// name is never mistaken for this one. Thread-safe: the partition's owner uses it, the cache may
/// evict from any thread, and the cleaner reads closed segments without the partition's lock.
final class SegmentFile: Sendable {
    let path: String
    let cache: LogFileCache

    struct State {
        var file: LogFile?
        /// The cache slot, while `file` is set.
        var slot: Int?
        /// Used since the cache's clock hand last passed.
        var referenced = false
        var retired = false
    }

    private let state = NIOLockedValueBox(State())

    init(path: String, cache: LogFileCache) {
        self.path = path
        self.cache = cache
    }

    /// The open file; opened (and entered in the cache, evicting another if it is full) when not open.
    /// A file deleted underneath is an error (ENOENT), not a new empty file.
    func open() throws(LogError) -> LogFile {
        let current: LogFile? = state.withLockedValue { state in
            guard let file = state.file else { return nil }
            state.referenced = true
            return file
        }
        if let current { return current }
        return try openAndInstall(create: false)
    }

    /// Creates the file, or empties the one already there, and keeps it open.
    func create() throws(LogError) -> LogFile {
        cache.remove(self)
        return try openAndInstall(create: true)
    }

    private func openAndInstall(create: Bool) throws(LogError) -> LogFile {
        if state.withLockedValue({ $0.retired }) { throw Self.retiredError(path) }
        cache.reserve()
        let file = try cache.retryingOnExhaustion { () throws(LogError) in
            try LogFile.open(path, create: create, truncate: create)
        }
        return try cache.install(file, in: self)
    }

    /// Drops the file from the cache (it closes once nobody else holds it); the next use reopens it.
    func release() {
        cache.remove(self)
    }

    /// Releases the file for good: the path was deleted or renamed, so ``open()`` fails from now on.
    func retire() {
        state.withLockedValue { $0.retired = true }
        cache.remove(self)
    }

    /// Whether the cache holds the file open for this handle.
    var isOpen: Bool { state.withLockedValue { $0.file != nil } }

    /// For ``LogFileCache/install(_:in:)`` (under the cache's lock): keeps `file` with the slot
    /// `assignSlot` gives, unmarked (it earns its second chance by being used again), or the file the
    /// handle already holds (opened meanwhile by another thread).
    func adopt(_ file: LogFile, assignSlot: () -> Int) -> Result<LogFile, LogError> {
        state.withLockedValue { state in
            if state.retired { return .failure(Self.retiredError(path)) }
            if let existing = state.file {
                state.referenced = true
                return .success(existing)
            }
            state.file = file
            state.slot = assignSlot()
            state.referenced = false
            return .success(file)
        }
    }

    /// For the cache (under its lock): gives up the file and its slot, unless it was used since the
    /// last pass and `force` is not set (then it loses that mark: its second chance).
    func evict(force: Bool) -> (slot: Int, file: LogFile)? {
        state.withLockedValue { state in
            guard let slot = state.slot, let file = state.file else { return nil }
            if state.referenced, !force {
                state.referenced = false
                return nil
            }
            state.file = nil
            state.slot = nil
            state.referenced = false
            return (slot, file)
        }
    }

    private static func retiredError(_ path: String) -> LogError {
        .io(operation: "open", path: path, errno: ENOENT)
    }
}

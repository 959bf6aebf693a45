#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers

/// A budget of open segment files shared by partition logs (by default one for the whole process,
/// ``shared``).
///
/// Invariant: at most ``capacity`` segment `.log` files are held open by the cache (a file above the
/// budget is opened only after another was evicted; threads opening files at the same moment may
/// exceed it by one each, until their files are entered). Eviction drops the cache's reference to a
/// ``LogFile``, never closes it under a user: a ``LogFile`` handed out (to an operation in progress,
/// a ``LogFileRange`` being sent, a ``PendingFlush``) stays valid until released, so descriptors
/// open at any moment are at most ``capacity`` plus those held that way.
///
/// Eviction picks a file not used since the clock hand last passed it (CLOCK, the second-chance
/// approximation of least recently used): using an open file only sets a mark in its own
/// ``SegmentFile``, so the hot path takes no process-wide lock; the cache's lock is taken to open,
/// evict and release. A file enters unmarked, so files used once (a scan of old segments, logs being
/// opened) go before files used again, and a file used between any two openings is never evicted.
/// Thread-safe.
public final class LogFileCache: Sendable {
    /// The cache every log uses unless given another. Its capacity starts at
    /// ``defaultCapacity(openFileLimit:)`` of this process's limit; the broker sets it with ``capacity``.
    public static let shared = LogFileCache(capacity: defaultCapacity(openFileLimit: OpenFileLimit.current()))

    /// Files evicted at once when an `open` fails because the process or system is out of descriptors.
    static let exhaustionRelief = 16

    struct State {
        var capacity: Int
        /// The clock: handles whose file is open; nil slots are free (listed in `free`).
        var slots: [SegmentFile?] = []
        var free: [Int] = []
        var hand = 0
        var openCount = 0
    }

    /// Evicted files are collected and released after the lock is let go: the last release of a
    /// ``LogFile`` closes its descriptor, which is not done holding the lock.
    private let state: NIOLockedValueBox<State>

    /// A cache holding at most `capacity` files open (at least 1).
    public init(capacity: Int) {
        state = NIOLockedValueBox(State(capacity: max(1, capacity)))
    }

    /// The most segment files the cache keeps open (at least 1). Lowering it evicts at once. A broker
    /// sets it at start from its descriptor limit, leaving room for sockets and files opened in passing
    /// (see ``defaultCapacity(openFileLimit:)``).
    public var capacity: Int {
        get { state.withLockedValue { $0.capacity } }
        set {
            var evicted: [LogFile] = []
            state.withLockedValue { state in
                state.capacity = max(1, newValue)
                Self.evict(&state, downTo: state.capacity, sparing: nil, into: &evicted)
            }
        }
    }

    /// How many files the cache holds open now.
    public var openCount: Int { state.withLockedValue { $0.openCount } }

    /// A capacity for a process allowed `openFileLimit` descriptors (RLIMIT_NOFILE): half of them,
    /// leaving the rest for sockets, index and checkpoint files opened in passing, and everything else;
    /// at most 4096 and at least 64.
    public static func defaultCapacity(openFileLimit: Int) -> Int {
        min(4096, max(64, openFileLimit / 2))
    }

    /// Runs `open` (a body whose only descriptor-consuming step is opening a file); when it fails with
    /// EMFILE or ENFILE, evicts ``exhaustionRelief`` files and runs it once more.
    func retryingOnExhaustion<T>(_ open: () throws(LogError) -> T) throws(LogError) -> T {
        do {
            return try open()
        } catch let error where error.isDescriptorExhaustion {
            evict(count: Self.exhaustionRelief)
            return try open()
        }
    }

    /// Evicts up to `count` files.
    func evict(count: Int) {
        var evicted: [LogFile] = []
        state.withLockedValue { state in
            Self.evict(&state, downTo: max(0, state.openCount - count), sparing: nil, into: &evicted)
        }
    }

    /// Makes room for one more file: evicts while the cache is full.
    func reserve() {
        var evicted: [LogFile] = []
        state.withLockedValue { state in
            Self.evict(&state, downTo: state.capacity - 1, sparing: nil, into: &evicted)
        }
    }

    /// Records that `handle` now holds `file` open (or keeps the file it gained meanwhile, returned
    /// instead); evicts others while over capacity. Fails when the handle was retired meanwhile.
    func install(_ file: LogFile, in handle: SegmentFile) throws(LogError) -> LogFile {
        var evicted: [LogFile] = []
        let installed: Result<LogFile, LogError> = state.withLockedValue { state in
            let outcome = handle.adopt(file) { () -> Int in
                let slot = state.free.popLast() ?? state.slots.count
                if slot == state.slots.count { state.slots.append(handle) } else { state.slots[slot] = handle }
                state.openCount += 1
                return slot
            }
            Self.evict(&state, downTo: state.capacity, sparing: handle, into: &evicted)
            return outcome
        }
        return try installed.get()
    }

    /// Forgets `handle`'s file (it stays open while someone else holds it).
    func remove(_ handle: SegmentFile) {
        let file: LogFile? = state.withLockedValue { state in
            guard let (slot, file) = handle.evict(force: true) else { return nil }
            state.slots[slot] = nil
            state.free.append(slot)
            state.openCount -= 1
            return file
        }
        _ = file
    }

    /// Sweeps the clock from the hand until at most `target` files are open (or every slot was seen
    /// twice): a handle used since the last pass gets a second chance, one that was not is evicted.
    private static func evict(_ state: inout State, downTo target: Int, sparing spared: SegmentFile?, into evicted: inout [LogFile]) {
        var steps = 0
        let limit = 2 * state.slots.count
        while state.openCount > target, steps < limit {
            steps += 1
            state.hand = (state.hand + 1) % state.slots.count
            guard let handle = state.slots[state.hand], handle !== spared else { continue }
            guard let (slot, file) = handle.evict(force: false) else { continue }
            state.slots[slot] = nil
            state.free.append(slot)
            state.openCount -= 1
            evicted.append(file)
        }
    }
}

extension LogError {
    /// An `open` (or `opendir`) that failed because the process (EMFILE) or the system (ENFILE) has no
    /// descriptor left.
    var isDescriptorExhaustion: Bool {
        if case let .io(operation, _, code) = self, operation == "open" || operation == "opendir", code == EMFILE || code == ENFILE {
            return true
        }
        return false
    }
}

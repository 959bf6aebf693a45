import NIOCore
import NIOPosix

/// The node's threads for blocking file work: appends, fsyncs, cleaning passes, retention and flush
/// policies, checkpoint writes. One per node, created at start and handed to what needs it; never a
/// global. Swift's cooperative threads (as many as cores) and NIO's event loops must never block on a
/// disk, so anything that may wait on one runs here.
///
/// Invariant: at most ``threadCount`` jobs run at once; the rest wait in submission order (FIFO).
///
/// Besides the pool, one serial lane (a thread of its own) runs the metadata quorum's actor
/// (``serialLane``): the KRaft core requires its log writes and fsyncs to finish before its next input, so
/// they stay inside the actor, and the actor runs where blocking is allowed instead of on a cooperative
/// thread. The executor's threads are ``threadCount`` + 1 in all.
///
/// Thread count (``defaultThreadCount``): cores + 8. Most of these jobs wait on the device, not the CPU.
/// Eight is the number of fsyncs the produce path had in flight before (its own pool of 8 beside NIO's
/// pool of one thread per core for appends): enough that the partitions of a request, and of concurrent
/// requests, sync together and the device merges them. The cores on top keep short page-cache appends
/// (and their validation, which uses a core each) from queuing behind eight slow syncs, and leave room
/// for a cleaning pass, which holds one thread for up to a second. The total is what the two pools had
/// together, now shared: a burst of appends can use idle sync threads and the other way round.
public final class BlockingIOExecutor: Sendable {
    public let threadCount: Int
    private let pool: NIOThreadPool
    private let lane: MultiThreadedEventLoopGroup

    public static var defaultThreadCount: Int { System.coreCount + 8 }

    public init(threadCount: Int = BlockingIOExecutor.defaultThreadCount) {
        precondition(threadCount > 0, "a blocking-I/O executor needs at least one thread")
        self.threadCount = threadCount
        pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
        lane = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// A serial executor on a thread of its own, for an actor whose jobs block on the disk (see above).
    public var serialLane: UnownedSerialExecutor {
        lane.next().executor.asUnownedSerialExecutor()
    }

    /// Runs `body` on one of the executor's threads and returns its result. Throws what `body` throws,
    /// or, without running it, when the executor has been shut down (or the task was cancelled before
    /// the job started).
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Runs `body` on one of the executor's threads, or here when the executor no longer runs jobs (it
    /// was shut down, or the task was cancelled before the job started): for a request's reads, which
    /// must not wait on a partition's lock or the disk on a cooperative thread, and which a stopping node
    /// still answers.
    public func runOrHere<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        do {
            return try await pool.runIfActive(body)
        } catch {
            return body()
        }
    }

    /// Runs `body` on one of the executor's threads without a task to wait in it: for work a callback
    /// hands on (one that must not block, see ``ConnectionRelease/whenOpen(_:)``). `body` gets true when
    /// it may do its work, false (still called, on some thread) when the executor has been shut down.
    public func submit(_ body: @escaping @Sendable (Bool) -> Void) {
        pool.submit { state in body(state == .active) }
    }

    /// Lets queued jobs finish, then stops the threads. Jobs submitted afterwards throw.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
        try? await lane.shutdownGracefully()
    }
}

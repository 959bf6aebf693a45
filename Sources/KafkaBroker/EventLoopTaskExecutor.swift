import NIOCore

/// A `TaskExecutor` that runs every job of the tasks preferring it on one NIO event loop.
///
/// A connection's reader and response writer, and its Produce requests, prefer their channel's event
/// loop: a frame read on the loop is handled there without waking a cooperative thread, a continuation
/// that the blocking-I/O executor resumes (an append, a flush) is one wake of the loop, and the answer
/// is written to the channel from the loop itself instead of after one more hop.
///
/// Invariant: jobs run in the order they were enqueued, on the loop's thread. A task preferring it must
/// not block: files and fsyncs go to `BlockingIOExecutor`. Default actors it calls run on the loop too
/// (SE-0417), so their work must be as short.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: EventLoop

    init(_ loop: EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

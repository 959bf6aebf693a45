import NIOConcurrencyHelpers

/// The `timeoutMs` of Kafka's topic administration requests (CreateTopics, CreatePartitions,
/// DeleteTopics): the answer goes out by then, REQUEST_TIMED_OUT for what the controller has not
/// finished, while the work itself goes on and completes in the background, as Kafka's controller
/// does. A client that waits for its topics then sees them appear. A `timeoutMs` of 0 or less waits for
/// the work (clients send 0 to mean "do not wait for propagation", which a single image makes moot).
enum AdminDeadline {
    static func answer<R: Sendable>(withinMs timeoutMs: Int32, clock: NodeClock, _ work: @escaping @Sendable () async -> R,
                                    timedOut: @escaping @Sendable () -> R) async -> R {
        let running = Task { await work() }
        guard timeoutMs > 0 else { return await running.value }
        return await withCheckedContinuation { (continuation: CheckedContinuation<R, Never>) in
            let answered = NIOLockedValueBox(false)
            let answer = { @Sendable (value: R) -> Bool in
                let first = answered.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: value) }
                return first
            }
            let timer = Task {
                do { try await clock.sleep(forMs: Int64(timeoutMs)) } catch { return }
                _ = answer(timedOut())
            }
            Task {
                let value = await running.value
                if answer(value) { timer.cancel() }
            }
        }
    }
}

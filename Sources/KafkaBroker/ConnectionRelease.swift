import NIOConcurrencyHelpers

/// The point in a request's handling after which its connection may read the next request (Kafka's
/// channel muting, lifted early): a handler whose remaining work does not depend on the order of later
/// requests says so with `release()` (Produce, once its records are appended: the flush and the wait
/// for the in-sync replicas need not hold the connection). A request that never releases holds the
/// connection until it is answered.
///
/// Invariant: `wait` returns once, after `release()` or `finish()`, whichever comes first; both may be
/// called any number of times from any thread.
final class ConnectionRelease: Sendable {
    private enum State {
        case holding
        case waiting(CheckedContinuation<Void, Never>)
        case released
    }

    private let state = NIOLockedValueBox(State.holding)

    func release() {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            defer { s = .released }
            if case let .waiting(c) = s { return c }
            return nil
        }
        waiter?.resume()
    }

    /// The request was answered (or failed): the connection goes on in any case.
    func finish() { release() }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLockedValue { s -> Bool in
                if case .released = s { return true }
                s = .waiting(c)
                return false
            }
            if now { c.resume() }
        }
    }
}

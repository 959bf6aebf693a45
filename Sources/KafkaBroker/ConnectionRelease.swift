import NIOConcurrencyHelpers

/// A one-way gate in a connection's request order. The server keeps two per request:
/// - its *admission*: the connection may read the next request (Kafka's channel muting, lifted early).
///   Produce opens it once its quota is recorded, so the next request is read, decoded and validated
///   while this one is still being appended;
/// - its *release*: what this request writes is in its logs, so the next request may write after it.
///   Produce opens it once its records are appended (the flush and the wait for the in-sync replicas
///   need not hold the connection); the next Produce waits for it before appending.
///
/// A request that opens neither holds both until it is answered.
///
/// Invariant: the gate opens once, with the first of `release()` (go on) and `stop()` (the connection
/// is closing: what waits must not write); later calls change nothing. `wait` returns that answer
/// to every waiter, before or after the opening. All may be called from any thread.
final class ConnectionRelease: Sendable {
    /// Who waits for the gate: a suspended task, or a callback (``whenOpen(_:)``).
    private enum Waiter {
        case task(CheckedContinuation<Bool, Never>)
        case callback(@Sendable (Bool) -> Void)
    }

    private enum State {
        case holding([Waiter])
        case open(proceed: Bool)
    }

    private let state = NIOLockedValueBox(State.holding([]))

    func release() { open(proceed: true) }

    /// The connection is closing: whoever waits must not go on.
    func stop() { open(proceed: false) }

    /// The request was answered (or failed): the connection goes on in any case, unless stopped before.
    func finish() { release() }

    private func open(proceed: Bool) {
        let waiters = state.withLockedValue { s -> [Waiter] in
            guard case let .holding(waiters) = s else { return [] }
            s = .open(proceed: proceed)
            return waiters
        }
        for waiter in waiters {
            switch waiter {
            case let .task(continuation): continuation.resume(returning: proceed)
            case let .callback(body): body(proceed)
            }
        }
    }

    /// Calls `body` with what `wait` answers, once the gate opens: at once, on the caller's thread, when
    /// it is open already; else on the thread that opens it, as part of `release()` or `stop()`. So
    /// `body` must be short and must not block (hand the work on, e.g. to an executor).
    func whenOpen(_ body: @escaping @Sendable (Bool) -> Void) {
        if let opened = enqueue(.callback(body)) { body(opened) }
    }

    /// Adds `waiter` while the gate holds (nil); once open, adds nothing and returns its answer, which
    /// the caller hands to `waiter` itself.
    private func enqueue(_ waiter: Waiter) -> Bool? {
        state.withLockedValue { s -> Bool? in
            switch s {
            case let .open(proceed):
                return proceed
            case var .holding(waiters):
                waiters.append(waiter)
                s = .holding(waiters)
                return nil
            }
        }
    }

    /// What `wait` would answer now, without waiting: nil while the gate holds.
    var opened: Bool? {
        state.withLockedValue { s in
            if case let .open(proceed) = s { return proceed }
            return nil
        }
    }

    /// What a request whose turn follows `previous` (nil: no request before it) would get from `wait`
    /// now, without waiting: nil while `previous` holds.
    static func decided(after previous: ConnectionRelease?) -> Bool? {
        guard let previous else { return true }
        return previous.opened
    }

    /// Waits until the gate opens; true to go on, false when the connection is closing.
    @discardableResult
    func wait() async -> Bool {
        if let opened { return opened }
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            if let opened = enqueue(.task(c)) { c.resume(returning: opened) }
        }
    }
}

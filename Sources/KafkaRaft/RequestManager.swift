/// Outbound request bookkeeping per destination (Kafka's `RequestManager`): at most one request in flight
/// to each replica, a response is accepted only if it answers that request, a request that got no answer
/// within `requestTimeoutMs` frees the destination, a failed one backs off for `retryBackoffMs`.
///
/// Every state transition resets it, so answers to requests made in an earlier state are ignored.
struct RequestManager: Hashable, Sendable {
    enum Connection: Hashable, Sendable {
        case awaiting(correlationID: Int32, deadline: Int64)
        case backingOff(until: Int64)
    }

    private(set) var connections: [Int32: Connection] = [:]
    private(set) var nextCorrelationID: Int32 = 0

    func isReady(_ destination: Int32, now: Int64) -> Bool {
        switch connections[destination] {
        case nil: true
        case .awaiting(_, let deadline)?: now >= deadline
        case .backingOff(let until)?: now >= until
        }
    }

    func hasTimedOut(_ destination: Int32, now: Int64) -> Bool {
        if case .awaiting(_, let deadline)? = connections[destination] { return now >= deadline }
        return false
    }

    func isBackingOff(_ destination: Int32, now: Int64) -> Bool {
        if case .backingOff(let until)? = connections[destination] { return now < until }
        return false
    }

    var hasAnyInflightRequest: Bool {
        connections.values.contains { if case .awaiting = $0 { true } else { false } }
    }

    func hasInflightRequest(now: Int64) -> Bool {
        connections.values.contains { if case .awaiting(_, let deadline) = $0 { now < deadline } else { false } }
    }

    /// The earliest time after `now` a destination becomes ready again, if any is waiting. (Deadlines
    /// already passed are skipped: one of them must not hide a later one.)
    func nextDeadline(after now: Int64) -> Int64? {
        connections.values.map {
            switch $0 {
            case .awaiting(_, let deadline): deadline
            case .backingOff(let until): until
            }
        }.filter { $0 > now }.min()
    }

    mutating func onRequestSent(to destination: Int32, now: Int64, timeoutMs: Int64) -> Int32 {
        nextCorrelationID &+= 1
        connections[destination] = .awaiting(correlationID: nextCorrelationID, deadline: now + timeoutMs)
        return nextCorrelationID
    }

    func isResponseExpected(from source: Int32, correlationID: Int32) -> Bool {
        if case .awaiting(let expected, _)? = connections[source] { return expected == correlationID }
        return false
    }

    /// A response arrived: success frees the destination, failure backs it off.
    mutating func onResponse(from source: Int32, success: Bool, now: Int64, backoffMs: Int64) {
        connections[source] = success ? nil : .backingOff(until: now + backoffMs)
    }

    mutating func reset(_ destination: Int32) {
        connections[destination] = nil
    }

    mutating func resetAll() {
        connections.removeAll()
    }
}

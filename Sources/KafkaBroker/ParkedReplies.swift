import NIOConcurrencyHelpers

/// JoinGroup and SyncGroup requests that wait for the rest of their group, by group and member.
///
/// Each waiting request is resumed exactly once: by its answer, or, if the same member parks a
/// newer request, with `superseded` (the older request's client has moved on). An answer that
/// arrives before its request has parked is kept and handed over when it parks.
final class ParkedReplies<Response: Sendable>: Sendable {
    private struct Key: Hashable {
        var group: String
        var member: String
    }

    private struct State {
        var waiting: [Key: CheckedContinuation<Response, Never>] = [:]
        var early: [Key: Response] = [:]
    }

    private let state = NIOLockedValueBox(State())

    func wait(group: String, member: String, superseded: Response) async -> Response {
        let key = Key(group: group, member: member)
        return await withCheckedContinuation { (c: CheckedContinuation<Response, Never>) in
            let (ready, replaced) = state.withLockedValue { s -> (Response?, CheckedContinuation<Response, Never>?) in
                if let answer = s.early.removeValue(forKey: key) { return (answer, nil) }
                let old = s.waiting.updateValue(c, forKey: key)
                return (nil, old)
            }
            replaced?.resume(returning: superseded)
            if let ready { c.resume(returning: ready) }
        }
    }

    func deliver(group: String, member: String, _ response: Response) {
        let key = Key(group: group, member: member)
        let waiter = state.withLockedValue { s -> CheckedContinuation<Response, Never>? in
            if let c = s.waiting.removeValue(forKey: key) { return c }
            s.early[key] = response
            return nil
        }
        waiter?.resume(returning: response)
    }

    /// Forgets an answer kept for a request that will not park after all (its own reply failed first).
    func discard(group: String, member: String) {
        _ = state.withLockedValue { $0.early.removeValue(forKey: Key(group: group, member: member)) }
    }

    /// Answers every waiting request (shutdown).
    func drain(with response: Response) {
        let all = state.withLockedValue { s -> [CheckedContinuation<Response, Never>] in
            defer { s.waiting = [:]; s.early = [:] }
            return Array(s.waiting.values)
        }
        for c in all { c.resume(returning: response) }
    }
}

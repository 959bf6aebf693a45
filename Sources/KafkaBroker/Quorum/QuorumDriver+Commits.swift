import KafkaProtocol
import KafkaRaft
import NIOConcurrencyHelpers

/// Client appends at the leader and the hand-over of committed entries, timed for Kafka's commit
/// latency (`CommitLatency`).
///
/// Invariant: committed entries reach `onCommit` in offset order, each exactly once, before any
/// append waiting on them is answered; an append is answered as committed only if the entry at its
/// last offset still has the epoch it was appended in (else it was truncated away).
extension QuorumDriver {
    /// Appends records at the leader and waits until they commit; returns the last entry's offset.
    /// Throws NOT_CONTROLLER when this replica does not lead, or loses leadership before the commit.
    func append(_ payloads: [[UInt8]]) async throws -> Int64 {
        guard !stopped, status.isLeader else { throw AppendFailure(code: .notController, description: "this node is not the active controller") }
        let now = clock.nowMs()
        let actions = core.handle(.append(payloads), now: now)
        var accepted: OffsetAndEpoch?
        var rejected: RaftErrorCode?
        for case let a in actions {
            if case .appendAccepted(let last) = a { accepted = last }
            if case .appendRejected(let code) = a { rejected = code }
        }
        if let rejected {
            perform(actions)
            throw AppendFailure(code: .notController, description: "the quorum refused the append: \(rejected)")
        }
        guard let accepted else {
            perform(actions)
            throw AppendFailure(code: .notController, description: "the quorum accepted nothing")
        }
        // Tracked before the actions run: on a lone voter the flush among them commits the batch.
        commitLatency.withLockedValue { $0.appended(last: accepted, records: payloads.count, at: now) }
        return try await withCheckedThrowingContinuation { continuation in
            appendWaiters.append((accepted.offset, accepted.epoch, continuation))
            perform(actions)
        }
    }

    func commit(upTo hw: Int64) {
        let now = clock.nowMs()
        commitLatency.withLockedValue { $0.committed(highWatermark: hw, at: now) }
        disk.updateHighWatermark(hw)
        if hw > appliedOffset {
            let entries = core.log.entries(from: appliedOffset, maxCount: Int(hw - appliedOffset))
            let first = appliedOffset
            appliedOffset += Int64(entries.count)
            onCommit(first, entries, hw)
            snapshots.committed(payloadBytes: entries.reduce(0) { $0 + Int64($1.payload.count) })
            maybeSnapshot()
        } else {
            onCommit(appliedOffset, [], hw)
        }
        var still: [(Int64, Int32, CheckedContinuation<Int64, Error>)] = []
        for w in appendWaiters {
            if w.lastOffset < appliedOffset {
                // Committed only if the entry at that offset is still the one appended (same epoch).
                if core.log.epoch(at: w.lastOffset) == w.epoch {
                    w.continuation.resume(returning: w.lastOffset)
                } else {
                    w.continuation.resume(throwing: AppendFailure(code: .notController, description: "the append was truncated"))
                }
            } else {
                still.append(w)
            }
        }
        appendWaiters = still
    }

    /// Kafka's `commit-latency-avg` and `commit-latency-max` (milliseconds per record) over the last 30
    /// to 60 seconds of this node's leadership; nil when it committed no append of its own in that time.
    public nonisolated func commitLatencyMs() -> (avg: Double, max: Double)? {
        let now = clock.nowMs()
        return commitLatency.withLockedValue { $0.measure(now: now) }
    }

    func failAppends(code: ErrorCode, _ why: String) {
        let waiters = appendWaiters
        appendWaiters.removeAll()
        for w in waiters { w.continuation.resume(throwing: AppendFailure(code: code, description: why)) }
    }
}

import KafkaLog

/// Group commit: the leader's syncs of one partition's log for acks=all appends.
///
/// Invariant: at most one `fdatasync` of the partition's log runs for producers at a time. An append
/// that needs its records durable (``Partition/LeaderAppend/flushThrough``) waits for the sync in
/// flight when there is one; when that sync did not cover it, the first waiter to see it finish starts
/// the next, which covers everything appended meanwhile, so every request that arrived during one sync
/// shares the next. Reading, validating and appending a connection's next requests goes on while a sync
/// runs (KafkaServer's pipelining), which is what lets the syncs grow with the load instead of
/// every request paying one of its own.
///
/// A sync's outcome is recorded as before: offsets below its end become durable (the recovery point)
/// and count toward the leader's own log end offset for the high watermark; a failed sync takes the log
/// offline, and every waiter then fails on the offline log. A sync that never ran (the executor
/// stopped) lets the next waiter try.
extension Partition {
    /// State of the group commit, under the partition's lock.
    struct GroupCommit {
        var syncing = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// Syncs started by ``Partition/makeDurable(through:io:clock:)`` since the partition opened.
        var syncsStarted = 0
    }

    private enum CommitStep {
        case durable
        case wait
        case sync(PendingFlush)
    }

    /// Returns once every offset below `end` is durable on this node (or the log no longer reaches
    /// `end`: a truncation after a leadership change; the acks=all wait then finds the leadership gone).
    /// Throws the sync's `LogError` (the log is offline) or the executor's error (the sync never ran).
    func makeDurable(through end: Int64, io: BlockingIOExecutor, clock: NodeClock) async throws {
        while true {
            let step = try lock.withLock { () throws(LogError) -> CommitStep in
                if log.recoveryPoint >= end || log.logEndOffset < end { return .durable }
                if groupCommit.syncing { return .wait }
                guard let pending = try log.prepareFlush() else { return .durable }
                groupCommit.syncing = true
                groupCommit.syncsStarted += 1
                return .sync(pending)
            }
            switch step {
            case .durable:
                return
            case .wait:
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let parked = lock.withLock { () -> Bool in
                        guard groupCommit.syncing else { return false }
                        groupCommit.waiters.append(waiter)
                        return true
                    }
                    if !parked { waiter.resume() }
                }
            case let .sync(pending):
                let outcome: Result<Void, any Error>
                do {
                    try await io.run { () throws in try self.completeSync(pending, now: clock.nowMs()) }
                    outcome = .success(())
                } catch {
                    outcome = .failure(error)
                }
                let waiters = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
                    groupCommit.syncing = false
                    defer { groupCommit.waiters = [] }
                    return groupCommit.waiters
                }
                for waiter in waiters { waiter.resume() }
                try outcome.get()
            }
        }
    }

    /// Syncs `pending` (blocking, without the lock), then records it and lets the high watermark cover
    /// what it made durable. A failed sync takes the log offline (``KafkaLog/PartitionLog/failFlush(_:)``)
    /// and is rethrown.
    private func completeSync(_ pending: PendingFlush, now: @autoclosure () -> Int64) throws(LogError) {
        do {
            try pending.perform()
        } catch {
            lock.withLock { log.failFlush(error) }
            throw error
        }
        let now = now()
        let effects = lock.withLock { () -> [LeaderEffect] in
            log.completeFlush(pending, now: now)
            return advanceLeaderEnd(pending.end, now: now)
        }
        perform(effects)
    }

    /// The blocking form for callers already on the blocking-I/O executor (the group coordinator's
    /// appends, whose ordering needs the sync before the next write): syncs whatever is not durable yet,
    /// beside any group commit in flight (two syncs of one log are safe, see `PendingFlush`).
    func flushNow(through end: Int64, now: Int64) throws(LogError) {
        // (NIOLock.withLock rethrows untyped errors; this keeps LogError for the caller.)
        lock.lock()
        let pending: PendingFlush?
        do throws(LogError) {
            pending = log.recoveryPoint >= end ? nil : try log.prepareFlush()
        } catch {
            lock.unlock()
            throw error
        }
        lock.unlock()
        if let pending { try completeSync(pending, now: now) }
    }
}

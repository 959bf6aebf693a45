extension TransactionCoordinator {
    /// When `tick` next has work: a retry, or the next scan for timed-out transactions or expired ids.
    /// The shell calls `tick(now:)` at or after it (and may call it earlier: it then does only what is due).
    public var nextDeadline: Int64 {
        min(nextTimeoutScan, nextExpiryScan, retryAt.values.min() ?? .max)
    }

    /// Everything due at `now`: retries of markers and completions, aborts of transactions past
    /// their timeout (every `abortTimedOutTransactionsIntervalMs`, as Kafka scans), and removal of ids
    /// idle longer than `transactionalIDExpirationMs`.
    public mutating func tick(now: Int64) -> [TransactionAction] {
        var actions: [TransactionAction] = []
        for (id, at) in retryAt.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) where at <= now {
            retryAt[id] = nil
            actions += retry(id, now: now)
        }
        if now >= nextTimeoutScan {
            nextTimeoutScan = now + config.abortTimedOutTransactionsIntervalMs
            actions += abortTimedOutTransactions(now: now)
        }
        if now >= nextExpiryScan {
            nextExpiryScan = now + config.removeExpiredTransactionalIDsIntervalMs
            actions += expireTransactionalIDs(now: now)
        }
        return actions
    }

    mutating func retry(_ transactionalID: String, now: Int64) -> [TransactionAction] {
        if let flight = inFlight[transactionalID] {
            return flight.phase == .markers ? sendMarkersOrComplete(transactionalID) : []
        }
        // A completion whose append failed: the markers are written, write the completion again.
        guard let m = transactions[transactionalID], m.pending == nil, m.state == .prepareCommit || m.state == .prepareAbort,
              case let .success(epoch) = coordinatorEpoch(for: transactionalID) else { return [] }
        return startMarkers(transactionalID, coordinatorEpoch: epoch, now: now)
    }

    /// Kafka's `abortTimedOutTransactions`: an Ongoing transaction older than its timeout is aborted
    /// with a bumped epoch, which fences its producer (it gets PRODUCER_FENCED or
    /// INVALID_PRODUCER_EPOCH next, and must InitProducerId again).
    mutating func abortTimedOutTransactions(now: Int64) -> [TransactionAction] {
        var actions: [TransactionAction] = []
        for id in transactions.keys.sorted() {
            guard let m = transactions[id], m.state == .ongoing, m.pending == nil,
                  m.startTimestamp + Int64(m.timeoutMs) < now,
                  case let .success(epoch) = coordinatorEpoch(for: id) else { continue }
            actions += begin(m.prepareEnd(.abort, epoch: m.fencedEpoch, now: now), of: id, coordinatorEpoch: epoch,
                             waiter: .none)
        }
        return actions
    }

    /// Kafka's `removeExpiredTransactionalIds`: ids with no open transaction and no update for
    /// `transactionalIDExpirationMs` are written as tombstones and forgotten.
    mutating func expireTransactionalIDs(now: Int64) -> [TransactionAction] {
        var actions: [TransactionAction] = []
        for id in transactions.keys.sorted() {
            guard let m = transactions[id], m.pending == nil, [.empty, .completeCommit, .completeAbort].contains(m.state),
                  m.lastUpdateTimestamp + config.transactionalIDExpirationMs <= now,
                  case let .success(epoch) = coordinatorEpoch(for: id) else { continue }
            actions += begin(m.expire(now: now), of: id, coordinatorEpoch: epoch, waiter: .none)
        }
        return actions
    }
}

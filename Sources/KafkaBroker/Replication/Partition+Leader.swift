import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaReplication

/// What a partition asks of the node after a change to its leader state, done without the partition's lock.
enum LeaderEffect: Sendable, Equatable {
    /// The high watermark rose: wake waiting fetches (acks=all waiters are woken by the partition).
    case highWatermarkAdvanced(Int64)
    /// Send this ISR change to the controller.
    case propose(AlterPartitionProposal)
}

/// Where a partition's leader effects go: the replica manager's fetch notifier and AlterPartition sender.
struct ReplicationHooks: Sendable {
    var highWatermarkAdvanced: @Sendable (TopicPartition) -> Void = { _ in }
    var propose: @Sendable (Partition, AlterPartitionProposal) -> Void = { _, _ in }
}

extension Partition {
    /// Whether this node leads the partition now (it has leader state).
    var isLeader: Bool { lock.withLock { leaderState != nil } }

    /// The leader epoch this node leads the partition under; nil when it does not lead.
    var leaderEpochIfLeading: Int32? { lock.withLock { leaderState != nil ? _leaderEpoch : nil } }

    /// Runs `body` on the log under the partition's lock, but only while this node leads under
    /// `leaderEpoch` (nil otherwise), so what it reads belongs to that leadership.
    func withLogIfLeading<T>(leaderEpoch: Int32, _ body: (PartitionLog) throws -> T) rethrows -> T? {
        try lock.withLock {
            guard leaderState != nil, _leaderEpoch == leaderEpoch else { return nil }
            return try body(log)
        }
    }

    /// The follower a consumer in `clientRack` fetching at `fetchOffset` should read from instead of this
    /// leader (KIP-392, ``KafkaReplication/PartitionLeaderState/preferredReadReplica(clientRack:fetchOffset:racks:now:)``);
    /// nil when it should read here, and always when this node does not lead.
    func preferredReadReplica(clientRack: String, fetchOffset: Int64, racks: [Int32: String], now: Int64) -> Int32? {
        lock.withLock { leaderState?.preferredReadReplica(clientRack: clientRack, fetchOffset: fetchOffset, racks: racks, now: now) }
    }

    /// A copy of the leader state, for reports and tests.
    var leaderStateSnapshot: PartitionLeaderState? { lock.withLock { leaderState } }

    /// The partition's registration as the replication state machine reads it.
    static func leaderAndIsr(_ registration: PartitionRegistration) -> LeaderAndIsr {
        LeaderAndIsr(leader: registration.leader, leaderEpoch: registration.leaderEpoch, partitionEpoch: registration.partitionEpoch,
                     isr: registration.isr, replicas: registration.replicas)
    }

    /// Leads the partition under `registration` (Kafka's `makeLeader`), or applies a newer registration
    /// to the leadership it has (ISR, partition epoch, a new leader epoch): a new leadership records its
    /// epoch's start offset in the leader epoch cache, and acks=all waiters of an older one are released.
    func makeLeader(_ registration: PartitionRegistration, localBrokerEpoch: Int64, brokerStatus: [Int32: FollowerBrokerStatus],
                    replicaLagTimeMaxMs: Int64, now: Int64) {
        let (effects, hw) = lock.withLock { () -> ([LeaderEffect], Int64) in
            _leaderEpoch = registration.leaderEpoch
            let target = Self.leaderAndIsr(registration)
            var actions: [PartitionLeaderAction]
            if var state = leaderState {
                for (id, status) in brokerStatus { state.brokerStatusChanged(replicaId: id, to: status) }
                state.minInsyncReplicas = _settings.minInsyncReplicas
                actions = state.applyRegistration(target, now: now)
                // Replicas new to the set (a reassignment adds them) learn their brokers' status too:
                // without it they would never be eligible for the ISR.
                for (id, status) in brokerStatus { state.brokerStatusChanged(replicaId: id, to: status) }
                leaderState = state
            } else {
                try? log.assignEpochStartOffset(epoch: registration.leaderEpoch, startOffset: log.logEndOffset)
                let state = PartitionLeaderState(
                    localBrokerId: registration.leader, localBrokerEpoch: localBrokerEpoch, registration: target,
                    logEndOffset: log.logEndOffset, highWatermark: log.highWatermark, now: now,
                    minInsyncReplicas: _settings.minInsyncReplicas, replicaLagTimeMaxMs: replicaLagTimeMaxMs, brokerStatus: brokerStatus)
                leaderState = state
                actions = [.highWatermarkAdvanced(to: state.highWatermark)]
            }
            return (apply(actions, now: now), log.highWatermark)
        }
        highWatermarkWaiters.leadershipChanged(to: registration.leaderEpoch, highWatermark: hw)
        perform(effects)
    }

    /// Follows the partition (Kafka's `makeFollower`): the leader state goes, and acks=all waiters with it.
    func makeFollower(_ registration: PartitionRegistration) {
        let hw = lock.withLock { () -> Int64 in
            _leaderEpoch = registration.leaderEpoch
            leaderState = nil
            return log.highWatermark
        }
        highWatermarkWaiters.leadershipChanged(to: nil, highWatermark: hw)
    }

    /// A follower fetched at `fetchOffset` (the read found no divergence): its progress may move the
    /// high watermark or add it to the ISR. Ignored when this node does not lead.
    func recordFollowerFetch(replicaID: Int32, brokerEpoch: Int64, fetchOffset: Int64, logStartOffset: Int64,
                             leaderLogEndOffset: Int64, now: Int64, brokerStatus: FollowerBrokerStatus? = nil) {
        let effects = lock.withLock { () -> [LeaderEffect] in
            guard var state = leaderState else { return [] }
            let status = brokerStatus ?? state.followers[replicaID]?.brokerStatus ?? FollowerBrokerStatus(aliveBrokerEpoch: nil)
            let fetch = FollowerFetch(replicaId: replicaID, brokerEpoch: brokerEpoch, fetchOffset: fetchOffset,
                                      logStartOffset: max(0, logStartOffset), leaderLogEndOffset: leaderLogEndOffset, brokerStatus: status)
            guard let actions = try? state.followerFetched(fetch, now: now) else { return [] }
            leaderState = state
            return apply(actions, now: now)
        }
        perform(effects)
    }

    /// What the metadata now says about the followers' brokers (fenced, shutting down, their epochs) and
    /// this node's own broker epoch.
    func brokerStatusChanged(_ statuses: [Int32: FollowerBrokerStatus], localBrokerEpoch: Int64, now: Int64) {
        let effects = lock.withLock { () -> [LeaderEffect] in
            guard var state = leaderState else { return [] }
            if state.localBrokerEpoch != localBrokerEpoch { state.localBrokerEpochChanged(to: localBrokerEpoch) }
            let actions = state.brokerStatusesChanged(statuses, now: now)
            leaderState = state
            return apply(actions, now: now)
        }
        perform(effects)
    }

    /// Remembers `registration` as the one this node last acted on; false when it is the same as before
    /// (nothing to do).
    func recordRegistration(_ registration: PartitionRegistration) -> Bool {
        lock.withLock {
            if appliedRegistration == registration { return false }
            appliedRegistration = registration
            return true
        }
    }

    /// The periodic ISR check (Kafka's `maybeShrinkIsr`): followers that fell behind for longer than
    /// `replica.lag.time.max.ms` are proposed for removal.
    func maybeShrinkIsr(now: Int64) {
        let effects = lock.withLock { () -> [LeaderEffect] in
            guard var state = leaderState else { return [] }
            let actions = state.maybeShrinkIsr(now: now)
            leaderState = state
            return apply(actions, now: now)
        }
        perform(effects)
    }

    /// The controller's answer to an ISR change this partition proposed.
    func alterPartitionAnswered(_ proposal: AlterPartitionProposal, result: Result<LeaderAndIsr, ReplicationError>, now: Int64) {
        let effects = lock.withLock { () -> [LeaderEffect] in
            guard var state = leaderState else { return [] }
            let actions = state.alterPartitionAnswered(proposal, result: result, now: now)
            leaderState = state
            return apply(actions, now: now)
        }
        perform(effects)
    }

    /// The leader's durable enough end moved to `end` (an append that needs no flush, or a completed
    /// flush): the high watermark may follow. Without leader state nothing moves: a follower learns
    /// its high watermark from the leader, and the metadata log from the quorum's commits. (An acks=all
    /// flush that completes after ``makeFollower(_:)`` must not expose records the new leader may
    /// truncate.) Caller holds the lock.
    func advanceLeaderEnd(_ end: Int64, now: Int64) -> [LeaderEffect] {
        guard var state = leaderState else { return [] }
        guard end > state.logEndOffset else { return [] }
        let actions = state.leaderAppended(logEndOffset: end, now: now)
        leaderState = state
        return apply(actions, now: now)
    }

    /// Applies the log's part of `actions` (the high watermark, the epoch cache). Caller holds the lock.
    private func apply(_ actions: [PartitionLeaderAction], now: Int64) -> [LeaderEffect] {
        var effects: [LeaderEffect] = []
        for action in actions {
            switch action {
            case let .highWatermarkAdvanced(hw):
                let before = log.highWatermark
                maybeIncrementHighWatermark(hw, in: log)
                if log.highWatermark > before { effects.append(.highWatermarkAdvanced(log.highWatermark)) }
            case let .sendAlterPartition(proposal):
                effects.append(.propose(proposal))
            case let .leaderEpochStarted(epoch, start):
                try? log.assignEpochStartOffset(epoch: epoch, startOffset: start)
            case .resigned:
                // The replica manager applies the registration that says so with makeFollower.
                break
            }
        }
        return effects
    }

    /// Carries out `effects` outside the lock.
    func perform(_ effects: [LeaderEffect]) {
        for effect in effects {
            switch effect {
            case let .highWatermarkAdvanced(hw):
                highWatermarkWaiters.advance(to: hw)
                hooks.highWatermarkAdvanced(topicPartition)
            case let .propose(proposal):
                hooks.propose(self, proposal)
            }
        }
    }

    /// Waits until the high watermark reaches `offset` while this node leads under `leaderEpoch`, at most
    /// `timeoutMs` on `clock`: the group coordinator's wait for its records to be in the ISR. Unlike
    /// ``waitForAcksAll(requiredOffset:leaderEpoch:timeoutMs:clock:)`` it does not look at
    /// `min.insync.replicas`, as Kafka's coordinator runtime, which appends with acks=1 and then waits for
    /// the high watermark, does not.
    /// Answers at once, without a timer, when the high watermark already covers `offset` (every reply of
    /// a lone replica, and most replies of a coordinator whose writes are replicated).
    func waitForHighWatermark(_ offset: Int64, leaderEpoch: Int32, timeoutMs: Int64, clock: NodeClock) async -> HighWatermarkWaiters.Outcome {
        let reached = lock.withLock { leaderState != nil && _leaderEpoch == leaderEpoch && log.highWatermark >= offset }
        if reached { return .reached }
        return await highWatermarkWaiters.wait(untilOffset: offset, leaderEpoch: leaderEpoch, timeoutMs: timeoutMs, clock: clock)
    }

    /// Waits until an acks=all append ending before `requiredOffset` is in every ISR member's log (the
    /// high watermark reached it), answering nil for success, or the error the producer gets:
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND (committed, but the ISR is below min.insync.replicas),
    /// NOT_LEADER_OR_FOLLOWER (the leadership ended first), REQUEST_TIMED_OUT.
    func waitForAcksAll(requiredOffset: Int64, leaderEpoch: Int32, timeoutMs: Int64, clock: NodeClock) async -> ErrorCode? {
        let outcome = await highWatermarkWaiters.wait(untilOffset: requiredOffset, leaderEpoch: leaderEpoch, timeoutMs: timeoutMs, clock: clock)
        switch outcome {
        case .reached:
            let result = lock.withLock { leaderState?.acksAllOutcome(requiredOffset: requiredOffset, minInsyncReplicas: _settings.minInsyncReplicas) }
            switch result {
            case .done?, nil: return nil
            case .notEnoughReplicasAfterAppend?: return .notEnoughReplicasAfterAppend
            case .notYet?: return nil
            }
        case .leadershipChanged: return .notLeaderOrFollower
        case .timedOut: return .requestTimedOut
        }
    }
}

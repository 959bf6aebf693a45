@testable import KafkaReplication

/// A leader (broker 1) of replicas [1, 2, 3] with brokers 2 and 3 alive at broker epochs 102 and 103.
func makeLeader(isr: [Int32] = [1, 2, 3], logEndOffset: Int64 = 10, highWatermark: Int64 = 0, now: Int64 = 0,
                minInsyncReplicas: Int = 2, leaderEpoch: Int32 = 5, partitionEpoch: Int32 = 7) -> PartitionLeaderState {
    PartitionLeaderState(
        localBrokerId: 1, localBrokerEpoch: 101,
        registration: LeaderAndIsr(leader: 1, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch, isr: isr, replicas: [1, 2, 3]),
        logEndOffset: logEndOffset, highWatermark: highWatermark, now: now, minInsyncReplicas: minInsyncReplicas,
        replicaLagTimeMaxMs: 30_000, brokerStatus: [2: .alive(brokerEpoch: 102), 3: .alive(brokerEpoch: 103)])
}

extension PartitionLeaderState {
    /// A fetch by `replica` at `offset` with its live broker epoch, served while the leader's log ended at
    /// `leaderLogEndOffset` (default: now).
    mutating func fetch(_ replica: Int32, at offset: Int64, now: Int64, leaderLogEndOffset: Int64? = nil,
                        status: FollowerBrokerStatus? = nil) throws -> [PartitionLeaderAction] {
        let epoch = Int64(100 + replica)
        return try followerFetched(
            FollowerFetch(replicaId: replica, brokerEpoch: epoch, fetchOffset: offset,
                          leaderLogEndOffset: leaderLogEndOffset ?? logEndOffset,
                          brokerStatus: status ?? .alive(brokerEpoch: epoch)),
            now: now)
    }
}

extension [PartitionLeaderAction] {
    var proposals: [AlterPartitionProposal] {
        compactMap { if case .sendAlterPartition(let p) = $0 { p } else { nil } }
    }

    var highWatermarks: [Int64] {
        compactMap { if case .highWatermarkAdvanced(let hw) = $0 { hw } else { nil } }
    }
}

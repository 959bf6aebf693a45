import KafkaReplication

/// The controller decisions the simulation needs for its one partition, behind a small interface so the
/// real KafkaController can replace the model: broker registration and fencing, leader election from the
/// ISR, and AlterPartition validation.
protocol ReplicationControllerModel {
    /// The partition's current registration (leader -1: none).
    var registration: LeaderAndIsr { get }
    /// What the metadata image says of a broker.
    func brokerStatus(_ brokerId: Int32) -> FollowerBrokerStatus
    /// A broker (re)registered with a new broker epoch; it starts fenced. After an unclean shutdown (its log
    /// may have lost records it acknowledged) it leaves the ISR even as its last member. Returns whether the
    /// image changed.
    mutating func registerBroker(_ brokerId: Int32, brokerEpoch: Int64, cleanShutdown: Bool) -> Bool
    /// A registered broker caught up and may be unfenced.
    mutating func unfenceBroker(_ brokerId: Int32) -> Bool
    /// A broker's session expired.
    mutating func fenceBroker(_ brokerId: Int32) -> Bool
    /// An AlterPartition from the leader (the image changed if it succeeded with a new partition epoch).
    mutating func alterPartition(_ proposal: AlterPartitionProposal) -> Result<LeaderAndIsr, ReplicationError>
}

/// A model of KRaft's `ReplicationControlManager` for one partition with a fixed replica set.
///
/// Invariants: the leader is always an unfenced ISR member or -1; the leader epoch rises exactly when
/// the leader changes; the partition epoch rises with every change; the ISR empties only when its last
/// member comes back from an unclean shutdown (then the partition stays offline: no unclean election).
struct ModeledController: ReplicationControllerModel {
    private(set) var registration: LeaderAndIsr
    private var brokers: [Int32: FollowerBrokerStatus] = [:]

    init(replicas: [Int32]) {
        registration = LeaderAndIsr(leader: -1, leaderEpoch: 0, partitionEpoch: 0, isr: replicas, replicas: replicas)
        for id in replicas { brokers[id] = FollowerBrokerStatus(aliveBrokerEpoch: nil, isFenced: true) }
    }

    func brokerStatus(_ brokerId: Int32) -> FollowerBrokerStatus {
        brokers[brokerId] ?? FollowerBrokerStatus(aliveBrokerEpoch: nil, isFenced: true)
    }

    private func isUsable(_ id: Int32) -> Bool {
        let status = brokerStatus(id)
        return status.aliveBrokerEpoch != nil && !status.isFenced && !status.isShuttingDown
    }

    mutating func registerBroker(_ brokerId: Int32, brokerEpoch: Int64, cleanShutdown: Bool) -> Bool {
        brokers[brokerId] = FollowerBrokerStatus(aliveBrokerEpoch: brokerEpoch, isFenced: true)
        removeFromIsr(brokerId, evenIfLast: !cleanShutdown)
        return true
    }

    mutating func unfenceBroker(_ brokerId: Int32) -> Bool {
        guard var status = brokers[brokerId], status.isFenced, status.aliveBrokerEpoch != nil else { return false }
        status.isFenced = false
        brokers[brokerId] = status
        if registration.leader == -1 { electLeader() }
        return true
    }

    mutating func fenceBroker(_ brokerId: Int32) -> Bool {
        guard var status = brokers[brokerId], !status.isFenced else { return false }
        status.isFenced = true
        brokers[brokerId] = status
        removeFromIsr(brokerId)
        return true
    }

    /// A fenced broker leaves the ISR (unless it is the last member and shut down cleanly: Kafka keeps the
    /// last member; KIP-966 removes one whose unclean shutdown may have lost records) and loses the leadership.
    private mutating func removeFromIsr(_ brokerId: Int32, evenIfLast: Bool = false) {
        var next = registration
        if next.isr.count > 1 || evenIfLast { next.isr.removeAll { $0 == brokerId } }
        if next.leader == brokerId { next.leader = -1 }
        if next != registration {
            next.partitionEpoch += 1
            if next.leader != registration.leader { next.leaderEpoch += 1 }
            registration = next
        }
        if registration.leader == -1 { electLeader() }
    }

    /// Clean election: the first usable ISR member in assignment order.
    private mutating func electLeader() {
        guard let leader = registration.replicas.first(where: { registration.isr.contains($0) && isUsable($0) }),
              leader != registration.leader else { return }
        registration.leader = leader
        registration.leaderEpoch += 1
        registration.partitionEpoch += 1
    }

    mutating func alterPartition(_ proposal: AlterPartitionProposal) -> Result<LeaderAndIsr, ReplicationError> {
        if proposal.leader != registration.leader { return .failure(.invalidRequest) }
        if proposal.leaderEpoch < registration.leaderEpoch { return .failure(.fencedLeaderEpoch) }
        if proposal.leaderEpoch > registration.leaderEpoch { return .failure(.other(code: 41)) }
        if proposal.partitionEpoch != registration.partitionEpoch { return .failure(.invalidUpdateVersion) }
        if proposal.newIsr.contains(where: { !registration.replicas.contains($0) }) || !proposal.newIsr.contains(proposal.leader) {
            return .failure(.invalidRequest)
        }
        let current = Set(registration.isr)
        for member in proposal.newIsrWithEpochs {
            let status = brokerStatus(member.brokerId)
            guard isUsable(member.brokerId), member.brokerEpoch == -1 || member.brokerEpoch == status.aliveBrokerEpoch else {
                return .failure(.ineligibleReplica)
            }
        }
        if Set(proposal.newIsr) == current { return .success(registration) }
        registration.isr = proposal.newIsr
        registration.partitionEpoch += 1
        return .success(registration)
    }
}

import KafkaReplication

/// The controller decisions the simulation needs for its one partition, behind a small interface so the
/// real KafkaController can replace the model (`KafkaControllerModel`): broker registration and fencing,
/// leader election from the ISR (and, for the real one, KIP-966's eligible leader replicas), and
/// AlterPartition validation.
protocol ReplicationControllerModel {
    /// The partition's current registration (leader -1: none).
    var registration: LeaderAndIsr { get }
    /// KIP-966's eligible leader replicas: replicas out of the ISR that hold every committed record.
    var eligibleLeaderReplicas: [Int32] { get }
    /// Whether the current leader came in by an unclean election (leader recovery state RECOVERING): for the
    /// real controller, KIP-966's last known leader when the ISR and the ELR are empty.
    var electedUncleanly: Bool { get }
    /// Whether no leader can ever be elected again without an unclean election the simulation does not make.
    var isOfflineForGood: Bool { get }
    /// What the metadata image says of a broker.
    func brokerStatus(_ brokerId: Int32) -> FollowerBrokerStatus
    /// A broker incarnation registers (again, when its answer was lost) and gets its broker epoch; a new
    /// incarnation starts fenced and replaces the previous one, which leaves the leadership and the ISR
    /// (unless it is the last member: what happens then after an unclean shutdown is the controller's rule).
    mutating func registerBroker(_ brokerId: Int32, incarnation: Int, cleanShutdown: Bool) -> Int64
    /// A registered broker caught up and may be unfenced. Returns whether the image changed.
    mutating func unfenceBroker(_ brokerId: Int32) -> Bool
    /// A broker's session expired. Returns whether the image changed.
    mutating func fenceBroker(_ brokerId: Int32) -> Bool
    /// An AlterPartition from the leader, sent with its broker epoch (the image changed if it succeeded
    /// with a new partition epoch).
    mutating func alterPartition(_ proposal: AlterPartitionProposal, brokerEpoch: Int64) -> Result<LeaderAndIsr, ReplicationError>
}

/// A model of KRaft's `ReplicationControlManager` for one partition with a fixed replica set.
///
/// Invariants: the leader is always an unfenced ISR member or -1; the leader epoch rises exactly when
/// the leader changes; the partition epoch rises with every change; the ISR empties only when its last
/// member comes back from an unclean shutdown (KIP-966's rule, which Kafka 3.9 does not have; then the
/// partition stays offline: no unclean election). Every registration gets a new broker epoch and counts
/// as a new incarnation, the brokers' first ones too (Kafka leaves the ISR alone for those: the real
/// controller starts with every replica in sync, this model with one).
struct ModeledController: ReplicationControllerModel {
    private(set) var registration: LeaderAndIsr
    let eligibleLeaderReplicas: [Int32] = []
    let electedUncleanly = false
    var isOfflineForGood: Bool { registration.isr.isEmpty }
    private var brokers: [Int32: FollowerBrokerStatus] = [:]
    private var lastBrokerEpoch: Int64 = 100

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

    mutating func registerBroker(_ brokerId: Int32, incarnation: Int, cleanShutdown: Bool) -> Int64 {
        lastBrokerEpoch += 1
        brokers[brokerId] = FollowerBrokerStatus(aliveBrokerEpoch: lastBrokerEpoch, isFenced: true)
        removeFromIsr(brokerId, evenIfLast: !cleanShutdown)
        return lastBrokerEpoch
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

    mutating func alterPartition(_ proposal: AlterPartitionProposal, brokerEpoch: Int64) -> Result<LeaderAndIsr, ReplicationError> {
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

import KafkaRaft

/// The KIP-853 membership changes the simulation drives. Observer 100 is the replica that joins.
enum Reconfiguration {
    /// Add observer 100 as a fourth voter.
    case addObserver
    /// Remove voter 3 (whatever role it has then).
    case removeVoter
    /// Remove whichever replica leads when the first request goes out.
    case removeLeader
    /// Replace voter 3 by observer 100: remove, then add.
    case replace
}

/// Drives one `Reconfiguration` to its goal: each step sends the next AddRaftVoter or RemoveRaftVoter to
/// every replica that believes it leads, computed from that leader's voter set. Errors (REQUEST_TIMED_OUT
/// while a change is pending, NOT_LEADER_OR_FOLLOWER...) are expected under faults; the next step retries.
struct ReconfigurationPlan {
    static let joiner: Int32 = 100
    let kind: Reconfiguration
    /// The voter ids wanted; set at the first step for `removeLeader`.
    private(set) var goal: Set<Int32>?

    init(_ kind: Reconfiguration) {
        self.kind = kind
    }

    func isDone(_ cluster: SimCluster) -> Bool {
        guard let goal else { return false }
        return cluster.voters.ids == goal
    }

    mutating func step(_ cluster: inout SimCluster) {
        let leaders = cluster.nodeIDs.filter { cluster.nodes[$0]?.core?.state.isLeader == true }
        if goal == nil {
            let start = cluster.staticVoters.ids
            switch kind {
            case .addObserver: goal = start.union([Self.joiner])
            case .removeVoter: goal = start.subtracting([3])
            case .removeLeader:
                guard let leader = leaders.first else { return }
                goal = start.subtracting([leader])
            case .replace: goal = start.subtracting([3]).union([Self.joiner])
            }
        }
        guard let goal else { return }
        for leader in leaders {
            guard let voters = cluster.nodes[leader]?.core?.voters else { continue }
            if let extra = voters.ids.subtracting(goal).min() {
                cluster.adminRequest(.removeRaftVoterRequest(RemoveRaftVoterRequest(
                    clusterID: "sim", voterID: extra, voterDirectoryID: .zero)), to: leader)
            } else if let missing = goal.subtracting(voters.ids).min() {
                cluster.adminRequest(.addRaftVoterRequest(AddRaftVoterRequest(
                    clusterID: "sim", timeoutMs: 5_000, voterID: missing, voterDirectoryID: .zero,
                    listeners: [VoterSet.Endpoint(name: "CONTROLLER", host: "node\(missing)", port: 9093)])),
                                     to: leader)
            }
        }
    }
}

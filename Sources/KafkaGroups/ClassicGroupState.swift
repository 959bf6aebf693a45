/// A classic group's state, spelled as Kafka shows it in ListGroups and DescribeGroups.
///
/// Transitions (Kafka's `ClassicGroupState`), each one stamping `currentStateTimestamp`:
/// ```
/// Empty               -> PreparingRebalance (a member joins)            -> Dead
/// PreparingRebalance  -> CompletingRebalance (join phase done, members) -> Empty (join phase done, none left)
/// CompletingRebalance -> Stable (leader's SyncGroup persisted)          -> PreparingRebalance
/// Stable              -> PreparingRebalance (join, leave, expiry)
/// ```
/// `Dead` is what an unloaded group becomes; a deleted group is simply gone.
public enum ClassicGroupState: String, Hashable, Sendable, CaseIterable {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"

    /// The states a group may come from into this one.
    var validPreviousStates: Set<ClassicGroupState> {
        switch self {
        case .empty: [.preparingRebalance]
        case .preparingRebalance: [.stable, .completingRebalance, .empty]
        case .completingRebalance: [.preparingRebalance]
        case .stable: [.completingRebalance]
        case .dead: [.stable, .preparingRebalance, .completingRebalance, .empty, .dead]
        }
    }

    /// The lower-case form ListGroups' states filter is matched against.
    var lowerCased: String { rawValue.lowercased() }
}

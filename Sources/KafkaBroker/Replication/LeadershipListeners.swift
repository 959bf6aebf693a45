import KafkaProtocol
import NIOConcurrencyHelpers

/// A change of this node's role for one partition, as the replica manager applied it (Kafka's
/// `onElection` / `onResignation`, which its metadata publisher hands to the coordinators).
enum LeadershipChange: Sendable, Hashable {
    /// This node leads `topicPartition` under `leaderEpoch` (a new leadership, or a newer registration
    /// of the same one: listeners compare epochs).
    case elected(TopicPartition, leaderEpoch: Int32)
    /// This node follows `topicPartition` under `leaderEpoch`, or (nil) no longer holds it: its topic was
    /// deleted, it left the replicas, or its log is offline.
    case resigned(TopicPartition, leaderEpoch: Int32?)

    var topicPartition: TopicPartition {
        switch self {
        case let .elected(tp, _), let .resigned(tp, _): tp
        }
    }

    /// The leader epoch this node leads under after the change; nil when it does not lead.
    var leaderEpochIfLeading: Int32? {
        if case let .elected(_, epoch) = self { epoch } else { nil }
    }
}

/// Who hears of leadership changes, and the one lock that orders them.
///
/// Invariant: a listener hears every change exactly once, in the order they were applied, after it
/// heard the leaderships in place when it was added: the replica manager applies roles inside
/// ``apply(_:)`` and a listener is added with ``add(_:current:)``, both under this lock. Listeners run
/// under the lock, so they must only record the change (and schedule work); they must not call back
/// into the replica manager's role changes.
final class LeadershipListeners: Sendable {
    private let state = NIOLockedValueBox<[@Sendable ([LeadershipChange]) -> Void]>([])

    /// Runs `body`, which applies roles and returns the changes it made, and tells every listener.
    func apply(_ body: () -> [LeadershipChange]) {
        state.withLockedValue { listeners in
            let changes = body()
            guard !changes.isEmpty else { return }
            for listener in listeners { listener(changes) }
        }
    }

    /// Adds `listener` and tells it `current()`, the leaderships in place now.
    func add(_ listener: @escaping @Sendable ([LeadershipChange]) -> Void, current: () -> [LeadershipChange]) {
        state.withLockedValue { listeners in
            listeners.append(listener)
            let now = current()
            if !now.isEmpty { listener(now) }
        }
    }
}

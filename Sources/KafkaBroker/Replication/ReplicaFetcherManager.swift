import KafkaMetadata
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import StromConfig

/// The follower side of replication on this node (Kafka's `ReplicaFetcherManager`): one
/// ``ReplicaFetcher`` per leader broker, each fetching every partition this node follows from it.
///
/// Invariant: a partition is assigned to at most one fetcher, that of the leader the latest metadata
/// names; a fetcher left with no partitions is stopped.
final class ReplicaFetcherManager: @unchecked Sendable {
    private let nodeID: Int32
    private let config: ServerConfig
    private let logger: Logger
    private let lock = NIOLock()
    private var fetchers: [Int32: ReplicaFetcher] = [:]
    private var leaders: [TopicPartition: Int32] = [:]
    private var stopped = false
    /// Set once, by the replica manager that owns this.
    private var replicas: ReplicaManager?

    init(nodeID: Int32, config: ServerConfig, logger: Logger) {
        self.nodeID = nodeID
        self.config = config
        self.logger = logger
    }

    func attach(_ replicas: ReplicaManager) {
        lock.withLock { self.replicas = replicas }
    }

    /// The partitions followed, by leader.
    var assignments: [TopicPartition: Int32] { lock.withLock { leaders } }

    /// Follows `tp` from `leader` under `assignment`, moving it from the fetcher of a previous leader.
    func follow(_ tp: TopicPartition, leader: Int32, assignment: ReplicaFetcher.Assignment, image: MetadataImage) {
        let (fetcher, emptied) = lock.withLock { () -> (ReplicaFetcher?, ReplicaFetcher?) in
            guard !stopped, let replicas else { return (nil, nil) }
            var emptied: ReplicaFetcher?
            if let old = leaders[tp], old != leader, let oldFetcher = fetchers[old] {
                oldFetcher.unfollow(tp)
                if oldFetcher.isEmpty { emptied = fetchers.removeValue(forKey: old) }
            }
            leaders[tp] = leader
            if let existing = fetchers[leader] { return (existing, emptied) }
            let nodeID = self.nodeID
            let fetcher = ReplicaFetcher(leaderID: leader, nodeID: nodeID, replicas: replicas, config: config,
                                         brokerEpoch: { [weak replicas] in replicas?.brokerEpoch ?? -1 }, logger: logger)
            fetchers[leader] = fetcher
            fetcher.start()
            return (fetcher, emptied)
        }
        if let emptied { Task { await emptied.stop() } }
        guard let fetcher else { return }
        if let endpoint = endpoint(of: leader, in: image) { fetcher.update(endpoint: endpoint) }
        fetcher.follow(tp, assignment)
    }

    /// Stops following `tp` (this node leads it now, or no longer holds it).
    func unfollow(_ tp: TopicPartition) {
        let emptied = lock.withLock { () -> ReplicaFetcher? in
            guard let leader = leaders.removeValue(forKey: tp), let fetcher = fetchers[leader] else { return nil }
            fetcher.unfollow(tp)
            return fetcher.isEmpty ? fetchers.removeValue(forKey: leader) : nil
        }
        if let emptied { Task { await emptied.stop() } }
    }

    /// Points each fetcher at its leader's current inter-broker endpoint.
    func updateEndpoints(image: MetadataImage) {
        for fetcher in lock.withLock({ Array(fetchers.values) }) {
            if let endpoint = endpoint(of: fetcher.leaderID, in: image) { fetcher.update(endpoint: endpoint) }
        }
    }

    private func endpoint(of broker: Int32, in image: MetadataImage) -> ReplicaFetcher.Endpoint? {
        guard let registration = image.brokers[broker],
              let e = registration.endpoints.first(where: { $0.listenerName == config.interBrokerListenerName }) else { return nil }
        return ReplicaFetcher.Endpoint(host: e.host, port: Int(e.port))
    }

    /// Stops every fetcher (shutdown).
    func shutdown() async {
        let all = lock.withLock { () -> [ReplicaFetcher] in
            stopped = true
            defer { fetchers = [:]; leaders = [:] }
            return Array(fetchers.values)
        }
        for fetcher in all { await fetcher.stop() }
    }
}

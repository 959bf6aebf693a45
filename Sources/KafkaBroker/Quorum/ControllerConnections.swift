import KafkaClient
import Logging
import NIOConcurrencyHelpers

/// This node's connections to other nodes' controller listeners, shared by everything that talks to a
/// controller: the quorum's peers, and the controller client (forwarded requests, broker registration
/// and heartbeats, producer-id blocks). Each lane keeps its own connection per node, so a quorum Fetch
/// long-polling on one never holds a heartbeat back on the other.
///
/// Invariant: at most one channel per (node, lane); asking for a node at a new endpoint replaces (and
/// disconnects) the old channel.
final class ControllerConnections: Sendable {
    enum Lane: String, Hashable, Sendable {
        /// Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch and FetchSnapshot between voters.
        case quorum
        /// Everything else sent to the active controller.
        case requests
    }

    private struct Key: Hashable {
        var node: Int32
        var lane: Lane
    }

    private let nodeID: Int32
    private let logger: Logger
    private let channels = NIOLockedValueBox<[Key: KafkaChannel]>([:])

    /// How channels to the controller listener are secured.
    private let security: ChannelSecurity

    init(nodeID: Int32, logger: Logger, security: ChannelSecurity = ChannelSecurity()) {
        self.security = security
        self.nodeID = nodeID
        self.logger = logger
    }

    /// The channel to `node` on `lane`, at `host:port`.
    func channel(to node: Int32, host: String, port: Int, lane: Lane) -> KafkaChannel {
        let key = Key(node: node, lane: lane)
        let (channel, replaced) = channels.withLockedValue { all -> (KafkaChannel, KafkaChannel?) in
            if let c = all[key], c.host == host, c.port == port { return (c, nil) }
            let c = KafkaChannel(host: host, port: port, clientID: "strom-\(nodeID)-\(lane.rawValue)", logger: logger, security: security)
            return (c, all.updateValue(c, forKey: key))
        }
        if let replaced { Task { await replaced.disconnect() } }
        return channel
    }

    /// Closes the channels on `lane` to nodes not in `keep`.
    func drop(lane: Lane, except keep: Set<Int32>) {
        let dropped = channels.withLockedValue { all -> [KafkaChannel] in
            let gone = all.filter { $0.key.lane == lane && !keep.contains($0.key.node) }
            for key in gone.keys { all.removeValue(forKey: key) }
            return Array(gone.values)
        }
        for c in dropped { Task { await c.disconnect() } }
    }

    func disconnectAll() async {
        let all = channels.withLockedValue { all -> [KafkaChannel] in
            defer { all.removeAll() }
            return Array(all.values)
        }
        for c in all { await c.disconnect() }
    }
}

import KafkaClient
import KafkaProtocol
import KafkaRaft
import Logging
import StromConfig

/// The voter set a node starts with.
///
/// From `controller.quorum.voters` when it is set (each voter reached at its `host:port` on the
/// controller listener). Otherwise from `controller.quorum.bootstrap.servers` (KIP-853): the node asks
/// them with DescribeQuorum v2 until one names the voters and their controller endpoints; the node then
/// starts as an observer unless it is among them. Either way the log's latest `VotersRecord` takes over.
enum QuorumVoters {
    static func initial(config: ServerConfig, clock: NodeClock, logger: Logger) async throws -> VoterSet {
        let listenerName = config.controllerListenerNames.first ?? "CONTROLLER"
        if !config.quorumVoters.isEmpty {
            return VoterSet(voters: config.quorumVoters.map { v in
                VoterSet.Voter(voterID: v.id, endpoints: [.init(name: listenerName, host: v.host, port: UInt16(v.port))])
            })
        }
        var lastLog: Int64 = 0
        while !Task.isCancelled {
            for server in config.quorumBootstrapServers {
                if let set = await ask(server, listenerName: listenerName, nodeID: config.nodeID,
                                       security: ChannelSecurity.loaded(listenerName, config: config), logger: logger) {
                    logger.info("learned the quorum's voters from a bootstrap server", metadata: [
                        "raft.bootstrap": "\(server)", "raft.voters": "\(set.sorted)",
                    ])
                    return set
                }
            }
            if clock.nowMs() - lastLog > 5_000 {
                lastLog = clock.nowMs()
                logger.info("waiting for a bootstrap server to describe the quorum", metadata: ["raft.bootstrap": "\(config.quorumBootstrapServers)"])
            }
            // Bootstrap servers are asked again after a backoff (they may still be starting).
            do { try await clock.sleep(forMs: 500) } catch { break }
        }
        throw StromNode.StartupError(description: "no bootstrap server described the quorum")
    }

    private static func ask(_ server: String, listenerName: String, nodeID: Int32, security: ChannelSecurity, logger: Logger) async -> VoterSet? {
        guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]) else { return nil }
        let host = String(server[..<colon])
        let channel = KafkaChannel(host: host, port: port, clientID: "strom-\(nodeID)-bootstrap", logger: logger, security: security)
        defer { Task { await channel.disconnect() } }
        var request = DescribeQuorumRequest()
        request.topics = [.init(topicName: "__cluster_metadata", partitions: [.init(partitionIndex: 0)])]
        guard let response = try? await channel.send(request, version: 2, timeoutMs: 3_000),
              let partition = response.topics.first?.partitions.first, partition.errorCode == 0,
              !partition.currentVoters.isEmpty else { return nil }
        let nodes = Dictionary(response.nodes.map { ($0.nodeID, $0) }, uniquingKeysWith: { a, _ in a })
        var voters: [VoterSet.Voter] = []
        for v in partition.currentVoters {
            guard let listener = nodes[v.replicaID]?.listeners.first(where: { $0.name == listenerName })
                    ?? nodes[v.replicaID]?.listeners.first else { return nil }
            voters.append(VoterSet.Voter(
                voterID: v.replicaID,
                voterDirectoryID: DirectoryID(mostSignificantBits: v.replicaDirectoryID.mostSignificantBits,
                                              leastSignificantBits: v.replicaDirectoryID.leastSignificantBits),
                endpoints: [.init(name: listener.name, host: listener.host, port: listener.port)]))
        }
        return VoterSet(voters: voters)
    }
}

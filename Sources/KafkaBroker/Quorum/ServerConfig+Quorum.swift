import KafkaRaft
import StromConfig

extension ServerConfig {
    /// The `controller.quorum.*` timers for the Raft core (Kafka's defaults unless configured), and this
    /// node's identity as a voter: the controller listener's name and address, and the metadata log
    /// directory's `directory.id`.
    func quorumConfig(directoryID: DirectoryID) -> QuorumConfig {
        var c = QuorumConfig()
        c.listenerName = controllerListenerNames.first
        c.localListeners = localControllerEndpoints
        c.localDirectoryID = directoryID
        c.electionTimeoutMs = quorumElectionTimeoutMs
        c.fetchTimeoutMs = quorumFetchTimeoutMs
        c.electionBackoffMaxMs = quorumElectionBackoffMaxMs
        c.requestTimeoutMs = quorumRequestTimeoutMs
        return c
    }
}

extension ServerConfig {
    /// `metadata.log.max.record.bytes.between.snapshots` and `metadata.log.max.snapshot.interval.ms`.
    var snapshotPolicy: SnapshotPolicy {
        SnapshotPolicy(maxBytesBetweenSnapshots: metadataSnapshotMaxBytes, maxIntervalMs: metadataSnapshotIntervalMs)
    }
}

extension ServerConfig {
    /// This node's controller listener as other voters reach it: its `controller.quorum.voters` entry
    /// when it has one, else the listener's own address (a wildcard host becomes 127.0.0.1).
    var localControllerEndpoints: [VoterSet.Endpoint] {
        guard let name = controllerListenerNames.first, let listener = listener(named: name) else { return [] }
        if let me = quorumVoters.first(where: { $0.id == nodeID }) {
            return [VoterSet.Endpoint(name: name, host: me.host, port: UInt16(me.port))]
        }
        let host = listener.host.isEmpty || listener.host == "0.0.0.0" ? "127.0.0.1" : listener.host
        return [VoterSet.Endpoint(name: name, host: host, port: UInt16(listener.port))]
    }
}

import KafkaRaft
import StromConfig

extension ServerConfig {
    /// The `controller.quorum.*` timers for the Raft core (Kafka's defaults unless configured).
    var quorumConfig: QuorumConfig {
        var c = QuorumConfig()
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

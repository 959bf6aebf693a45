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

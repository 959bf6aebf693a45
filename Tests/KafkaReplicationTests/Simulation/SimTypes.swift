import KafkaReplication

/// What one seed's run uses: scaled-down Kafka timeouts (ms), the chaos and quiet periods, and the load.
struct SimConfig {
    var replicaLagTimeMaxMs: Int64 = 600
    var sessionTimeoutMs: Int64 = 500
    var fetchBackoffMs: Int64 = 100
    var minInsyncReplicas = 2
    var chaosMs: Int64 = 2000
    var quietMs: Int64 = 1000
    var producers = 2
    var recordsPerProducer: Int32 = 12
    var maxFetchRecords = 4
    /// How long after the quiet period the cluster may take to converge (see `convergenceProblem`).
    var convergenceDeadlineMs: Int64 = 5000
    var controller = SimControllerKind.modeled

    /// Whether a crash that kept the whole log registers as an unclean shutdown half the time (a kill that
    /// happened to lose nothing, which Kafka cannot tell from one that did), or always as a clean one. Only
    /// for the real controller: the modeled one has neither ELR nor last known leader, so each such kill of
    /// the ISR's last member would leave the partition offline for good.
    var killsKeepingTheLogMayBeUnclean: Bool { controller == .real }
}

/// Which controller decides: `ModeledController` or the real one (`KafkaControllerModel`).
enum SimControllerKind: CaseIterable, CustomStringConvertible {
    case modeled
    case real

    func make(replicas: [Int32], minInsyncReplicas: Int) -> any ReplicationControllerModel {
        switch self {
        case .modeled: ModeledController(replicas: replicas)
        case .real: KafkaControllerModel(replicas: replicas, minInsyncReplicas: minInsyncReplicas)
        }
    }

    var description: String { self == .modeled ? "modeled controller" : "real controller" }
}

/// The metadata image the controller publishes after each change.
struct SimImage {
    var registration: LeaderAndIsr
    var brokers: [Int32: FollowerBrokerStatus]
}

/// Messages between the controller (node 0), the brokers (1...3) and the producers (100...).
enum SimMessage {
    case register(incarnation: Int, cleanShutdown: Bool)
    case registered(brokerEpoch: Int64)
    case heartbeat(brokerEpoch: Int64, appliedImages: Int)
    case metadataFetch(appliedImages: Int, requestId: Int)
    case metadata(images: [SimImage], requestId: Int)
    case alterPartition(AlterPartitionProposal, brokerEpoch: Int64, requestId: Int)
    case alterPartitionAnswer(AlterPartitionProposal, Result<LeaderAndIsr, ReplicationError>, requestId: Int)
    case fetch(brokerEpoch: Int64, FetchPartitionRequest, requestId: Int)
    case fetchAnswer(FetchPartitionRequest, FetchPartitionResponse, records: [SimRecord], requestId: Int)
    case listOffsets(currentLeaderEpoch: Int32, requestId: Int)
    case listOffsetsAnswer(Result<(logStartOffset: Int64, logEndOffset: Int64), ReplicationError>, currentLeaderEpoch: Int32, requestId: Int)
    case produce(producerId: Int64, sequence: Int32, requestId: Int)
    /// Success carries the offset and the acknowledging leader's epoch (for the invariant checks).
    case produceAnswer(Result<AckedAt, ReplicationError>, requestId: Int)
}

struct AckedAt {
    var offset: Int64
    var leaderEpoch: Int32
}

/// A request awaiting its answer.
struct InFlight<Payload> {
    var requestId: Int
    var payload: Payload
    var sentAt: Int64
}

/// A produce waiting in the leader's purgatory for the high watermark.
struct PendingProduce {
    var producer: Int32
    var requestId: Int
    var offset: Int64
    var deadline: Int64
}

enum SimRole {
    case none
    case leader(PartitionLeaderState)
    case follower(FollowerFetchState)

    var leaderState: PartitionLeaderState? {
        if case .leader(let state) = self { return state }
        return nil
    }
}

/// A broker of the simulation: its log (which survives crashes up to the flushed prefix), and its
/// volatile state (role, requests in flight, purgatory), lost on a crash. A class: a debug build copies a
/// struct element whole on every field read.
final class SimBroker {
    let id: Int32
    var up = true
    var paused = false
    var incarnation = 0
    var brokerEpoch: Int64?
    var log = SimLog()
    var role = SimRole.none
    var appliedImages = 0
    var statuses: [Int32: FollowerBrokerStatus] = [:]
    var purgatory: [PendingProduce] = []
    var register: InFlight<Void>?
    var metadataFetch: InFlight<Void>?
    var fetch: InFlight<FetchPartitionRequest>?
    var listOffsets: InFlight<Int32>?
    var alter: InFlight<AlterPartitionProposal>?
    var lastHeartbeatSent: Int64 = -1_000_000
    var lastShrinkCheck: Int64 = 0
    var lastMetadataFetch: Int64 = -1_000_000
    /// After an answer with no records the next fetch waits for a tick (a stand-in for the leader's long poll).
    var fetchIdleUntil: Int64 = 0
    /// Messages that arrived while paused, handled on resume.
    var buffered: [(from: Int32, message: SimMessage)] = []
    /// False after a crash that lost unflushed records, until the controller admits its registered
    /// incarnation to the ISR again (other than by an unclean election).
    var holdsCommitted = true
    /// Whether the last stop was clean (reported at registration as KIP-966's PreviousBrokerEpoch): a crash
    /// that lost records never is; one that kept the whole log is (a clean shutdown, which flushes), or with
    /// `SimConfig.killsKeepingTheLogMayBeUnclean` half the time.
    var cleanShutdown = true

    init(id: Int32) { self.id = id }

    var leaderState: PartitionLeaderState? { role.leaderState }
}

/// A producer sending acks=all produces with idempotent sequences, one at a time.
struct SimProducer {
    let node: Int32
    let producerId: Int64
    var nextSequence: Int32 = 0
    var inFlight: InFlight<Int32>?
    var retryAt: Int64 = 0
}

/// An acknowledged record: acks=all answered with success at `offset`.
struct AckedRecord {
    var producerId: Int64
    var sequence: Int32
    var offset: Int64
    var leaderEpoch: Int32
}

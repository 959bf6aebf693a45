import KafkaMetadata
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers

/// Creates a coordinator's internal topic when it is missing, as Kafka auto-creates them, compacted,
/// kept forever until compacted away, 100 MiB segments: `__consumer_offsets` with
/// `offsets.topic.num.partitions` partitions of `offsets.topic.replication.factor` replicas
/// (``offsets(metadata:config:logger:)``), `__transaction_state` with `transaction.state.log.*`
/// (``transactionState(metadata:config:logger:)``).
///
/// The node tries once at start; until the topic exists, FindCoordinator answers
/// COORDINATOR_NOT_AVAILABLE and asks for another attempt (``requestCreation()``), as Kafka's
/// FindCoordinator does. With fewer registered, unfenced brokers than the replication factor the
/// controller refuses (INVALID_REPLICATION_FACTOR), so groups and transactional producers wait until
/// enough brokers are alive, as in Kafka. One attempt runs at a time; a failure is logged when it
/// differs from the previous one.
final class InternalTopicCreator: Sendable {
    let metadata: MetadataService
    let topic: String
    let partitions: Int32
    let replicationFactor: Int16
    /// Topic configs beyond the compaction settings every internal topic has.
    let configs: [String: String]
    /// Who waits for the topic, for log lines: "groups", "transactional producers".
    let users: String
    private let logger: Logger
    private let state = NIOLockedValueBox<(inFlight: Bool, lastError: ErrorCode?)>((false, nil))

    init(metadata: MetadataService, topic: String, partitions: Int32, replicationFactor: Int16, configs: [String: String] = [:],
         users: String, logger: Logger) {
        self.metadata = metadata
        self.topic = topic
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
        self.users = users
        self.logger = logger
    }

    var exists: Bool { metadata.image.topic(named: topic) != nil }

    /// Starts an attempt in the background unless the topic exists or one is under way.
    func requestCreation() {
        guard !exists else { return }
        let start = state.withLockedValue { s -> Bool in
            if s.inFlight { return false }
            s.inFlight = true
            return true
        }
        guard start else { return }
        Task {
            _ = await self.attempt()
            self.state.withLockedValue { $0.inFlight = false }
        }
    }

    /// One attempt; the topic exists afterwards when it answers NONE or TOPIC_ALREADY_EXISTS.
    @discardableResult
    func create() async -> ErrorCode {
        state.withLockedValue { $0.inFlight = true }
        defer { state.withLockedValue { $0.inFlight = false } }
        return await attempt()
    }

    private func attempt() async -> ErrorCode {
        let settings = ["cleanup.policy": "compact", "segment.bytes": "104857600", "retention.ms": "-1"].merging(configs) { $1 }
        let created = await metadata.createTopics(CreateTopicsRequest(topics: [.init(
            name: topic, numPartitions: partitions, replicationFactor: replicationFactor,
            configs: settings.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) }
        )]))
        let result = created.topics.first
        let code = ErrorCode(rawValue: result?.errorCode ?? ErrorCode.unknownServerError.rawValue)
        let changed = state.withLockedValue { s -> Bool in
            defer { s.lastError = code }
            return s.lastError != code
        }
        if code == .noError {
            logger.info("created an internal topic", metadata: [
                "kafka.topic": "\(topic)", "kafka.partitions": "\(partitions)", "kafka.replication_factor": "\(replicationFactor)",
            ])
        } else if code != .topicAlreadyExists && changed {
            logger.warning("cannot create an internal topic yet; \(users) get COORDINATOR_NOT_AVAILABLE until it exists", metadata: [
                "kafka.topic": "\(topic)", "kafka.replication_factor": "\(replicationFactor)",
                "kafka.error": "\(code)", "reason": "\(result?.errorMessage ?? "")",
            ])
        }
        return code
    }
}

import KafkaMetadata
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers

/// Creates `__consumer_offsets` when it is missing, as Kafka auto-creates its internal topics:
/// `offsets.topic.num.partitions` partitions of `offsets.topic.replication.factor` replicas, compacted,
/// kept forever until compacted away, 100 MiB segments.
///
/// The node tries once at start; until the topic exists, FindCoordinator answers
/// COORDINATOR_NOT_AVAILABLE and asks for another attempt (``requestCreation()``), as Kafka's
/// FindCoordinator does. With fewer registered, unfenced brokers than the replication factor the
/// controller refuses (INVALID_REPLICATION_FACTOR), so groups wait until enough brokers are alive, as in
/// Kafka. One attempt runs at a time; a failure is logged when it differs from the previous one.
final class OffsetsTopicCreator: Sendable {
    let metadata: MetadataService
    let partitions: Int32
    let replicationFactor: Int16
    private let logger: Logger
    private let state = NIOLockedValueBox<(inFlight: Bool, lastError: ErrorCode?)>((false, nil))

    init(metadata: MetadataService, partitions: Int32, replicationFactor: Int16, logger: Logger) {
        self.metadata = metadata
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.logger = logger
    }

    var exists: Bool { metadata.image.topic(named: ConsumerOffsetsLog.topic) != nil }

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
        let created = await metadata.createTopics(CreateTopicsRequest(topics: [.init(
            name: ConsumerOffsetsLog.topic, numPartitions: partitions, replicationFactor: replicationFactor,
            configs: [.init(name: "cleanup.policy", value: "compact"), .init(name: "segment.bytes", value: "104857600"),
                      .init(name: "retention.ms", value: "-1")]
        )]))
        let result = created.topics.first
        let code = ErrorCode(rawValue: result?.errorCode ?? ErrorCode.unknownServerError.rawValue)
        let changed = state.withLockedValue { s -> Bool in
            defer { s.lastError = code }
            return s.lastError != code
        }
        if code == .noError {
            logger.info("created the offsets topic", metadata: [
                "kafka.topic": "\(ConsumerOffsetsLog.topic)", "kafka.partitions": "\(partitions)", "kafka.replication_factor": "\(replicationFactor)",
            ])
        } else if code != .topicAlreadyExists && changed {
            logger.warning("cannot create the offsets topic yet; groups get COORDINATOR_NOT_AVAILABLE until it exists", metadata: [
                "kafka.topic": "\(ConsumerOffsetsLog.topic)", "kafka.replication_factor": "\(replicationFactor)",
                "kafka.error": "\(code)", "reason": "\(result?.errorMessage ?? "")",
            ])
        }
        return code
    }
}

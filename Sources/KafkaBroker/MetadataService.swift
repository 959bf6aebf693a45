import KafkaController
import KafkaMetadata
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import StromConfig

/// The single-node controller shell: runs controller decisions one at a time, commits their
/// records to `__cluster_metadata`, replays them into a new image and publishes it.
///
/// Invariant: the published image is exactly the replay of the committed log. A record is replayed
/// only after `append` made it durable; a failed append publishes nothing and the request fails.
public actor MetadataService {
    /// Called with each delta and the image it produced, in commit order.
    public typealias Publisher = @Sendable (MetadataDelta, MetadataImage) -> Void

    public nonisolated let clusterID: String
    public nonisolated let nodeID: Int32
    /// The epoch records are written in; a single voter stays leader of epoch 1.
    public nonisolated let epoch: Int32 = 1
    private let imageBox: NIOLockedValueBox<MetadataImage>
    private let store: any MetadataLogStore
    private let config: ServerConfig
    private let logger: Logger
    private var generator = SystemRandomNumberGenerator()
    private var publishers: [Publisher] = []
    private var producerIDs: Range<Int64> = 0..<0
    public private(set) var brokerEpoch: Int64 = -1

    /// The latest published image; readable from any thread without waiting for the actor.
    public nonisolated var image: MetadataImage { imageBox.withLockedValue { $0 } }

    /// Replays the whole log into the starting image.
    public init(store: any MetadataLogStore, config: ServerConfig, clusterID: String, logger: Logger) throws {
        self.store = store
        self.config = config
        self.clusterID = clusterID
        self.nodeID = config.nodeID
        self.logger = logger
        var delta = MetadataDelta(base: .empty)
        var provenance = MetadataProvenance.empty
        for entry in try store.readAll() {
            try delta.replay(entry.record.record)
            provenance = MetadataProvenance(offset: entry.offset, epoch: entry.epoch)
        }
        imageBox = NIOLockedValueBox(delta.apply(provenance: provenance))
    }

    public func addPublisher(_ publisher: @escaping Publisher) {
        publishers.append(publisher)
    }

    /// Brings a fresh log to the current metadata.version and registers this broker with a new
    /// incarnation; its epoch is the offset of its registration record, as in Kafka.
    public func registerBroker(endpoints: [BrokerRegistration.Endpoint]) throws {
        var records: [MetadataRecordAndVersion] = []
        if image.features["metadata.version"] == nil {
            records.append(MetadataRecordAndVersion(FeatureLevelRecord(name: "metadata.version", featureLevel: 21), version: 0))
        }
        let epoch = store.logEndOffset + Int64(records.count)
        let registration = BrokerRegistration(
            id: nodeID, incarnationID: .random(using: &generator), epoch: epoch, endpoints: endpoints, fenced: true,
            supportedFeatures: ["metadata.version": 7...21]
        )
        records.append(MetadataRecordAndVersion(registration.record, version: 2))
        records.append(MetadataRecordAndVersion(UnfenceBrokerRecord(id: nodeID, epoch: epoch), version: 0))
        try commit(records)
        brokerEpoch = epoch
    }

    /// Appends, makes durable, replays and publishes. Empty record lists change nothing.
    @discardableResult
    public func commit(_ records: [MetadataRecordAndVersion]) throws -> MetadataImage {
        guard !records.isEmpty else { return image }
        var delta = MetadataDelta(base: image)
        // Replay first on a scratch delta: a record the image refuses must not reach the log.
        for r in records { try delta.replay(r.record) }
        let lastOffset = try store.append(records, epoch: epoch, now: BrokerClock.nowMs())
        let next = delta.apply(provenance: MetadataProvenance(offset: lastOffset, epoch: epoch))
        imageBox.withLockedValue { $0 = next }
        for p in publishers { p(delta, next) }
        return next
    }

    // MARK: controller operations

    public func createTopics(_ request: CreateTopicsRequest) -> CreateTopicsResponse {
        let result = CreateTopics.handle(request, image: image, config: config, generator: &generator)
        return commitOrFail(result) { response, code, message in
            for i in response.topics.indices where response.topics[i].errorCode == 0 {
                response.topics[i].errorCode = code.rawValue
                response.topics[i].errorMessage = message
            }
        }
    }

    public func deleteTopics(_ request: DeleteTopicsRequest, version: Int16) -> DeleteTopicsResponse {
        let result = DeleteTopics.handle(request, version: version, image: image)
        return commitOrFail(result) { response, code, message in
            for i in response.responses.indices where response.responses[i].errorCode == 0 {
                response.responses[i].errorCode = code.rawValue
                response.responses[i].errorMessage = message
            }
        }
    }

    public func createPartitions(_ request: CreatePartitionsRequest) -> CreatePartitionsResponse {
        let result = CreatePartitions.handle(request, image: image, generator: &generator)
        return commitOrFail(result) { response, code, message in
            for i in response.results.indices where response.results[i].errorCode == 0 {
                response.results[i].errorCode = code.rawValue
                response.results[i].errorMessage = message
            }
        }
    }

    public func incrementalAlterConfigs(_ request: IncrementalAlterConfigsRequest) -> IncrementalAlterConfigsResponse {
        let result = IncrementalAlterConfigs.handle(request, image: image)
        return commitOrFail(result) { response, code, message in
            for i in response.responses.indices where response.responses[i].errorCode == 0 {
                response.responses[i].errorCode = code.rawValue
                response.responses[i].errorMessage = message
            }
        }
    }

    /// Creates topics that a Metadata request asked for, with the broker's defaults.
    public func autoCreate(_ names: [String]) -> CreateTopicsResponse {
        var request = CreateTopicsRequest()
        request.topics = names.map { .init(name: $0, numPartitions: -1, replicationFactor: -1) }
        return createTopics(request)
    }

    /// The next producer id, reserving a new block through the log when the current one runs out.
    public func nextProducerID() throws -> Int64 {
        if producerIDs.isEmpty {
            let (range, record) = ProducerIDBlocks.allocate(image: image, brokerID: nodeID, brokerEpoch: brokerEpoch)
            try commit([record])
            producerIDs = range
        }
        return producerIDs.popFirst()!
    }

    private func commitOrFail<R>(_ result: ControllerResult<R>, failing: (inout R, ErrorCode, String) -> Void) -> R {
        var response = result.response
        do {
            try commit(result.records)
        } catch {
            logger.error("could not commit metadata records", metadata: ["error": "\(error)"])
            failing(&response, .kafkaStorageError, "Could not write the metadata log: \(error)")
        }
        return response
    }
}

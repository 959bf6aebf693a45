import KafkaMetadata
import NIOConcurrencyHelpers
import Logging
import StromConfig

/// Wires handlers into dispatchers for a node's listeners, so `strom` and the tests assemble the
/// broker the same way.
public enum BrokerAssembly {
    /// The client listener: every API the broker serves.
    public static func clientDispatcher(listenerName: String, metadata: MetadataService, replicas: ReplicaManager,
                                        groups: GroupCoordinatorService,
                                        fetchSessions: NIOLockedValueBox<FetchSessions>, config: ServerConfig,
                                        metadataLogEndOffset: @escaping @Sendable () -> Int64, logger: Logger) -> RequestDispatcher {
        var d = RequestDispatcher(listenerName: listenerName, logger: logger)
        d.register(ProduceHandler(metadata: metadata, replicas: replicas, nodeID: config.nodeID))
        d.register(FetchHandler(metadata: metadata, replicas: replicas, nodeID: config.nodeID, sessions: fetchSessions))
        d.register(ListOffsetsHandler(metadata: metadata, replicas: replicas, nodeID: config.nodeID))
        d.register(DeleteRecordsHandler(metadata: metadata, replicas: replicas, nodeID: config.nodeID))
        d.register(MetadataHandler(metadata: metadata, config: config))
        d.register(CreateTopicsHandler(metadata: metadata))
        d.register(DeleteTopicsHandler(metadata: metadata))
        d.register(CreatePartitionsHandler(metadata: metadata))
        d.register(IncrementalAlterConfigsHandler(metadata: metadata))
        d.register(DescribeConfigsHandler(metadata: metadata, config: config))
        d.register(DescribeClusterHandler(metadata: metadata, config: config))
        d.register(DescribeQuorumHandler(metadata: metadata, config: config, logEndOffset: metadataLogEndOffset))
        d.register(InitProducerIDHandler(metadata: metadata))
        d.register(FindCoordinatorHandler(metadata: metadata, nodeID: config.nodeID))
        d.register(JoinGroupHandler(groups: groups))
        d.register(SyncGroupHandler(groups: groups))
        d.register(HeartbeatHandler(groups: groups))
        d.register(LeaveGroupHandler(groups: groups))
        d.register(OffsetCommitHandler(groups: groups, metadata: metadata))
        d.register(OffsetFetchHandler(groups: groups))
        d.register(OffsetDeleteHandler(groups: groups))
        d.register(ListGroupsHandler(groups: groups))
        d.register(DescribeGroupsHandler(groups: groups))
        d.register(DeleteGroupsHandler(groups: groups))
        d.register(ConsumerGroupHeartbeatHandler(groups: groups, metadata: metadata))
        d.register(ConsumerGroupDescribeHandler(groups: groups, metadata: metadata))
        d.register(ApiVersionsHandler(apis: d.advertised, finalizedFeatures: { features(metadata) }))
        return d
    }

    /// The controller listener of a single combined node: quorum description and ApiVersions.
    /// (The Raft RPCs arrive with the multi-node quorum.)
    public static func controllerDispatcher(listenerName: String, metadata: MetadataService, config: ServerConfig,
                                            metadataLogEndOffset: @escaping @Sendable () -> Int64, logger: Logger) -> RequestDispatcher {
        var d = RequestDispatcher(listenerName: listenerName, logger: logger)
        d.register(DescribeQuorumHandler(metadata: metadata, config: config, logEndOffset: metadataLogEndOffset))
        d.register(ApiVersionsHandler(apis: d.advertised, finalizedFeatures: { features(metadata) }))
        return d
    }

    private static func features(_ metadata: MetadataService) -> (epoch: Int64, levels: [String: Int16]) {
        let image = metadata.image
        return (image.provenance.offset, image.features)
    }
}

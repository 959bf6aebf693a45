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
                                        quorum: QuorumDriver, logger: Logger) -> RequestDispatcher {
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
        d.register(AlterClientQuotasHandler(metadata: metadata))
        d.register(DescribeClientQuotasHandler(metadata: metadata))
        d.register(DescribeConfigsHandler(metadata: metadata, config: config))
        d.register(DescribeClusterHandler(metadata: metadata, config: config))
        d.register(DescribeQuorumHandler(metadata: metadata, quorum: quorum, config: config))
        d.register(AddRaftVoterHandler(metadata: metadata, quorum: quorum))
        d.register(RemoveRaftVoterHandler(metadata: metadata, quorum: quorum))
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

    /// The controller listener: the KRaft quorum's RPCs, broker registration and heartbeats, producer id
    /// blocks, and the topic and quota administration a broker forwards to the active controller.
    public static func controllerDispatcher(listenerName: String, metadata: MetadataService, quorum: QuorumDriver,
                                            config: ServerConfig, logger: Logger) -> RequestDispatcher {
        var d = RequestDispatcher(listenerName: listenerName, logger: logger)
        d.register(VoteHandler(quorum: quorum))
        d.register(BeginQuorumEpochHandler(quorum: quorum))
        d.register(EndQuorumEpochHandler(quorum: quorum))
        d.register(QuorumFetchHandler(quorum: quorum))
        d.register(FetchSnapshotHandler(quorum: quorum))
        d.register(AddRaftVoterHandler(metadata: metadata, quorum: quorum))
        d.register(RemoveRaftVoterHandler(metadata: metadata, quorum: quorum))
        d.register(UpdateRaftVoterHandler(quorum: quorum))
        d.register(DescribeQuorumHandler(metadata: metadata, quorum: quorum, config: config))
        d.register(BrokerRegistrationHandler(metadata: metadata))
        d.register(BrokerHeartbeatHandler(metadata: metadata))
        d.register(AllocateProducerIDsHandler(metadata: metadata))
        d.register(ControllerCreateTopicsHandler(metadata: metadata))
        d.register(ControllerDeleteTopicsHandler(metadata: metadata))
        d.register(ControllerCreatePartitionsHandler(metadata: metadata))
        d.register(ControllerIncrementalAlterConfigsHandler(metadata: metadata))
        d.register(ControllerAlterClientQuotasHandler(metadata: metadata))
        d.register(ApiVersionsHandler(apis: d.advertised, finalizedFeatures: { features(metadata) }))
        return d
    }

    private static func features(_ metadata: MetadataService) -> (epoch: Int64, levels: [String: Int16]) {
        let image = metadata.image
        return (image.provenance.offset, image.features)
    }
}

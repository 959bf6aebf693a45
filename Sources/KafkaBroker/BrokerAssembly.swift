import KafkaController
import KafkaMetadata
import KafkaProtocol
import NIOConcurrencyHelpers
import Logging
import StromConfig

/// Wires handlers into dispatchers for a node's listeners, so `strom` and the tests assemble the
/// broker the same way. Each listener's handlers are listed once, as types with a way to build them;
/// what the listener advertises (`clientAPIs`, `controllerAPIs`) is read from those types'
/// `versions`, so it is known without starting a node (the README's list is checked against it).
public enum BrokerAssembly {
    /// What a client listener's handlers are built from.
    struct ClientServices {
        var metadata: MetadataService
        var replicas: ReplicaManager
        var groups: GroupCoordinatorService
        var offsetsTopic: InternalTopicCreator
        var transactions: TransactionCoordinatorService
        var transactionTopic: InternalTopicCreator
        var fetchSessions: NIOLockedValueBox<FetchSessions>
        var config: ServerConfig
        var quorum: QuorumDriver
    }

    /// What a controller listener's handlers are built from.
    struct ControllerServices {
        var metadata: MetadataService
        var quorum: QuorumDriver
        var config: ServerConfig
    }

    /// The client listener: every API the broker serves (ApiVersions is added to every listener).
    static let clientHandlers: [HandlerRegistration<ClientServices>] = [
        .init { ProduceHandler(metadata: $0.metadata, replicas: $0.replicas, nodeID: $0.config.nodeID, transactions: $0.transactions,
                                verificationEnabled: $0.config.transactionPartitionVerificationEnable) },
        .init { FetchHandler(metadata: $0.metadata, replicas: $0.replicas, nodeID: $0.config.nodeID, sessions: $0.fetchSessions) },
        .init { ListOffsetsHandler(metadata: $0.metadata, replicas: $0.replicas, nodeID: $0.config.nodeID) },
        .init { DeleteRecordsHandler(metadata: $0.metadata, replicas: $0.replicas, nodeID: $0.config.nodeID) },
        .init { OffsetForLeaderEpochHandler(metadata: $0.metadata, replicas: $0.replicas, nodeID: $0.config.nodeID) },
        .init { MetadataHandler(metadata: $0.metadata, config: $0.config, offsetsTopic: $0.offsetsTopic) },
        .init { DescribeTopicPartitionsHandler(metadata: $0.metadata) },
        .init { CreateTopicsHandler(metadata: $0.metadata) },
        .init { DeleteTopicsHandler(metadata: $0.metadata) },
        .init { CreatePartitionsHandler(metadata: $0.metadata) },
        .init { ElectLeadersHandler(metadata: $0.metadata) },
        .init { AlterPartitionReassignmentsHandler(metadata: $0.metadata) },
        .init { ListPartitionReassignmentsHandler(metadata: $0.metadata) },
        .init { DescribeLogDirsHandler(replicas: $0.replicas) },
        .init { IncrementalAlterConfigsHandler(metadata: $0.metadata) },
        .init { AlterConfigsHandler(metadata: $0.metadata) },
        .init { AlterClientQuotasHandler(metadata: $0.metadata) },
        .init { DescribeClientQuotasHandler(metadata: $0.metadata) },
        .init { AlterUserScramCredentialsHandler(metadata: $0.metadata) },
        .init { DescribeUserScramCredentialsHandler(metadata: $0.metadata) },
        .init { _ in SaslHandshakeHandler() },
        .init { _ in SaslAuthenticateHandler() },
        .init { CreateAclsHandler(metadata: $0.metadata) },
        .init { _ in DescribeAclsHandler() },
        .init { DeleteAclsHandler(metadata: $0.metadata) },
        .init { DescribeConfigsHandler(metadata: $0.metadata, config: $0.config) },
        .init { DescribeClusterHandler(metadata: $0.metadata, config: $0.config) },
        .init { UnregisterBrokerHandler(metadata: $0.metadata) },
        .init { UpdateFeaturesHandler(metadata: $0.metadata) },
        .init { DescribeQuorumHandler(metadata: $0.metadata, quorum: $0.quorum, config: $0.config) },
        .init { AddRaftVoterHandler(metadata: $0.metadata, quorum: $0.quorum) },
        .init { RemoveRaftVoterHandler(metadata: $0.metadata, quorum: $0.quorum) },
        .init { InitProducerIDHandler(metadata: $0.metadata, transactions: $0.transactions, transactionTopic: $0.transactionTopic) },
        .init { AddPartitionsToTxnHandler(metadata: $0.metadata, transactions: $0.transactions) },
        .init { AddOffsetsToTxnHandler(transactions: $0.transactions, offsetsTopic: $0.offsetsTopic) },
        .init { TxnOffsetCommitHandler(groups: $0.groups, metadata: $0.metadata, transactions: $0.transactions, replicas: $0.replicas,
                                        verificationEnabled: $0.config.transactionPartitionVerificationEnable) },
        .init { EndTxnHandler(transactions: $0.transactions) },
        .init { DescribeTransactionsHandler(transactions: $0.transactions) },
        .init { ListTransactionsHandler(transactions: $0.transactions) },
        .init { WriteTxnMarkersHandler(metadata: $0.metadata, replicas: $0.replicas, groups: $0.groups) },
        .init { DescribeProducersHandler(metadata: $0.metadata, replicas: $0.replicas) },
        .init { FindCoordinatorHandler(metadata: $0.metadata, offsetsTopic: $0.offsetsTopic, transactionTopic: $0.transactionTopic) },
        .init { JoinGroupHandler(groups: $0.groups) },
        .init { SyncGroupHandler(groups: $0.groups) },
        .init { HeartbeatHandler(groups: $0.groups) },
        .init { LeaveGroupHandler(groups: $0.groups) },
        .init { OffsetCommitHandler(groups: $0.groups, metadata: $0.metadata) },
        .init { OffsetFetchHandler(groups: $0.groups, metadata: $0.metadata) },
        .init { OffsetDeleteHandler(groups: $0.groups) },
        .init { ListGroupsHandler(groups: $0.groups) },
        .init { DescribeGroupsHandler(groups: $0.groups) },
        .init { DeleteGroupsHandler(groups: $0.groups) },
        .init { ConsumerGroupHeartbeatHandler(groups: $0.groups, metadata: $0.metadata) },
        .init { ConsumerGroupDescribeHandler(groups: $0.groups, metadata: $0.metadata) },
    ]

    /// The controller listener: the KRaft quorum's RPCs, broker registration, heartbeats and
    /// unregistration, ISR changes from partition leaders, producer id blocks, finalized features, and
    /// the topic, election, reassignment and quota administration a broker forwards to the active controller.
    static let controllerHandlers: [HandlerRegistration<ControllerServices>] = [
        .init { VoteHandler(quorum: $0.quorum) },
        .init { BeginQuorumEpochHandler(quorum: $0.quorum) },
        .init { EndQuorumEpochHandler(quorum: $0.quorum) },
        .init { QuorumFetchHandler(quorum: $0.quorum) },
        .init { FetchSnapshotHandler(quorum: $0.quorum) },
        .init { AddRaftVoterHandler(metadata: $0.metadata, quorum: $0.quorum) },
        .init { RemoveRaftVoterHandler(metadata: $0.metadata, quorum: $0.quorum) },
        .init { UpdateRaftVoterHandler(quorum: $0.quorum) },
        .init { DescribeQuorumHandler(metadata: $0.metadata, quorum: $0.quorum, config: $0.config) },
        .init { ControllerDescribeClusterHandler(metadata: $0.metadata, quorum: $0.quorum) },
        .init { BrokerRegistrationHandler(metadata: $0.metadata) },
        .init { BrokerHeartbeatHandler(metadata: $0.metadata) },
        .init { ControllerUnregisterBrokerHandler(metadata: $0.metadata) },
        .init { ControllerUpdateFeaturesHandler(metadata: $0.metadata) },
        .init { AlterPartitionHandler(metadata: $0.metadata) },
        .init { AllocateProducerIDsHandler(metadata: $0.metadata) },
        .init { ControllerCreateTopicsHandler(metadata: $0.metadata) },
        .init { ControllerDeleteTopicsHandler(metadata: $0.metadata) },
        .init { ControllerCreatePartitionsHandler(metadata: $0.metadata) },
        .init { ControllerElectLeadersHandler(metadata: $0.metadata) },
        .init { ControllerAlterPartitionReassignmentsHandler(metadata: $0.metadata) },
        .init { ControllerListPartitionReassignmentsHandler(metadata: $0.metadata) },
        .init { ControllerIncrementalAlterConfigsHandler(metadata: $0.metadata) },
        .init { ControllerAlterConfigsHandler(metadata: $0.metadata) },
        .init { ControllerAlterClientQuotasHandler(metadata: $0.metadata) },
        .init { ControllerAlterUserScramCredentialsHandler(metadata: $0.metadata) },
        .init { ControllerCreateAclsHandler(metadata: $0.metadata) },
        .init { _ in DescribeAclsHandler() },
        .init { ControllerDeleteAclsHandler(metadata: $0.metadata) },
        .init { _ in SaslHandshakeHandler() },
        .init { _ in SaslAuthenticateHandler() },
    ]

    /// What a client listener advertises in ApiVersions, by API key.
    public static let clientAPIs: [ServedAPI] = advertised(clientHandlers.map(\.api))

    /// What a controller listener advertises in ApiVersions, by API key.
    public static let controllerAPIs: [ServedAPI] = advertised(controllerHandlers.map(\.api))

    static func clientDispatcher(listenerName: String, metadata: MetadataService, replicas: ReplicaManager,
                                        groups: GroupCoordinatorService, offsetsTopic: InternalTopicCreator,
                                        transactions: TransactionCoordinatorService, transactionTopic: InternalTopicCreator,
                                        fetchSessions: NIOLockedValueBox<FetchSessions>, config: ServerConfig,
                                        quorum: QuorumDriver, authorizer: NodeAuthorizer? = nil, metrics: NodeMetrics? = nil,
                                        logger: Logger) -> RequestDispatcher {
        let services = ClientServices(metadata: metadata, replicas: replicas, groups: groups, offsetsTopic: offsetsTopic,
                                      transactions: transactions, transactionTopic: transactionTopic,
                                      fetchSessions: fetchSessions, config: config, quorum: quorum)
        let quotas = ClientQuotaContext(manager: metadata.clientQuotas, image: { metadata.image }, clock: metadata.clock)
        return dispatcher(clientHandlers, services: services, listenerName: listenerName, metadata: metadata,
                          authorizer: authorizer, quotas: quotas, metrics: metrics, logger: logger)
    }

    public static func controllerDispatcher(listenerName: String, metadata: MetadataService, quorum: QuorumDriver,
                                            config: ServerConfig, authorizer: NodeAuthorizer? = nil, metrics: NodeMetrics? = nil,
                                            logger: Logger) -> RequestDispatcher {
        let services = ControllerServices(metadata: metadata, quorum: quorum, config: config)
        return dispatcher(controllerHandlers, services: services, listenerName: listenerName, metadata: metadata,
                          authorizer: authorizer, quotas: nil, metrics: metrics, logger: logger)
    }

    private static func dispatcher<Services>(_ registrations: [HandlerRegistration<Services>], services: Services,
                                             listenerName: String, metadata: MetadataService, authorizer: NodeAuthorizer?,
                                             quotas: ClientQuotaContext?, metrics: NodeMetrics?, logger: Logger) -> RequestDispatcher {
        var d = RequestDispatcher(listenerName: listenerName, logger: logger, authorizer: authorizer, quotas: quotas, metrics: metrics)
        for registration in registrations { registration.register(&d, services) }
        d.register(ApiVersionsHandler(apis: d.advertised, finalizedFeatures: { features(metadata) }))
        return d
    }

    private static func advertised(_ apis: [ServedAPI]) -> [ServedAPI] {
        (apis + [ServedAPI(apiKey: .apiVersions, versions: ApiVersionsHandler.versions)]).sorted { $0.apiKey < $1.apiKey }
    }

    /// The image's finalized features and, as Kafka's `KRaftMetadataCache.features()` adds it, the
    /// quorum's kraft.version when above 0 (the quorum runs it; the image does not hold it).
    private static func features(_ metadata: MetadataService) -> (epoch: Int64, levels: [String: Int16]) {
        let image = metadata.image
        var levels = image.finalizedFeatures
        let kraftVersion = metadata.quorumStatus.kraftVersion
        if kraftVersion > 0 { levels[StromFeatures.kraftVersionName] = kraftVersion }
        return (image.provenance.offset, levels)
    }
}

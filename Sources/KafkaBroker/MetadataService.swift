import KafkaClient
import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import Logging
import StromConfig

/// The node's metadata: the published image (`MetadataPublication`), and the controller's decisions,
/// run here when this node is the active controller and forwarded to it otherwise (`ControllerClient`).
/// The broker's own registration and heartbeats are `BrokerLifecycleManager`'s.
///
/// Invariants: controller decisions run one at a time on the active controller, on an image that
/// includes every record committed before them; a decision's records reach the log only if the image
/// accepts them, and its response is sent only after they commit and are replayed here.
public actor MetadataService {
    public nonisolated let clusterID: String
    public nonisolated let nodeID: Int32
    let config: ServerConfig
    let logger: Logger
    nonisolated let clock: NodeClock
    /// The published image, quorum status and high watermark, and the waits on them.
    public nonisolated let publication: MetadataPublication
    /// KIP-599 buckets of the clients whose topic mutations arrive at this node.
    public nonisolated let mutationQuotas: ControllerMutationQuotas
    /// Client quotas on produced and fetched bytes and request time, for the requests reaching this node.
    public nonisolated let clientQuotas: ClientQuotaManager
    let controllerClient: ControllerClient
    /// The node's connections to controller listeners (closed at `stop`, after the quorum's shutdown).
    private let connections: ControllerConnections
    private var lifecycle: BrokerLifecycleManager?
    private var driver: QuorumDriver?
    var generator = SystemRandomNumberGenerator()
    var producerIDs: Range<Int64> = 0..<0
    var sessions = BrokerSessions()
    var sessionsEpoch: Int32 = -1
    /// `bootstrap.checkpoint`'s records, committed with the cluster's first registration (see `BootstrapCheckpoint`).
    var bootstrapRecords: [MetadataRecordAndVersion] = []
    /// When the active controller next looks for leader imbalance and for leaderless partitions to
    /// elect uncleanly (see `MetadataService+Replication`); nil until this node is the active controller.
    var nextLeaderRebalanceMs: Int64?
    var nextUncleanElectionMs: Int64?
    /// Controller decisions run one at a time, in arrival order.
    private var controllerGate = SerialGate()

    /// The latest published image; readable from any thread without waiting for the actor.
    public nonisolated var image: MetadataImage { publication.image }
    /// Who leads the quorum, as last reported by the driver.
    public nonisolated var quorumStatus: QuorumDriver.Status { publication.status }
    /// The controller id told to clients (Metadata, DescribeCluster). As in Kafka's KRaft mode it is a
    /// live broker, not the quorum leader: every broker forwards controller requests, so a client never
    /// keeps sending admin requests to a controller that died. This node when it is unfenced, else the
    /// lowest live broker, else -1.
    public nonisolated var controllerIDForClients: Int32 {
        let image = self.image
        if let me = image.brokers[nodeID], !me.fenced { return nodeID }
        return image.activeBrokers.first?.id ?? -1
    }

    init(config: ServerConfig, clusterID: String, connections: ControllerConnections, clock: NodeClock, logger: Logger) {
        self.config = config
        self.clusterID = clusterID
        self.nodeID = config.nodeID
        self.clock = clock
        self.logger = logger
        self.connections = connections
        publication = MetadataPublication(clock: clock, logger: logger)
        mutationQuotas = ControllerMutationQuotas(config: config)
        clientQuotas = ClientQuotaManager(config: config)
        controllerClient = ControllerClient(nodeID: config.nodeID, listenerName: config.controllerListenerNames.first,
                                            publication: publication, connections: connections, clock: clock, logger: logger)
    }

    func attach(_ driver: QuorumDriver) async {
        self.driver = driver
        await controllerClient.attach(voters: { await driver.voterSet })
    }

    public nonisolated func addPublisher(_ publisher: @escaping MetadataPublication.Publisher) {
        publication.addPublisher(publisher)
    }

    /// Whether this node is the active controller: it leads the quorum and has replayed its epoch's
    /// leader-change entry, so its image holds everything committed before it.
    public nonisolated var isActiveController: Bool {
        let view = publication.view
        guard view.status.isLeader, let start = view.status.epochStartOffset else { return false }
        return view.image.provenance.offset >= start
    }

    /// Returns once a leader is known and this node has replayed up to the high watermark it learned,
    /// logging every 5 s while it waits.
    func waitForCatchUp() async {
        let caughtUp: @Sendable (MetadataPublication.View) -> Bool = { view in
            guard view.status.leaderID != nil, let hw = view.highWatermark else { return false }
            return view.image.provenance.offset + 1 >= hw
        }
        while !Task.isCancelled {
            if await publication.wait(until: caughtUp, deadlineMs: clock.nowMs() + 5_000) { return }
            logger.info("waiting for the metadata quorum", metadata: ["raft.leader": "\(quorumStatus.leaderID.map(String.init) ?? "none")"])
        }
    }

    // MARK: running decisions on the active controller

    /// Runs `decide` on the current image and commits its records; nil when this node is not the active
    /// controller. A commit that fails answers through `failing` with the error.
    func asController<R>(_ decide: (inout SystemRandomNumberGenerator, MetadataImage) -> ControllerResult<R>,
                         failing: (inout R, ErrorCode, String) -> Void) async -> R? {
        await asController({ generator, image, _ in decide(&generator, image) }, failing: failing)
    }

    /// As above, for decisions that need the offset their first record will get (read once the
    /// decision holds the controller, so no other decision moves it meanwhile).
    func asController<R>(_ decide: (inout SystemRandomNumberGenerator, MetadataImage, Int64) -> ControllerResult<R>,
                         failing: (inout R, ErrorCode, String) -> Void) async -> R? {
        if !controllerGate.tryEnter() { await withCheckedContinuation { controllerGate.park($0) } }
        defer { controllerGate.leave() }
        guard isActiveController else { return nil }
        let nextOffset = await driver?.logEndOffset ?? 0
        let result = decide(&generator, image, nextOffset)
        var response = result.response
        do {
            try await commit(result.records)
        } catch let failure as QuorumDriver.AppendFailure {
            failing(&response, failure.code, failure.description)
        } catch {
            logger.error("could not commit metadata records", metadata: ["error": "\(error)"])
            failing(&response, .unknownServerError, "Could not commit the metadata records: \(error)")
        }
        return response
    }

    /// Appends records through the quorum and returns once they are committed and replayed here.
    private func commit(_ records: [MetadataRecordAndVersion]) async throws {
        guard !records.isEmpty, let driver else { return }
        var scratch = MetadataDelta(base: image)
        // Replay first on a scratch delta: a record the image refuses must not reach the log.
        for r in records { try scratch.replay(r.record) }
        let payloads = try records.map { Array(buffer: try MetadataRecordSerde.encode($0)) }
        // The driver hands committed entries to the publication before it answers, so they are replayed here.
        _ = try await driver.append(payloads)
    }

    /// The quorum's voter ids and kraft.version (UpdateFeatures checks them); none before the driver is attached.
    func quorumForFeatures() async -> UpdateFeatures.Quorum {
        guard let driver else { return UpdateFeatures.Quorum(controllerID: nodeID, voters: [], kraftVersion: 0) }
        return UpdateFeatures.Quorum(controllerID: nodeID, voters: await driver.voterSet.voterList.map(\.voterID),
                                     kraftVersion: await driver.kraftVersion)
    }

    /// Sends `request` to the active controller (see `ControllerClient`); nil when none answered in time.
    func controllerCall<R: KafkaRequestMessage>(_ request: R, version: Int16, timeoutMs: Int64 = 15_000,
                                                local: @escaping @Sendable () async -> R.Response?,
                                                notController: @escaping @Sendable (R.Response) -> Bool) async -> R.Response? {
        await controllerClient.call(request, version: version, timeoutMs: timeoutMs, local: local, notController: notController)
    }

    // MARK: this broker's lifecycle

    /// Registers this broker with the active controller and returns once it is registered and
    /// unfenced; heartbeats continue in the background. `previousBrokerEpoch` is the broker epoch this
    /// node wrote at its last clean shutdown, -1 when the last one was not clean (`CleanShutdownFile`).
    public func startBrokerLifecycle(endpoints: [BrokerRegistration.Endpoint], previousBrokerEpoch: Int64 = -1) async throws {
        let lifecycle = BrokerLifecycleManager(
            nodeID: nodeID, clusterID: clusterID, heartbeatIntervalMs: config.brokerHeartbeatIntervalMs, rack: config.brokerRack,
            client: controllerClient,
            publication: publication,
            local: .init(register: { await self.handleBrokerRegistration($0) }, heartbeat: { await self.handleBrokerHeartbeat($0) }),
            clock: clock, logger: logger)
        self.lifecycle = lifecycle
        try await lifecycle.start(endpoints: endpoints, previousBrokerEpoch: previousBrokerEpoch)
    }

    /// This broker's registration epoch, -1 until the controller accepted it.
    public var brokerEpoch: Int64 {
        get async { await lifecycle?.brokerEpoch ?? -1 }
    }

    /// Controlled shutdown: see `BrokerLifecycleManager.stop`.
    func stopBrokerLifecycle() async {
        await lifecycle?.stop()
    }

    func stop() async {
        await lifecycle?.stop()
        await connections.disconnectAll()
    }

    func useBootstrapRecords(_ records: [MetadataRecordAndVersion]) {
        bootstrapRecords = records
    }
}

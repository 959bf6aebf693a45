import KafkaController
import KafkaMetadata
import KafkaProtocol
import Logging
import StromConfig

/// The broker side of KRaft's broker lifecycle: register with the active controller, heartbeat until
/// unfenced and then every `broker.heartbeat.interval.ms`, register again when the controller forgot
/// this broker's epoch, and on shutdown heartbeat until the controller lets this broker go.
///
/// Invariant: `brokerEpoch` is -1 until a registration was accepted, then the epoch that registration
/// got; heartbeats carry it and the metadata offset this node has replayed.
actor BrokerLifecycleManager {
    /// The controller's handlers, for when this node is the active controller.
    struct Local: Sendable {
        var register: @Sendable (BrokerRegistrationRequest) async -> BrokerRegistrationResponse?
        var heartbeat: @Sendable (BrokerHeartbeatRequest) async -> BrokerHeartbeatResponse?
    }

    /// How often heartbeats go while waiting to be unfenced.
    static let unfenceHeartbeatMs: Int64 = 100

    private let nodeID: Int32
    private let clusterID: String
    private let heartbeatIntervalMs: Int64
    private let rack: String?
    private let client: ControllerClient
    private let publication: MetadataPublication
    private let local: Local
    private let clock: NodeClock
    private let logger: Logger
    private let incarnationID = KafkaUUID(mostSignificantBits: UInt64.random(in: 1...UInt64.max),
                                          leastSignificantBits: UInt64.random(in: 1...UInt64.max))
    private(set) var brokerEpoch: Int64 = -1
    private var registration = BrokerRegistrationRequest()
    private var heartbeats: Task<Void, Never>?
    private var shutDown = false

    init(nodeID: Int32, clusterID: String, heartbeatIntervalMs: Int64, rack: String? = nil, client: ControllerClient,
         publication: MetadataPublication, local: Local, clock: NodeClock, logger: Logger) {
        self.rack = rack
        self.nodeID = nodeID
        self.clusterID = clusterID
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.client = client
        self.publication = publication
        self.local = local
        self.clock = clock
        self.logger = logger
    }

    /// Registers and returns once the broker is registered and unfenced; heartbeats go on in the background.
    /// `previousBrokerEpoch` (KIP-966) is the epoch of the last clean shutdown, -1 after an unclean one.
    func start(endpoints: [BrokerRegistration.Endpoint], previousBrokerEpoch: Int64 = -1) async throws {
        var request = BrokerRegistrationRequest()
        request.brokerID = nodeID
        request.clusterID = clusterID
        request.incarnationID = incarnationID
        request.listeners = endpoints.map { .init(name: $0.listenerName, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol) }
        request.features = StromFeatures.supported.map {
            .init(name: $0.name, minSupportedVersion: $0.levels.lowerBound, maxSupportedVersion: $0.levels.upperBound)
        }
        request.rack = rack
        request.previousBrokerEpoch = previousBrokerEpoch
        registration = request
        try await register()
        // The controller unfences a broker on a heartbeat showing it replayed its own registration.
        let nodeID = self.nodeID
        while !Task.isCancelled {
            let epoch = brokerEpoch
            let unfenced: @Sendable (MetadataPublication.View) -> Bool = { view in
                guard let me = view.image.brokers[nodeID] else { return false }
                return me.epoch == epoch && !me.fenced
            }
            if unfenced(publication.view) { break }
            await heartbeatOnce()
            if await publication.wait(until: unfenced, deadlineMs: clock.nowMs() + Self.unfenceHeartbeatMs) { break }
        }
        heartbeats = Task { [clock, heartbeatIntervalMs] in
            while !Task.isCancelled {
                do { try await clock.sleep(forMs: heartbeatIntervalMs) } catch { return }
                await self.heartbeatOnce()
            }
        }
    }

    private func register() async throws {
        let request = registration
        let local = self.local
        while !Task.isCancelled {
            let response = await client.call(request, version: 4, timeoutMs: 15_000, local: { await local.register(request) },
                                             notController: { $0.errorCode == ErrorCode.notController.rawValue })
            if let response, response.errorCode == 0 {
                brokerEpoch = response.brokerEpoch
                logger.info("registered with the controller", metadata: ["kafka.broker_epoch": "\(brokerEpoch)"])
                return
            }
            if let response, response.errorCode == ErrorCode.inconsistentClusterID.rawValue {
                throw StromNode.StartupError(description: "the controller's cluster id differs from this node's (\(clusterID))")
            }
            logger.info("waiting to register with the controller", metadata: ["error": "\(response.map { ErrorCode(rawValue: $0.errorCode) }.map { "\($0)" } ?? "no controller")"])
        }
    }

    @discardableResult
    private func heartbeatOnce(wantShutDown: Bool = false) async -> BrokerHeartbeatResponse? {
        var request = BrokerHeartbeatRequest()
        request.brokerID = nodeID
        request.brokerEpoch = brokerEpoch
        request.currentMetadataOffset = publication.image.provenance.offset
        request.wantShutDown = wantShutDown
        let local = self.local, sent = request
        let response = await client.call(sent, version: 1, timeoutMs: wantShutDown ? 3000 : 5000,
                                         local: { await local.heartbeat(sent) },
                                         notController: { $0.errorCode == ErrorCode.notController.rawValue })
        if response?.errorCode == ErrorCode.staleBrokerEpoch.rawValue && !wantShutDown {
            logger.warning("the controller does not know this broker's epoch; registering again")
            try? await register()
        }
        return response
    }

    /// The longest controlled shutdown waits for the controller's leave.
    static let controlledShutdownTimeoutMs: Int64 = 30_000

    /// Controlled shutdown (Kafka's): stop the periodic heartbeats, then heartbeat asking to shut down
    /// until the controller answers `shouldShutDown`. Meanwhile it moves this broker's leaderships and
    /// ISR places to other replicas, and fences it once the other brokers have replayed that, so clients
    /// and followers move on at once instead of after the session timeout. Gives up after
    /// `controlledShutdownTimeoutMs`, or when no controller answers.
    func stop() async {
        heartbeats?.cancel()
        heartbeats = nil
        guard brokerEpoch >= 0, !shutDown else { return }
        shutDown = true
        let deadline = clock.nowMs() + Self.controlledShutdownTimeoutMs
        // As Kafka's broker: the second heartbeat soon after the first, then at the usual interval.
        var pauseMs: Int64 = 50
        while let response = await heartbeatOnce(wantShutDown: true), response.errorCode == 0, !response.shouldShutDown {
            guard clock.nowMs() + pauseMs < deadline else {
                logger.warning("controlled shutdown timed out; stopping without the controller's leave")
                return
            }
            do { try await clock.sleep(forMs: pauseMs) } catch { return }
            pauseMs = heartbeatIntervalMs
        }
    }
}

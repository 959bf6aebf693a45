import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import Logging
import NIOConcurrencyHelpers
import NIOCore
import StromConfig

/// The node's metadata: the image every broker layer reads, replayed from committed `__cluster_metadata`
/// entries, and the controller operations, run here when this node is the active controller and
/// forwarded to it otherwise.
///
/// Invariants: the published image is exactly the replay of the committed log, in offset order (entries
/// arrive from `QuorumDriver` once committed, each once). Controller decisions run one at a time on the
/// active controller, on an image that includes every record committed before them; a decision's records
/// reach the log only if the image accepts them, and its response is sent only after they commit.
public actor MetadataService {
    /// Called with each delta and the image it produced, in commit order.
    public typealias Publisher = @Sendable (MetadataDelta, MetadataImage) -> Void

    public nonisolated let clusterID: String
    public nonisolated let nodeID: Int32
    let config: ServerConfig
    let logger: Logger
    /// KIP-599 buckets of the clients whose topic mutations arrive at this node.
    public nonisolated let mutationQuotas: ControllerMutationQuotas
    private let replayState: NIOLockedValueBox<(image: MetadataImage, publishers: [Publisher])>
    private let statusBox = NIOLockedValueBox(QuorumDriver.Status(epoch: 0, leaderID: nil, isLeader: false, epochStartOffset: nil))
    private var driver: QuorumDriver?
    var generator = SystemRandomNumberGenerator()
    private var producerIDs: Range<Int64> = 0..<0
    /// This broker's registration epoch, -1 until the controller accepted it.
    public private(set) var brokerEpoch: Int64 = -1
    private let incarnationID = KafkaUUID(mostSignificantBits: UInt64.random(in: 1...UInt64.max),
                                          leastSignificantBits: UInt64.random(in: 1...UInt64.max))
    var sessions = BrokerSessions()
    private var sessionsEpoch: Int32 = -1
    /// Controller decisions run one at a time: later callers wait here in arrival order.
    private var controllerBusy = false
    private var controllerQueue: [CheckedContinuation<Void, Never>] = []
    private var controllerChannels: [Int32: ControllerChannel] = [:]
    private var lifecycleTask: Task<Void, Never>?

    /// The latest published image; readable from any thread without waiting for the actor.
    public nonisolated var image: MetadataImage { replayState.withLockedValue { $0.image } }
    /// Who leads the quorum, as last reported by the driver.
    public nonisolated var quorumStatus: QuorumDriver.Status { statusBox.withLockedValue { $0 } }
    /// The controller id told to clients (Metadata, DescribeCluster). As in Kafka's KRaft mode it is a
    /// live broker, not the quorum leader: every broker forwards controller requests, so a client never
    /// keeps sending admin requests to a controller that died. This node when it is unfenced, else the
    /// lowest live broker, else -1.
    public nonisolated var controllerIDForClients: Int32 {
        let image = self.image
        if let me = image.brokers[nodeID], !me.fenced { return nodeID }
        return image.activeBrokers.first?.id ?? -1
    }

    public init(config: ServerConfig, clusterID: String, logger: Logger) {
        self.config = config
        self.clusterID = clusterID
        self.nodeID = config.nodeID
        self.logger = logger
        mutationQuotas = ControllerMutationQuotas(config: config)
        replayState = NIOLockedValueBox((MetadataImage.empty, []))
    }

    func attach(_ driver: QuorumDriver) {
        self.driver = driver
    }

    public func addPublisher(_ publisher: @escaping Publisher) {
        replayState.withLockedValue { $0.publishers.append(publisher) }
    }

    // MARK: replay (called by the driver, in commit order)

    /// Replays committed entries into a new image and publishes it. A record the image refuses is
    /// logged and skipped: the log is the truth and must not stop the node.
    nonisolated func replayCommitted(firstOffset: Int64, entries: [RaftEntry]) {
        guard !entries.isEmpty else { return }
        // Replays are serialised by the driver. Publishers (the replica manager creating logs) run
        // before the image is published, so no reader sees a partition whose log does not exist yet.
        let (base, publishers) = replayState.withLockedValue { ($0.image, $0.publishers) }
        var delta = MetadataDelta(base: base)
        var provenance = base.provenance
        for (i, entry) in entries.enumerated() {
            let offset = firstOffset + Int64(i)
            provenance = MetadataProvenance(offset: offset, epoch: entry.epoch)
            guard !entry.isControl else { continue }
            do {
                let record = try MetadataRecordSerde.decode(ByteBuffer(bytes: entry.payload))
                try delta.replay(record.record)
            } catch {
                logger.error("skipped a metadata record that does not replay", metadata: ["raft.offset": "\(offset)", "error": "\(error)"])
            }
        }
        let next = delta.apply(provenance: provenance)
        for p in publishers { p(delta, next) }
        replayState.withLockedValue { $0.image = next }
    }

    /// Publishes `next` in place of the current image (a snapshot install), with the change between them.
    nonisolated func replaceImage(with next: MetadataImage) {
        let (base, publishers) = replayState.withLockedValue { ($0.image, $0.publishers) }
        let delta = MetadataDelta.transition(from: base, to: next)
        for p in publishers { p(delta, next) }
        replayState.withLockedValue { $0.image = next }
    }

    nonisolated func statusChanged(_ status: QuorumDriver.Status) {
        statusBox.withLockedValue { $0 = status }
    }

    /// Whether this node is the active controller: it leads the quorum and has replayed its epoch's
    /// leader-change entry, so its image holds everything committed before it.
    public nonisolated var isActiveController: Bool {
        let status = quorumStatus
        guard status.isLeader, let start = status.epochStartOffset else { return false }
        return image.provenance.offset >= start
    }

    /// Waits until a leader is known and this node has replayed up to the high watermark it learned.
    func waitForCatchUp() async {
        var lastLog = BrokerClock.nowMs()
        while !Task.isCancelled {
            if let driver, quorumStatus.leaderID != nil, let hw = await driver.highWatermark,
               image.provenance.offset + 1 >= hw {
                return
            }
            if BrokerClock.nowMs() - lastLog > 5000 {
                lastLog = BrokerClock.nowMs()
                logger.info("waiting for the metadata quorum", metadata: ["raft.leader": "\(quorumStatus.leaderID.map(String.init) ?? "none")"])
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    // MARK: running decisions on the active controller

    private func acquireController() async {
        if controllerBusy {
            await withCheckedContinuation { controllerQueue.append($0) }
        }
        controllerBusy = true
    }

    private func releaseController() {
        if controllerQueue.isEmpty { controllerBusy = false } else { controllerQueue.removeFirst().resume() }
    }

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
        await acquireController()
        defer { releaseController() }
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

    /// Appends records through the quorum and returns once they are committed and replayed.
    private func commit(_ records: [MetadataRecordAndVersion]) async throws {
        guard !records.isEmpty, let driver else { return }
        var scratch = MetadataDelta(base: image)
        // Replay first on a scratch delta: a record the image refuses must not reach the log.
        for r in records { try scratch.replay(r.record) }
        let payloads = try records.map { Array(buffer: try MetadataRecordSerde.encode($0)) }
        _ = try await driver.append(payloads)
    }

    /// Sends `request` to the active controller's controller listener, or runs `local` when that is this
    /// node; retries while there is no active controller (NOT_CONTROLLER, no leader, a failed connection)
    /// until `timeoutMs` passes. nil when no controller answered in time.
    func controllerCall<R: KafkaRequestMessage>(_ request: R, version: Int16, timeoutMs: Int64 = 15_000,
                                                local: () async -> R.Response?,
                                                notController: (R.Response) -> Bool) async -> R.Response? {
        let deadline = BrokerClock.nowMs() + timeoutMs
        while BrokerClock.nowMs() < deadline && !Task.isCancelled {
            let status = quorumStatus
            if status.isLeader {
                if let response = await local(), !notController(response) { return response }
            } else if let leader = status.leaderID, let channel = await channel(to: leader) {
                do {
                    let response = try await channel.send(request, version: version, timeoutMs: min(10_000, max(1, deadline - BrokerClock.nowMs())))
                    if !notController(response) { return response }
                } catch {
                    logger.debug("controller request failed", metadata: ["kafka.controller": "\(leader)", "error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// A connection to `controller`'s controller listener, at the address the quorum's voter set has for
    /// it (controller.quorum.voters, or the latest VotersRecord).
    private func channel(to controller: Int32) async -> ControllerChannel? {
        guard let voter = await driver?.voterSet.voter(controller),
              let endpoint = voter.endpoint(named: config.controllerListenerNames.first) ?? voter.endpoints.first else { return nil }
        if let c = controllerChannels[controller], c.host == endpoint.host, c.port == Int(endpoint.port) { return c }
        let c = ControllerChannel(host: endpoint.host, port: Int(endpoint.port), clientID: "strom-\(nodeID)", logger: logger)
        controllerChannels[controller] = c
        return c
    }

    // MARK: broker registration and heartbeats

    /// Registers this broker with the active controller and keeps heartbeating; returns once the
    /// broker is registered and unfenced. The heartbeat loop continues in the background.
    public func startBrokerLifecycle(endpoints: [BrokerRegistration.Endpoint]) async throws {
        var request = BrokerRegistrationRequest()
        request.brokerID = nodeID
        request.clusterID = clusterID
        request.incarnationID = incarnationID
        request.listeners = endpoints.map { .init(name: $0.listenerName, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol) }
        request.features = [.init(name: "metadata.version", minSupportedVersion: BrokerLifecycle.supportedMetadataVersions.lowerBound,
                                  maxSupportedVersion: BrokerLifecycle.supportedMetadataVersions.upperBound)]
        request.rack = nil
        try await register(request)
        while !Task.isCancelled {
            if let b = image.brokers[nodeID], b.epoch == brokerEpoch, !b.fenced { break }
            await heartbeatOnce(request)
            try? await Task.sleep(for: .milliseconds(100))
        }
        lifecycleTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(self?.config.brokerHeartbeatIntervalMs ?? 2000))
                guard let self, !Task.isCancelled else { return }
                await self.heartbeatOnce(request)
            }
        }
    }

    private func register(_ request: BrokerRegistrationRequest) async throws {
        while !Task.isCancelled {
            let response = await controllerCall(request, version: 4, local: { await self.handleBrokerRegistration(request) },
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

    private func heartbeatOnce(_ registration: BrokerRegistrationRequest, wantShutDown: Bool = false) async {
        var request = BrokerHeartbeatRequest()
        request.brokerID = nodeID
        request.brokerEpoch = brokerEpoch
        request.currentMetadataOffset = image.provenance.offset
        request.wantShutDown = wantShutDown
        let response = await controllerCall(request, version: 1, timeoutMs: wantShutDown ? 3000 : 5000,
                                            local: { await self.handleBrokerHeartbeat(request) },
                                            notController: { $0.errorCode == ErrorCode.notController.rawValue })
        if response?.errorCode == ErrorCode.staleBrokerEpoch.rawValue && !wantShutDown {
            logger.warning("the controller does not know this broker's epoch; registering again")
            try? await register(registration)
        }
    }

    /// Controlled shutdown: stop heartbeating and ask the controller to fence this broker now, so its
    /// partitions lose their leader at once instead of after the session timeout.
    func stopBrokerLifecycle() async {
        lifecycleTask?.cancel()
        lifecycleTask = nil
        guard brokerEpoch >= 0 else { return }
        var registration = BrokerRegistrationRequest()
        registration.brokerID = nodeID
        await heartbeatOnce(registration, wantShutDown: true)
    }

    /// BrokerRegistration at the active controller (nil: not the active controller).
    func handleBrokerRegistration(_ request: BrokerRegistrationRequest) async -> BrokerRegistrationResponse? {
        let clusterID = self.clusterID
        let response = await asController({ _, image, nextOffset in
            BrokerLifecycle.register(request, image: image, clusterID: clusterID, nextOffset: nextOffset)
        }, failing: { r, code, _ in r.errorCode = code.rawValue })
        if response?.errorCode == 0 { sessions.touch(request.brokerID, now: BrokerClock.nowMs()) }
        return response
    }

    /// BrokerHeartbeat at the active controller (nil: not the active controller). A heartbeat that
    /// changes nothing (the usual one) is answered from the current image at once, without queueing
    /// behind controller decisions: a long CreateTopics must not starve heartbeats into fencing.
    func handleBrokerHeartbeat(_ request: BrokerHeartbeatRequest) async -> BrokerHeartbeatResponse? {
        guard isActiveController else { return nil }
        resetSessionsIfNewEpoch()
        sessions.touch(request.brokerID, now: BrokerClock.nowMs())
        let quick = BrokerLifecycle.heartbeat(request, image: image)
        if quick.records.isEmpty { return quick.response }
        return await asController({ _, image in BrokerLifecycle.heartbeat(request, image: image) },
                                  failing: { r, code, _ in r.errorCode = code.rawValue })
    }

    private func resetSessionsIfNewEpoch() {
        let epoch = quorumStatus.epoch
        if epoch != sessionsEpoch {
            sessionsEpoch = epoch
            sessions.reset(brokers: image.brokers.keys, now: BrokerClock.nowMs())
        }
    }

    /// Fences brokers whose session expired; the active controller runs it every second.
    func fenceExpiredBrokers() async {
        guard isActiveController else { return }
        resetSessionsIfNewEpoch()
        let timeout = config.brokerSessionTimeoutMs
        let expired = sessions.expired(image: image, now: BrokerClock.nowMs(), sessionTimeoutMs: timeout)
        for broker in expired {
            logger.warning("fencing a broker whose session expired", metadata: ["kafka.broker": "\(broker.id)", "timeout.ms": "\(timeout)"])
            let stillExpired = { (image: MetadataImage) in
                self.sessions.expired(image: image, now: BrokerClock.nowMs(), sessionTimeoutMs: timeout).contains { $0.id == broker.id }
            }
            _ = await asController({ _, image in
                // Re-checked under the controller: a heartbeat may have arrived while this waited.
                guard stillExpired(image), let current = image.brokers[broker.id] else { return ControllerResult(response: ()) }
                return ControllerResult(records: BrokerLifecycle.fence(current, image: image), response: ())
            }, failing: { _, _, _ in })
        }
    }

    // MARK: producer ids

    /// The next producer id, reserving a new block from the controller when the current one runs out.
    public func nextProducerID() async throws -> Int64 {
        if producerIDs.isEmpty {
            let request = AllocateProducerIdsRequest(brokerID: nodeID, brokerEpoch: brokerEpoch)
            guard let response = await controllerCall(request, version: 0, local: { await self.handleAllocateProducerIDs(request) },
                                                      notController: { $0.errorCode == ErrorCode.notController.rawValue }),
                  response.errorCode == 0, response.producerIDLen > 0, response.producerIDStart >= 0,
                  response.producerIDStart <= Int64.max - Int64(response.producerIDLen) else {
                throw QuorumDriver.AppendFailure(code: .notController, description: "no controller allocated producer ids")
            }
            producerIDs = response.producerIDStart..<(response.producerIDStart + Int64(response.producerIDLen))
        }
        return producerIDs.popFirst()!
    }

    func handleAllocateProducerIDs(_ request: AllocateProducerIdsRequest) async -> AllocateProducerIdsResponse? {
        await asController({ _, image in
            guard let broker = image.brokers[request.brokerID], broker.epoch == request.brokerEpoch else {
                return ControllerResult(response: AllocateProducerIdsResponse(errorCode: ErrorCode.staleBrokerEpoch.rawValue))
            }
            let (range, record) = ProducerIDBlocks.allocate(image: image, brokerID: request.brokerID, brokerEpoch: request.brokerEpoch)
            return ControllerResult(records: [record], response: AllocateProducerIdsResponse(
                producerIDStart: range.lowerBound, producerIDLen: Int32(range.count)))
        }, failing: { r, code, _ in r.errorCode = code.rawValue })
    }

    func stop() async {
        lifecycleTask?.cancel()
        for c in controllerChannels.values { await c.disconnect() }
    }
}

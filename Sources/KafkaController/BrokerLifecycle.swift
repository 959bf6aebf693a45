import KafkaMetadata
import KafkaProtocol

/// The active controller's decisions about broker liveness, as Kafka's `ReplicationControlManager`,
/// `ClusterControlManager` and `BrokerHeartbeatManager` make them. Pure: requests + image (+ what the
/// controller remembers of sessions) -> records and responses.
///
/// A broker is in one of Kafka's control states: FENCED, UNFENCED, CONTROLLED_SHUTDOWN (unfenced, marked
/// in its registration, leading nothing once its leaderships moved) and SHUTDOWN_NOW (fenced, told
/// `shouldShutDown`). Invariants: a broker registers fenced and is unfenced by a heartbeat only once it
/// has replayed the metadata up to its own registration; a fenced broker, or one in controlled
/// shutdown, leads nothing and is in no ISR (without the ELR: none it is not the last member of;
/// `LeaderAndISRUpdates`); an unfenced broker leads again the leaderless partitions whose ISR, or
/// whose ELR when the ISR is empty, holds it (or whose last known leader it is).
public enum BrokerLifecycle {
    /// The metadata.version Strom writes and the range it supports (Kafka 3.9's 3.9-IV0 is 21).
    public static let metadataVersion: Int16 = 21
    public static let supportedMetadataVersions: ClosedRange<Int16> = 7...21

    /// BrokerRegistration: a RegisterBrokerRecord (fenced) whose offset becomes the broker epoch.
    /// `nextOffset` is where the first record will land; the registration record is written last. The
    /// first registration the controller handles without them also finalizes metadata.version and
    /// `eligible.leader.replicas.version` (`EligibleLeaderReplicas`).
    ///
    /// A new incarnation replacing a registered one first takes the old one out of every ISR and
    /// leadership, as fencing it would (Kafka refuses such a registration until the old session expired
    /// and fenced it; the state reached is the same, without the wait). It shut down cleanly when its
    /// PreviousBrokerEpoch (KIP-966; -1 before v2) is the registered broker epoch: it wrote that epoch at
    /// its clean shutdown, after flushing every log. Otherwise, with the ELR on, it also leaves every
    /// ELR, and the ISR even as its last member (Kafka's `handleBrokerUncleanShutdown`): its log may have
    /// lost what it had not flushed, so it must not lead, nor count as in sync or eligible, until it
    /// caught up again. Without the ELR the last member of an ISR keeps its place, as in Kafka 3.9.
    ///
    /// The cluster's first registration (no metadata.version yet) also commits `bootstrap`, the records of
    /// the active controller's `bootstrap.checkpoint` (SCRAM users from `strom format --add-scram`).
    public static func register(_ request: BrokerRegistrationRequest, image: MetadataImage, clusterID: String,
                                nextOffset: Int64, unclean: UncleanLeaderElection,
                                bootstrap: [MetadataRecordAndVersion] = []) -> ControllerResult<BrokerRegistrationResponse> {
        var response = BrokerRegistrationResponse()
        guard request.clusterID == clusterID else {
            response.errorCode = ErrorCode.inconsistentClusterID.rawValue
            return ControllerResult(response: response)
        }
        // A range with min > max is malformed (and must not reach a ClosedRange). Host names longer than
        // DNS allows, and listener names or racks as long, are refused: every Metadata answer repeats them.
        let names = request.listeners.flatMap { [$0.name, $0.host] } + [request.rack].compactMap { $0 }
        guard request.features.allSatisfy({ $0.minSupportedVersion <= $0.maxSupportedVersion }),
              names.allSatisfy({ $0.utf8.count <= 255 }) else {
            response.errorCode = ErrorCode.invalidRegistration.rawValue
            return ControllerResult(response: response)
        }
        // The cluster's metadata.version: the one finalized (UpdateFeatures may have changed it), else
        // the one this registration will finalize.
        let clusterMetadataVersion = image.features[MetadataVersion.featureName] ?? metadataVersion
        if let mv = request.features.first(where: { $0.name == MetadataVersion.featureName }),
           !(mv.minSupportedVersion...mv.maxSupportedVersion).contains(clusterMetadataVersion) {
            response.errorCode = ErrorCode.unsupportedVersion.rawValue
            return ControllerResult(response: response)
        }
        if let refusal = TransactionVersionFeature.registrationProblem(request, image: image) {
            response.errorCode = refusal.rawValue
            return ControllerResult(response: response)
        }
        if let existing = image.brokers[request.brokerID], existing.incarnationID == request.incarnationID {
            // A retried registration of the same incarnation keeps its epoch.
            response.brokerEpoch = existing.epoch
            return ControllerResult(response: response)
        }
        var records: [MetadataRecordAndVersion] = []
        var working = MetadataDelta(base: image)
        var finalized = [("metadata.version", metadataVersion), (EligibleLeaderReplicas.featureName, EligibleLeaderReplicas.featureLevel)]
        if TransactionVersionFeature.canFinalize(request, image: image) {
            finalized.append((TransactionVersionFeature.featureName, TransactionVersionFeature.finalizedLevel))
        }
        let firstRecords = image.features["metadata.version"] == nil
        for (name, level) in finalized where image.features[name] == nil {
            let record = MetadataRecordAndVersion(FeatureLevelRecord(name: name, featureLevel: level), version: 0)
            try? working.replay(record.record)
            records.append(record)
        }
        if firstRecords {
            for record in bootstrap where !(record.record is FeatureLevelRecord) {
                try? working.replay(record.record)
                records.append(record)
            }
        }
        if let existing = image.brokers[request.brokerID] {
            let id = request.brokerID, current = working.current
            let uncleanShutdown = request.previousBrokerEpoch != existing.epoch && EligibleLeaderReplicas.isEnabled(current)
            records += LeaderAndISRUpdates.generate(image: current, unclean: unclean, removing: id,
                                                    uncleanShutdown: uncleanShutdown ? id : nil) {
                $0.isr.contains(id) || $0.leader == id || (uncleanShutdown && $0.elr.contains(id))
            }
        }
        let epoch = nextOffset + Int64(records.count)
        let registration = BrokerRegistration(
            id: request.brokerID, incarnationID: request.incarnationID, epoch: epoch,
            endpoints: request.listeners.map { .init(listenerName: $0.name, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol) },
            rack: request.rack, fenced: true,
            supportedFeatures: Dictionary(request.features.map { ($0.name, $0.minSupportedVersion...$0.maxSupportedVersion) },
                                          uniquingKeysWith: { a, _ in a })
        )
        records.append(MetadataRecordAndVersion(registration.record, version: 2))
        response.brokerEpoch = epoch
        return ControllerResult(records: records, response: response)
    }

    /// Kafka's broker control states (see the type's comment).
    public enum ControlState: Sendable, Hashable {
        case fenced, unfenced, controlledShutdown, shutdownNow

        var isFenced: Bool { self == .fenced || self == .shutdownNow }
    }

    /// The state `broker` is in according to the image.
    public static func controlState(of broker: BrokerRegistration) -> ControlState {
        broker.fenced ? .fenced : broker.inControlledShutdown ? .controlledShutdown : .unfenced
    }

    /// BrokerHeartbeat: STALE_BROKER_EPOCH for an unknown broker or epoch; otherwise the broker moves
    /// between control states as Kafka's `BrokerHeartbeatManager.calculateNextBrokerState` says:
    /// - FENCED: asked to shut down -> SHUTDOWN_NOW; else, once caught up with its registration and not
    ///   asking to be fenced -> UNFENCED.
    /// - UNFENCED: asked to be fenced -> FENCED (SHUTDOWN_NOW when also shutting down); asked to shut
    ///   down -> CONTROLLED_SHUTDOWN while it leads partitions, else SHUTDOWN_NOW.
    /// - CONTROLLED_SHUTDOWN: -> SHUTDOWN_NOW once it leads nothing and every active broker reported a
    ///   metadata offset at or past the one it entered controlled shutdown at (`sessions`).
    /// Entering CONTROLLED_SHUTDOWN marks the registration and moves leaderships and ISR memberships away;
    /// SHUTDOWN_NOW and FENCED fence it; UNFENCED unfences it. `shouldShutDown` is true in SHUTDOWN_NOW only.
    public static func heartbeat(_ request: BrokerHeartbeatRequest, image: MetadataImage, unclean: UncleanLeaderElection,
                                 sessions: BrokerSessions) -> ControllerResult<BrokerHeartbeatResponse> {
        var response = BrokerHeartbeatResponse()
        guard let broker = image.brokers[request.brokerID], broker.epoch == request.brokerEpoch else {
            response.errorCode = ErrorCode.staleBrokerEpoch.rawValue
            return ControllerResult(response: response)
        }
        let caughtUp = request.currentMetadataOffset >= broker.epoch
        let leads = leadsAnything(broker.id, image: image)
        let current = controlState(of: broker)
        let next: ControlState
        switch current {
        case .fenced, .shutdownNow:
            if request.wantShutDown {
                next = .shutdownNow
            } else {
                next = !request.wantFence && caughtUp ? .unfenced : .fenced
            }
        case .unfenced:
            if request.wantFence {
                next = request.wantShutDown ? .shutdownNow : .fenced
            } else if request.wantShutDown {
                next = leads ? .controlledShutdown : .shutdownNow
            } else {
                next = .unfenced
            }
        case .controlledShutdown:
            let enteredAt = sessions.controlledShutdownOffsets[broker.id] ?? image.provenance.offset
            next = !leads && enteredAt <= sessions.lowestActiveOffset(image: image) ? .shutdownNow : .controlledShutdown
        }
        var records: [MetadataRecordAndVersion] = []
        switch (current.isFenced, next) {
        case (false, .fenced), (false, .shutdownNow):
            records = fence(broker, image: image, unclean: unclean)
        case (true, .unfenced):
            records = unfence(broker, image: image, unclean: unclean)
        case (false, .controlledShutdown) where leads || current != .controlledShutdown:
            // Entering it; or still leading something, which only a leader elected meanwhile can be.
            records = enterControlledShutdown(broker, image: image, unclean: unclean)
        default:
            break
        }
        response.isCaughtUp = caughtUp
        response.isFenced = next.isFenced
        response.shouldShutDown = next == .shutdownNow
        return ControllerResult(records: records, response: response)
    }

    static func leadsAnything(_ broker: Int32, image: MetadataImage) -> Bool {
        image.topicsByID.values.contains { $0.partitions.values.contains { $0.leader == broker } }
    }

    /// Fences `broker`: every partition whose ISR holds it loses it (to the ELR when the ISR falls below
    /// min.insync.replicas; without the ELR, unless it is the last member) and gets a new leader where it
    /// led; then its registration change. An ELR keeps it: fenced, it is just not electable.
    public static func fence(_ broker: BrokerRegistration, image: MetadataImage, unclean: UncleanLeaderElection) -> [MetadataRecordAndVersion] {
        LeaderAndISRUpdates.generate(image: image, unclean: unclean, removing: broker.id) {
            $0.isr.contains(broker.id) || $0.leader == broker.id
        } + [MetadataRecordAndVersion(BrokerRegistrationChangeRecord(brokerID: broker.id, brokerEpoch: broker.epoch, fenced: 1), version: 0)]
    }

    /// Unfences `broker`: its registration change, then it leads every leaderless partition whose ISR
    /// holds it, or whose ELR does when the ISR is empty (the first such replica in replica order), or
    /// whose last known leader it is when both are empty; and, where the topic allows unclean election,
    /// every leaderless partition it is a replica of with no one else to elect.
    public static func unfence(_ broker: BrokerRegistration, image: MetadataImage, unclean: UncleanLeaderElection) -> [MetadataRecordAndVersion] {
        [MetadataRecordAndVersion(BrokerRegistrationChangeRecord(brokerID: broker.id, brokerEpoch: broker.epoch, fenced: -1), version: 0)]
            + LeaderAndISRUpdates.generate(image: image, unclean: unclean, adding: broker.id) { !$0.hasLeader }
    }

    /// Controlled shutdown begins: the registration is marked (unless it is already), then every
    /// partition whose ISR holds `broker` loses it (as in `fence`) and gets another leader where it led,
    /// or none when no other ISR member may lead.
    public static func enterControlledShutdown(_ broker: BrokerRegistration, image: MetadataImage,
                                               unclean: UncleanLeaderElection) -> [MetadataRecordAndVersion] {
        var records: [MetadataRecordAndVersion] = []
        if !broker.inControlledShutdown {
            // InControlledShutdown exists from version 1 of the record.
            records.append(MetadataRecordAndVersion(
                BrokerRegistrationChangeRecord(brokerID: broker.id, brokerEpoch: broker.epoch, inControlledShutdown: 1), version: 1))
        }
        return records + LeaderAndISRUpdates.generate(image: image, unclean: unclean, removing: broker.id) {
            $0.isr.contains(broker.id) || $0.leader == broker.id
        }
    }
}

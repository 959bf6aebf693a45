import KafkaMetadata
import KafkaProtocol

/// The active controller's decisions about broker liveness, as Kafka's `ReplicationControlManager` and
/// `BrokerHeartbeatManager` make them. Pure: requests + image (+ `now`) -> records and responses.
///
/// Invariants: a broker registers fenced and is unfenced by a heartbeat only once it has replayed the
/// metadata up to its own registration; a broker whose session expires is fenced and every partition it
/// leads loses its leader (leader -1, a new leader epoch) - without replication there is no other
/// replica to elect - and gets it back when the broker is unfenced.
public enum BrokerLifecycle {
    /// The metadata.version Strom writes and the range it supports (Kafka 3.9's 3.9-IV0 is 21).
    public static let metadataVersion: Int16 = 21
    public static let supportedMetadataVersions: ClosedRange<Int16> = 7...21

    /// BrokerRegistration: a RegisterBrokerRecord (fenced) whose offset becomes the broker epoch.
    /// `nextOffset` is where the first record will land; the registration record is written last.
    public static func register(_ request: BrokerRegistrationRequest, image: MetadataImage, clusterID: String,
                                nextOffset: Int64) -> ControllerResult<BrokerRegistrationResponse> {
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
        if let mv = request.features.first(where: { $0.name == "metadata.version" }),
           !(mv.minSupportedVersion...mv.maxSupportedVersion).contains(metadataVersion) {
            response.errorCode = ErrorCode.unsupportedVersion.rawValue
            return ControllerResult(response: response)
        }
        if let existing = image.brokers[request.brokerID], existing.incarnationID == request.incarnationID {
            // A retried registration of the same incarnation keeps its epoch.
            response.brokerEpoch = existing.epoch
            return ControllerResult(response: response)
        }
        var records: [MetadataRecordAndVersion] = []
        if image.features["metadata.version"] == nil {
            records.append(MetadataRecordAndVersion(FeatureLevelRecord(name: "metadata.version", featureLevel: metadataVersion), version: 0))
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

    /// BrokerHeartbeat: STALE_BROKER_EPOCH for an unknown incarnation; otherwise unfences a fenced broker
    /// that has caught up to its registration (and hands its partitions back), or fences one that asks to be.
    public static func heartbeat(_ request: BrokerHeartbeatRequest, image: MetadataImage) -> ControllerResult<BrokerHeartbeatResponse> {
        var response = BrokerHeartbeatResponse()
        guard let broker = image.brokers[request.brokerID], broker.epoch == request.brokerEpoch else {
            response.errorCode = ErrorCode.staleBrokerEpoch.rawValue
            return ControllerResult(response: response)
        }
        let caughtUp = request.currentMetadataOffset >= broker.epoch
        response.isCaughtUp = caughtUp
        var records: [MetadataRecordAndVersion] = []
        if broker.fenced && caughtUp && !request.wantFence && !request.wantShutDown {
            records = unfence(broker, image: image)
            response.isFenced = false
        } else if !broker.fenced && (request.wantFence || request.wantShutDown) {
            records = fence(broker, image: image)
            response.isFenced = true
        } else {
            response.isFenced = broker.fenced
        }
        response.shouldShutDown = request.wantShutDown
        return ControllerResult(records: records, response: response)
    }

    /// Fences `broker`: its registration change, then leader -1 for every partition it leads.
    public static func fence(_ broker: BrokerRegistration, image: MetadataImage) -> [MetadataRecordAndVersion] {
        var records = [MetadataRecordAndVersion(BrokerRegistrationChangeRecord(brokerID: broker.id, brokerEpoch: broker.epoch, fenced: 1), version: 0)]
        for (topicID, topic) in image.topicsByID.sorted(by: { $0.value.name < $1.value.name }) {
            for (index, p) in topic.partitions.sorted(by: { $0.key < $1.key }) where p.leader == broker.id {
                var change = PartitionChangeRecord()
                change.topicID = topicID
                change.partitionID = index
                change.leader = -1
                records.append(MetadataRecordAndVersion(change, version: 0))
            }
        }
        return records
    }

    /// Unfences `broker`: its registration change, then it leads again every leaderless partition whose
    /// first in-sync replica it is.
    public static func unfence(_ broker: BrokerRegistration, image: MetadataImage) -> [MetadataRecordAndVersion] {
        var records = [MetadataRecordAndVersion(BrokerRegistrationChangeRecord(brokerID: broker.id, brokerEpoch: broker.epoch, fenced: -1), version: 0)]
        for (topicID, topic) in image.topicsByID.sorted(by: { $0.value.name < $1.value.name }) {
            for (index, p) in topic.partitions.sorted(by: { $0.key < $1.key }) where p.leader < 0 && (p.isr.first ?? p.replicas.first) == broker.id {
                var change = PartitionChangeRecord()
                change.topicID = topicID
                change.partitionID = index
                change.leader = broker.id
                records.append(MetadataRecordAndVersion(change, version: 0))
            }
        }
        return records
    }
}

/// When each broker last heartbeated, as the active controller saw it. A new active controller starts
/// every known broker's session afresh (`reset`), as Kafka's does, so a failover fences no one by itself.
public struct BrokerSessions: Sendable {
    public private(set) var lastContact: [Int32: Int64] = [:]

    public init() {}

    public mutating func reset(brokers: some Sequence<Int32>, now: Int64) {
        lastContact = Dictionary(brokers.map { ($0, now) }, uniquingKeysWith: { a, _ in a })
    }

    public mutating func touch(_ broker: Int32, now: Int64) {
        lastContact[broker] = now
    }

    /// Unfenced brokers whose last contact is older than `sessionTimeoutMs`.
    public func expired(image: MetadataImage, now: Int64, sessionTimeoutMs: Int64) -> [BrokerRegistration] {
        image.brokers.values.filter { b in
            !b.fenced && now - (lastContact[b.id] ?? now) > sessionTimeoutMs
        }.sorted { $0.id < $1.id }
    }
}

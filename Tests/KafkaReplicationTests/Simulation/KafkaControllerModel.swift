import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaReplication

/// The real controller behind the simulation: a `MetadataImage` holding the three brokers and the one
/// partition, changed only by replaying the records `KafkaController`'s decisions return, as the active
/// controller commits them. Each model call becomes the request a broker would send (or the decision the
/// controller takes by itself) and every answer is read from the image.
///
/// - register: a BrokerRegistrationRequest from the incarnation (`BrokerLifecycle.register`); a clean
///   shutdown sends the previous broker epoch, an unclean one -1 (KIP-966's PreviousBrokerEpoch). The
///   broker epoch is the offset of the registration record. The first one finalizes
///   eligible.leader.replicas.version, as on every Strom cluster: the ELR is on.
/// - unfence: a BrokerHeartbeatRequest that has replayed the image (`BrokerLifecycle.heartbeat`).
/// - fence: session expiry (`BrokerLifecycle.fence`, as the controller's session check calls it).
/// - AlterPartition: version 3 with the proposal's ISR and broker epochs (`AlterPartition.alter`).
/// Unclean leader election is off (the broker default); min.insync.replicas is the simulation's, as the
/// brokers' (the broker default the controller's ELR follows).
struct KafkaControllerModel: ReplicationControllerModel {
    static let clusterID = "simulation"
    static let topicName = "sim"
    static let topicID = KafkaUUID(mostSignificantBits: 0x5157, leastSignificantBits: 1)

    private(set) var image: MetadataImage
    private(set) var registration: LeaderAndIsr
    private let unclean: UncleanLeaderElection

    /// The topic's partition 0 with `replicas`, all in the ISR, no leader; no broker registered yet.
    init(replicas: [Int32], minInsyncReplicas: Int = 1) {
        unclean = UncleanLeaderElection(brokerDefault: false, minInsyncReplicasDefault: Int32(minInsyncReplicas))
        image = MetadataImage()
        registration = LeaderAndIsr(leader: -1, leaderEpoch: 0, partitionEpoch: 0, isr: replicas, replicas: replicas)
        let partition = PartitionRecord(partitionID: 0, topicID: Self.topicID, replicas: replicas, isr: replicas,
                                        leader: -1, leaderEpoch: 0, partitionEpoch: 0)
        replay([MetadataRecordAndVersion(TopicRecord(name: Self.topicName, topicID: Self.topicID), version: 0),
                MetadataRecordAndVersion(partition, version: 0)])
    }

    private var partition: PartitionRegistration { image.topic(id: Self.topicID)!.partitions[0]! }

    var eligibleLeaderReplicas: [Int32] { partition.elr }
    var electedUncleanly: Bool { partition.leader >= 0 && partition.leaderRecoveryState == LeaderRecoveryState.recovering }
    /// The ISR and the ELR empty and no last known leader: only an unclean election could elect.
    var isOfflineForGood: Bool { partition.isr.isEmpty && partition.elr.isEmpty && partition.lastKnownElr.isEmpty && partition.leader < 0 }

    func brokerStatus(_ brokerId: Int32) -> FollowerBrokerStatus {
        guard let broker = image.brokers[brokerId] else { return FollowerBrokerStatus(aliveBrokerEpoch: nil, isFenced: true) }
        return FollowerBrokerStatus(aliveBrokerEpoch: broker.epoch, isFenced: broker.fenced, isShuttingDown: broker.inControlledShutdown)
    }

    mutating func registerBroker(_ brokerId: Int32, incarnation: Int, cleanShutdown: Bool) -> Int64 {
        var request = BrokerRegistrationRequest()
        request.brokerID = brokerId
        request.clusterID = Self.clusterID
        request.incarnationID = KafkaUUID(mostSignificantBits: UInt64(brokerId), leastSignificantBits: UInt64(incarnation) + 1)
        var listener = BrokerRegistrationRequest.Listener()
        listener.name = "PLAINTEXT"
        listener.host = "broker-\(brokerId)"
        listener.port = 9092
        request.listeners = [listener]
        var metadataVersion = BrokerRegistrationRequest.Feature()
        metadataVersion.name = "metadata.version"
        metadataVersion.minSupportedVersion = BrokerLifecycle.supportedMetadataVersions.lowerBound
        metadataVersion.maxSupportedVersion = BrokerLifecycle.supportedMetadataVersions.upperBound
        request.features = [metadataVersion]
        request.previousBrokerEpoch = cleanShutdown ? image.brokers[brokerId]?.epoch ?? -1 : -1
        let result = BrokerLifecycle.register(request, image: image, clusterID: Self.clusterID,
                                              nextOffset: image.provenance.offset + 1, unclean: unclean)
        precondition(result.response.errorCode == 0, "registration refused: \(result.response.errorCode)")
        replay(result.records)
        return result.response.brokerEpoch
    }

    mutating func unfenceBroker(_ brokerId: Int32) -> Bool {
        guard let broker = image.brokers[brokerId] else { return false }
        var request = BrokerHeartbeatRequest()
        request.brokerID = brokerId
        request.brokerEpoch = broker.epoch
        request.currentMetadataOffset = image.provenance.offset
        let result = BrokerLifecycle.heartbeat(request, image: image, unclean: unclean, sessions: BrokerSessions())
        return replay(result.records)
    }

    mutating func fenceBroker(_ brokerId: Int32) -> Bool {
        guard let broker = image.brokers[brokerId], !broker.fenced else { return false }
        return replay(BrokerLifecycle.fence(broker, image: image, unclean: unclean))
    }

    mutating func alterPartition(_ proposal: AlterPartitionProposal, brokerEpoch: Int64) -> Result<LeaderAndIsr, ReplicationError> {
        typealias PartitionData = AlterPartitionRequest.TopicData.PartitionData
        var data = PartitionData()
        data.partitionIndex = 0
        data.leaderEpoch = proposal.leaderEpoch
        data.partitionEpoch = proposal.partitionEpoch
        data.leaderRecoveryState = LeaderRecoveryState.recovered
        data.newIsrWithEpochs = proposal.newIsrWithEpochs.map {
            var state = PartitionData.BrokerState()
            state.brokerID = $0.brokerId
            state.brokerEpoch = $0.brokerEpoch
            return state
        }
        var topic = AlterPartitionRequest.TopicData()
        topic.topicID = Self.topicID
        topic.partitions = [data]
        var request = AlterPartitionRequest()
        request.brokerID = proposal.leader
        request.brokerEpoch = brokerEpoch
        request.topics = [topic]
        let result = AlterPartition.alter(request, version: 3, image: image, unclean: unclean)
        replay(result.records)
        if result.response.errorCode != 0 { return .failure(ReplicationError(code: result.response.errorCode)) }
        guard let answer = result.response.topics.first?.partitions.first else { return .failure(.unknownTopicOrPartition) }
        if answer.errorCode != 0 { return .failure(ReplicationError(code: answer.errorCode)) }
        return .success(LeaderAndIsr(leader: answer.leaderID, leaderEpoch: answer.leaderEpoch,
                                     partitionEpoch: answer.partitionEpoch, isr: answer.isr))
    }

    /// Commits `records`: replays them onto the image at the next offsets. Returns whether there were any.
    @discardableResult
    private mutating func replay(_ records: [MetadataRecordAndVersion]) -> Bool {
        guard !records.isEmpty else { return false }
        var delta = MetadataDelta(base: image)
        for record in records {
            do { try delta.replay(record.record) } catch { preconditionFailure("the controller's record does not replay: \(error)") }
        }
        image = delta.apply(provenance: MetadataProvenance(offset: image.provenance.offset + Int64(records.count), epoch: 1))
        let partition = image.topic(id: Self.topicID)!.partitions[0]!
        registration = LeaderAndIsr(leader: partition.leader, leaderEpoch: partition.leaderEpoch,
                                    partitionEpoch: partition.partitionEpoch, isr: partition.isr, replicas: partition.replicas)
        return true
    }
}

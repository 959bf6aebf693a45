import KafkaMetadata
import KafkaProtocol

/// UnregisterBroker (KIP-500's decommissioning), decided as Kafka 3.9's
/// `ReplicationControlManager.unregisterBroker`: BROKER_ID_NOT_REGISTERED for a broker the image does
/// not hold; otherwise, whatever its state (Kafka refuses no live broker), it leaves every ISR it is
/// in and every leadership it holds, as fencing it would (partitions whose ELR holds it are looked at
/// too, so a leaderless one may elect someone else), and then an UnregisterBrokerRecord with its epoch
/// removes its registration. Its place in replica sets stays: reassignments move those.
///
/// A node that is still running registers again at its next heartbeat, which the controller answers
/// STALE_BROKER_EPOCH (`BrokerLifecycleManager`); the API is meant for nodes that are gone for good.
public enum UnregisterBroker {
    public static func handle(_ request: UnregisterBrokerRequest, image: MetadataImage,
                              unclean: UncleanLeaderElection) -> ControllerResult<UnregisterBrokerResponse> {
        guard let broker = image.brokers[request.brokerID] else {
            return ControllerResult(response: UnregisterBrokerResponse(errorCode: ErrorCode.brokerIDNotRegistered.rawValue))
        }
        let id = broker.id
        let records = LeaderAndISRUpdates.generate(image: image, unclean: unclean, removing: id) {
            $0.isr.contains(id) || $0.leader == id || $0.elr.contains(id)
        }
        let unregistration = MetadataRecordAndVersion(UnregisterBrokerRecord(brokerID: id, brokerEpoch: broker.epoch), version: 0)
        return ControllerResult(records: records + [unregistration], response: UnregisterBrokerResponse())
    }
}

import KafkaMetadata
import KafkaProtocol

/// The leader and ISR changes that follow a broker's state change, over many partitions at once (Kafka's
/// `ReplicationControlManager.generateLeaderAndIsrUpdates`). Pure.
///
/// For every partition `selected` picks (in topic name, then partition order): `removing` leaves the
/// ISR and may not lead; `adding` may lead although the image still shows it fenced (it is being
/// unfenced); `uncleanShutdown` (a broker back from an unclean shutdown) leaves the ISR and the eligible
/// leader replicas and may not lead; everyone else may lead when `MetadataImage.isAcceptableLeader` says
/// so. A partition whose leader is no longer valid gets a new one (see `PartitionChangeBuilder`): from
/// its ISR, else from its ELR, else its last known leader, else an unclean one when its topic allows it,
/// or none (-1). Without the ELR (`EligibleLeaderReplicas.isEnabled`) the ISR's last member stays.
enum LeaderAndISRUpdates {
    static func generate(image: MetadataImage, unclean: UncleanLeaderElection, removing: Int32? = nil, adding: Int32? = nil,
                         uncleanShutdown: Int32? = nil, selected: (PartitionRegistration) -> Bool) -> [MetadataRecordAndVersion] {
        var records: [MetadataRecordAndVersion] = []
        let leaving = [removing, uncleanShutdown].compactMap { $0 }
        let acceptable = { (broker: Int32) in
            !leaving.contains(broker) && (broker == adding || image.isAcceptableLeader(broker))
        }
        for name in image.topicNames {
            guard let topic = image.topic(named: name) else { continue }
            let election = unclean.onlineElection(topic: name, image: image)
            for index in topic.partitionIndexes {
                let partition = topic.partitions[index]!
                guard selected(partition) else { continue }
                var builder = PartitionChangeBuilder(partition: partition, topicID: topic.id, partitionID: index,
                                                     isAcceptableLeader: acceptable)
                builder.election = election
                builder.followELR(topic: name, image: image, defaults: unclean)
                builder.targetISR = partition.isr.filter { !leaving.contains($0) }
                builder.uncleanShutdownReplicas = uncleanShutdown.map { [$0] } ?? []
                if let change = builder.build() {
                    records.append(MetadataRecordAndVersion(change, version: change.lowestVersion))
                }
            }
        }
        return records
    }
}

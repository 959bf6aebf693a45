import KafkaMetadata
import KafkaProtocol

/// The leader and ISR changes that follow a broker's state change, over many partitions at once (Kafka's
/// `ReplicationControlManager.generateLeaderAndIsrUpdates`). Pure.
///
/// For every partition `selected` picks (in topic name, then partition order): `removing` leaves the
/// ISR (unless it is the last member: the ISR is never emptied) and may not lead; `adding` may lead
/// although the image still shows it fenced (it is being unfenced); everyone else may lead when
/// `MetadataImage.isAcceptableLeader` says so. A partition whose leader is no longer valid gets a new
/// one from its ISR, or an unclean one when its topic allows it, or none (-1).
enum LeaderAndISRUpdates {
    static func generate(image: MetadataImage, unclean: UncleanLeaderElection, removing: Int32? = nil, adding: Int32? = nil,
                         selected: (PartitionRegistration) -> Bool) -> [MetadataRecordAndVersion] {
        var records: [MetadataRecordAndVersion] = []
        let acceptable = { (broker: Int32) in
            broker != removing && (broker == adding || image.isAcceptableLeader(broker))
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
                if let removing { builder.targetISR = partition.isr.filter { $0 != removing } }
                if let change = builder.build() {
                    records.append(MetadataRecordAndVersion(change, version: 0))
                }
            }
        }
        return records
    }
}

import KafkaMetadata
import KafkaProtocol

/// The automatic preferred leader rebalance (`auto.leader.rebalance.enable`): which preferred-replica
/// elections the active controller makes each `leader.imbalance.check.interval.seconds`. Pure.
///
/// As Kafka's ZooKeeper-era controller decides it: for each broker, its imbalance is the share of the
/// partitions it is the preferred (first) replica of that someone else leads (or no one). When that is
/// above `leader.imbalance.per.broker.percentage` %, each of those partitions whose preferred replica
/// may lead and is in the ISR gets a preferred election. (Kafka's KRaft controller ignores the
/// percentage and elects wherever the preferred replica does not lead; with 0 % this does the same for
/// the partitions whose preferred replica can lead.) At most `maxElections` per round, as Kafka's
/// controller, which goes on at the next round.
public enum LeaderRebalance {
    /// Kafka's `maxElectionsPerImbalance`.
    public static let maxElections = 1_000

    public static func elections(image: MetadataImage, imbalancePercentage: Int32,
                                 maxElections: Int = maxElections) -> [MetadataRecordAndVersion] {
        var preferredOf: [Int32: Int] = [:]
        var notLedBy: [Int32: [(topic: TopicImage, partition: Int32)]] = [:]
        for name in image.topicNames {
            let topic = image.topic(named: name)!
            for p in topic.partitionIndexes {
                guard let preferred = topic.partitions[p]!.replicas.first else { continue }
                preferredOf[preferred, default: 0] += 1
                if !topic.partitions[p]!.hasPreferredLeader { notLedBy[preferred, default: []].append((topic, p)) }
            }
        }
        var records: [MetadataRecordAndVersion] = []
        for broker in notLedBy.keys.sorted() where image.isAcceptableLeader(broker) {
            let imbalanced = notLedBy[broker]!
            // ratio > percentage / 100, in integers.
            guard Int64(imbalanced.count) * 100 > Int64(imbalancePercentage) * Int64(preferredOf[broker]!) else { continue }
            for (topic, p) in imbalanced where topic.partitions[p]!.isr.contains(broker) {
                guard records.count < maxElections else { return records }
                var builder = PartitionChangeBuilder(partition: topic.partitions[p]!, topicID: topic.id, partitionID: p,
                                                     isAcceptableLeader: image.isAcceptableLeader)
                builder.election = .preferred
                builder.eligibleLeaderReplicasEnabled = EligibleLeaderReplicas.isEnabled(image)
                if let change = builder.build() { records.append(MetadataRecordAndVersion(change, version: change.lowestVersion)) }
            }
        }
        return records
    }
}

import KafkaProtocol

extension MetadataImage {
    /// The image as the records a snapshot holds (Kafka's `MetadataImage.write`): replaying them into
    /// an empty delta gives back this image, provenance aside.
    ///
    /// Order: features first (metadata.version leads, as Kafka requires), then brokers with their fenced
    /// state, topics each followed by its partitions, configs, client quotas, SCRAM credentials, ACLs, and the producer id
    /// high-water mark.
    /// Every list is sorted so equal images give byte-identical snapshots.
    public func snapshotRecords() -> [MetadataRecordAndVersion] {
        var out: [MetadataRecordAndVersion] = []
        let featureNames = features.keys.sorted { a, b in
            a == "metadata.version" ? b != "metadata.version" : (b == "metadata.version" ? false : a < b)
        }
        for name in featureNames {
            out.append(MetadataRecordAndVersion(FeatureLevelRecord(name: name, featureLevel: features[name]!), version: 0))
        }
        for id in brokers.keys.sorted() {
            out.append(MetadataRecordAndVersion(brokers[id]!.record, version: 2))
        }
        for name in topicIDsByName.keys.sorted() {
            guard let topic = topic(named: name) else { continue }
            out.append(MetadataRecordAndVersion(TopicRecord(name: topic.name, topicID: topic.id), version: 0))
            for index in topic.partitionIndexes {
                let record = topic.partitions[index]!.record(topicID: topic.id, partition: index)
                out.append(MetadataRecordAndVersion(record, version: record.lowestVersion))
            }
        }
        for resource in configs.keys.sorted(by: { ($0.type, $0.name) < ($1.type, $1.name) }) {
            for (key, value) in configs[resource]!.sorted(by: { $0.key < $1.key }) {
                out.append(MetadataRecordAndVersion(
                    ConfigRecord(resourceType: resource.type, resourceName: resource.name, name: key, value: value), version: 0))
            }
        }
        for entity in clientQuotas.keys.sorted() {
            for (key, value) in clientQuotas[entity]!.sorted(by: { $0.key < $1.key }) {
                out.append(MetadataRecordAndVersion(
                    ClientQuotaRecord(entity: entity.recordEntity, key: key, value: value, remove: false), version: 0))
            }
        }
        for key in scramCredentials.keys.sorted() {
            out.append(MetadataRecordAndVersion(scramCredentials[key]!.record(key), version: 0))
        }
        for id in acls.keys.sorted(by: { ($0.mostSignificantBits, $0.leastSignificantBits) < ($1.mostSignificantBits, $1.leastSignificantBits) }) {
            out.append(MetadataRecordAndVersion(acls[id]!, version: 0))
        }
        if nextProducerID > 0 {
            out.append(MetadataRecordAndVersion(ProducerIdsRecord(brokerID: -1, brokerEpoch: -1, nextProducerID: nextProducerID), version: 0))
        }
        return out
    }
}

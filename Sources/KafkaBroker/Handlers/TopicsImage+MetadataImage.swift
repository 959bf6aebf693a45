import KafkaGroups
import KafkaMetadata

extension TopicsImage {
    /// The topics of a metadata image: name, id, partition count.
    init(_ image: MetadataImage) {
        self.init(image.topicsByID.values.map { .init(id: $0.id, name: $0.name, partitionCount: Int32($0.partitions.count)) })
    }
}

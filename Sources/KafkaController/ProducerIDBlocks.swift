import KafkaMetadata
import KafkaProtocol

/// Producer ids are handed out in blocks: the controller records the end of each block it grants
/// (ProducerIdsRecord.nextProducerId), so no id is ever granted twice, across restarts included.
public enum ProducerIDBlocks {
    public static let blockSize: Int64 = 1000

    /// The block [start, start + blockSize) and the record that reserves it.
    public static func allocate(image: MetadataImage, brokerID: Int32, brokerEpoch: Int64) -> (range: Range<Int64>, record: MetadataRecordAndVersion) {
        let start = image.nextProducerID
        let record = ProducerIdsRecord(brokerID: brokerID, brokerEpoch: brokerEpoch, nextProducerID: start + blockSize)
        return (start..<(start + blockSize), MetadataRecordAndVersion(record, version: 0))
    }
}

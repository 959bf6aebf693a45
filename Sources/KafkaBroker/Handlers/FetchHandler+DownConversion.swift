import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore
import StromConfig

/// What Fetch versions before 10 may read, as Kafka 3.x's `KafkaApis.maybeConvertFetchedData` decides:
///
/// - a topic whose `compression.type` is zstd: UNSUPPORTED_COMPRESSION_TYPE (such clients predate zstd);
/// - v0-3, which read magic 0 (v0-1) or magic 1 (v2-3) message sets: the batches are down-converted
///   (``DownConversion``), unless `message.downconversion.enable` is false for the topic, which a
///   consumer hears as UNSUPPORTED_VERSION; a zstd batch met while converting is UNSUPPORTED_COMPRESSION_TYPE;
/// - KAFKA_STORAGE_ERROR becomes NOT_LEADER_OR_FOLLOWER up to v5, which old clients retry.
///
/// Converted records are built in memory (no `sendfile`), one batch decompressed at a time, and are no
/// larger than the stored batches read (or the first batch converted): a consumer's fetch is bounded by
/// `fetch.max.bytes` (and, as in Kafka 3.x, v0-2 still get a first batch larger than
/// `partition_max_bytes` whole, where Kafka's hard limit gives them a partial one).
extension FetchHandler {
    func legacyForm(_ read: FetchReader.PartitionRead, version: Int16, image: MetadataImage, config: ServerConfig, fetcher: Fetcher,
                    context: RequestContext) -> FetchReader.PartitionRead {
        var read = read
        let topic = read.partition.topicPartition.topic
        let overrides = image.configs(for: .topic(topic))
        func refused(_ code: ErrorCode) -> FetchReader.PartitionRead {
            var refused = read
            refused.data = .init(partitionIndex: read.data.partitionIndex, errorCode: code.rawValue, highWatermark: -1,
                                 lastStableOffset: -1, logStartOffset: -1, records: ByteBuffer())
            refused.slice = nil
            return refused
        }
        // Before anything else, whatever the partition's error, as Kafka checks it.
        if DescribeTopicConfigs.value("compression.type", topicOverrides: overrides, config: config) == "zstd" {
            return refused(.unsupportedCompressionType)
        }
        if version <= 5 && read.data.errorCode == ErrorCode.kafkaStorageError.rawValue {
            read.data.errorCode = ErrorCode.notLeaderOrFollower.rawValue
        }
        guard read.data.errorCode == 0 else { return read }
        guard let magic = DownConversion.magic(forFetchVersion: version) else { return read }
        if case .consumer = fetcher,
           DescribeTopicConfigs.value("message.downconversion.enable", topicOverrides: overrides, config: config) == "false" {
            return refused(.unsupportedVersion)
        }
        let stored: ByteBuffer
        do {
            stored = try read.slice?.readBytes() ?? read.data.records ?? ByteBuffer()
        } catch {
            context.logger.error("could not read records to down-convert", metadata: ["partition": "\(read.partition.topicPartition)", "error": "\(error)"])
            return refused(.notLeaderOrFollower)
        }
        let converted = Result { () throws(DownConversion.Failure) -> ByteBuffer in
            try DownConversion.convert(stored, toMagic: magic, firstOffset: read.partition.fetchOffset,
                                       decompressionLimit: ProduceHandler.requestInflateBudget(messageMaxBytes: config.messageMaxBytesInForce))
        }
        switch converted {
        case let .success(records):
            read.data.records = records
            read.slice = nil
            return read
        case .failure(.zstd):
            return refused(.unsupportedCompressionType)
        case let .failure(.invalid(error)):
            context.logger.error("could not down-convert stored records", metadata: ["partition": "\(read.partition.topicPartition)", "error": "\(error)"])
            return refused(.corruptMessage)
        case let .failure(.compression(error)):
            context.logger.error("could not compress down-converted records", metadata: ["partition": "\(read.partition.topicPartition)", "error": "\(error)"])
            return refused(.unknownServerError)
        }
    }
}

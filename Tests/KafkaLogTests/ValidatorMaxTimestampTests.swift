import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// A client's CreateTime batch is stored with its largest record timestamp as maxTimestamp (Kafka's
/// LogValidator), whatever the producer wrote there: sarama 1.22.1 writes -1, which left such batches
/// out of the time index, ListOffsets by time and time retention.
@Suite struct ValidatorMaxTimestampTests {
    static let limits = LogValidator.Limits(maxMessageBytes: 1 << 20, decompressionLimit: 1 << 20)

    func batch(maxTimestamp: Int64?, compression: CompressionCodec = .none) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(compression: compression, producerId: 3, producerEpoch: 0, baseSequence: 0)
        for t: Int64 in [1_000, 1_700, 1_200] { builder.append(timestamp: t, key: nil, value: Array("v".utf8)) }
        var batch = try builder.build()
        if let maxTimestamp { batch.setMaxTimestamp(maxTimestamp) }
        return batch.bytes
    }

    func validated(_ records: ByteBuffer, limits: LogValidator.Limits = limits) throws -> RecordBatch {
        let out = try LogValidator.validate(records, origin: .client(produceVersion: 9), limits: limits, config: LogConfig(), now: 2_000).result.get()
        var reader = RecordBatchReader(out.buffer)
        let stored = try #require(try reader.next())
        #expect(out.headers.first?.maxTimestamp == stored.header.maxTimestamp)
        return stored
    }

    @Test func aWrongMaxTimestampBecomesTheLargestRecordTimestampWithAValidCRC() throws {
        for compression in [CompressionCodec.none, .lz4] {
            for written: Int64 in [-1, 5, 9_999] {
                let stored = try validated(try batch(maxTimestamp: written, compression: compression))
                #expect(stored.header.maxTimestamp == 1_700, "\(compression), producer wrote \(written)")
                #expect(stored.hasValidCRC)
                #expect(try stored.decodeRecords(decompressionLimit: 1 << 20).count == 3)
            }
        }
    }

    @Test func aRightMaxTimestampAndLogAppendTimeTopicsAreLeftAlone() throws {
        let right = try batch(maxTimestamp: nil)
        let stored = try validated(right)
        #expect(stored.bytes == right, "nothing rewritten")
        var appendTime = Self.limits
        appendTime.logAppendTime = true
        #expect(try validated(try batch(maxTimestamp: -1), limits: appendTime).header.maxTimestamp == -1, "the append stamps it later")
    }
}

import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing

/// The record batches inside captured Produce requests: every one is magic v2 with a valid CRC32C,
/// decompresses within bounds, holds as many records as its header says, and uses the codec its
/// scenario names (`produce-gzip`, …), so each codec is proven against real client output.
@Suite struct CapturedBatchTests {
    static let produceFixtures = Fixture.all.filter { $0.path.contains("/Produce-") }

    static let codecByScenario: [String: CompressionCodec] = [
        "produce-none": .none, "produce-gzip": .gzip, "produce-snappy": .snappy, "produce-lz4": .lz4, "produce-zstd": .zstd,
    ]

    @Test func everyCodecIsCoveredByEveryClientThatSupportsIt() {
        var codecsByClient: [String: Set<CompressionCodec>] = [:]
        for f in Self.produceFixtures {
            guard let (_, codec) = Self.codecByScenario.first(where: { f.path.contains($0.key) }) else { continue }
            codecsByClient[f.client, default: []].insert(codec)
        }
        #expect(codecsByClient.count >= 6, "clients with produce fixtures: \(codecsByClient.keys.sorted())")
        for (client, codecs) in codecsByClient {
            #expect(codecs == Set(CompressionCodec.allCases), "\(client) covers only \(codecs)")
        }
    }

    @Test(arguments: produceFixtures)
    func batchesVerifyAndDecompress(_ fixture: Fixture) throws {
        let frame = try RequestFrame(parsing: fixture.bytes)
        let request = try frame.decodeBody(as: ProduceRequest.self).body
        let expected = Self.codecByScenario.first { fixture.path.contains($0.key) }?.value
        var batches = 0
        for topic in request.topicData {
            for partition in topic.partitionData {
                guard let records = partition.records else { continue }
                var reader = RecordBatchReader(records)
                while let batch = try reader.next() {
                    #expect(batch.header.magic == 2)
                    try batch.verifyCRC()
                    let decoded = try batch.decodeRecords(decompressionLimit: 64 << 20)
                    #expect(decoded.count == Int(batch.header.recordCount))
                    #expect(decoded.last?.offsetDelta == batch.header.lastOffsetDelta)
                    if let expected { #expect(batch.header.compression == expected, "\(fixture.path)") }
                    batches += 1
                }
                #expect(reader.truncatedTailBytes == 0)
            }
        }
        #expect(batches > 0, "\(fixture.path) carries no batch")
    }

    @Test func idempotentBatchesCarryProducerIdentity() throws {
        let idempotent = Self.produceFixtures.filter { $0.path.contains("produce-idempotent") }
        #expect(!idempotent.isEmpty)
        for fixture in idempotent {
            let request = try RequestFrame(parsing: fixture.bytes).decodeBody(as: ProduceRequest.self).body
            #expect(request.acks == -1, "\(fixture.path): idempotent producers must use acks=all")
            for topic in request.topicData {
                for partition in topic.partitionData {
                    var reader = RecordBatchReader(partition.records ?? ByteBuffer())
                    while let batch = try reader.next() {
                        #expect(batch.header.producerId >= 0, "\(fixture.path)")
                        #expect(batch.header.baseSequence >= 0, "\(fixture.path)")
                    }
                }
            }
        }
    }
}

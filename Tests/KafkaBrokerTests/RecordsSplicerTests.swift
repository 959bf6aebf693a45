import Foundation
@testable import KafkaBroker
@testable import KafkaLog
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import KafkaTestKit
import NIOCore
import SeededRandom
import Testing

/// Fetch responses whose records are sent from log files (`sendfile`) must be byte-identical to the
/// generated encoding with the records in memory.
@Suite struct RecordsSplicerTests {
    /// A scratch file holding given byte strings back to back, each as a `LogFileRange`.
    final class SliceFile {
        let directory: String
        let file: LogFile
        var end: Int64 = 0

        init() throws {
            directory = NSTemporaryDirectory() + "strom-splice-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            file = try LogFile.open(directory + "/data", create: true)
            try file.write([0xAB, 0xCD, 0xEF], at: 0) // so no range starts at position 0
            end = 3
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        func append(_ bytes: ByteBuffer) throws -> LogFileRange {
            try file.write(bytes, at: end)
            defer { end += Int64(bytes.readableBytes) }
            return LogFileRange(file: file, position: end, length: bytes.readableBytes)
        }
    }

    static func concatenate(_ pieces: [ResponsePiece]) throws -> ByteBuffer {
        var out = ByteBuffer()
        for piece in pieces { out.writeImmutableBuffer(try piece.materialize()) }
        return out
    }

    @Test func splicedFramesEqualTheGeneratedEncodingInEveryFetchVersion() throws {
        let file = try SliceFile()
        var spliced = 0
        for version in BrokerAssembly.clientAPIs.versions(for: .fetch)! {
            for seed in 0..<40 as Range<UInt64> {
                var rng = SplitMix64(seed: seed &* 7919 &+ UInt64(version))
                let full = FetchResponse.random(version: version, using: &rng)
                // Every partition with non-empty records goes to the file; null and empty ones stay.
                var skeleton = full, probe = full
                var slices: [LogFileRange] = []
                for t in full.responses.indices {
                    for p in full.responses[t].partitions.indices {
                        guard let records = full.responses[t].partitions[p].records, records.readableBytes > 0,
                              Bool.random(using: &rng) else { continue }
                        slices.append(try file.append(records))
                        skeleton.responses[t].partitions[p].records = nil
                        probe.responses[t].partitions[p].records = ByteBuffer(bytes: [0])
                    }
                }
                spliced += slices.count
                let pieces = try #require(try RecordsSplicer.frame(skeleton: skeleton, probe: probe, slices: slices,
                                                                  version: version, correlationID: 42))
                #expect(pieces.filter { if case .file = $0 { true } else { false } }.count == slices.count)
                let expected = try full.encodeFrame(version: version, correlationID: 42)
                #expect(try Self.concatenate(pieces) == expected, "Fetch v\(version) seed \(seed)")
            }
        }
        #expect(spliced > 100) // the random responses really exercised splicing
    }

    @Test func slicesThatDoNotMatchTheNullRecordsAreRefused() throws {
        let file = try SliceFile()
        var response = FetchResponse(errorCode: 0, sessionID: 0)
        response.responses = [.init(topic: "t", partitions: [.init(partitionIndex: 0, highWatermark: 5, records: nil)])]
        var probe = response
        probe.responses[0].partitions[0].records = ByteBuffer(bytes: [0])
        let slice = try file.append(ByteBuffer(bytes: Array(repeating: 7, count: 100)))
        for version in [Int16(4), 12, 17] {
            // One slice too many, none at all for a null field, and a probe equal to the skeleton.
            #expect(try RecordsSplicer.frame(skeleton: response, probe: probe, slices: [slice, slice], version: version, correlationID: 1) == nil)
            #expect(try RecordsSplicer.frame(skeleton: response, probe: response, slices: [slice], version: version, correlationID: 1) == nil)
            let ok = try #require(try RecordsSplicer.frame(skeleton: response, probe: probe, slices: [slice], version: version, correlationID: 1))
            var filled = response
            filled.responses[0].partitions[0].records = try slice.readBytes()
            #expect(try Self.concatenate(ok) == filled.encodeFrame(version: version, correlationID: 1))
        }
    }

    /// Over a real socket: large batches come from `sendfile`, small ones from memory, mixed in one response.
    @Test func fetchOverTheNetworkMixesSplicedAndCopiedRecords() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "big", numPartitions: 2, replicationFactor: 1)]), version: 7)
        let topicID = try #require(broker.metadata.image.topic(named: "big")?.id)
        let large = (0..<300).map { "large-\($0)-" + String(repeating: "x", count: 200) } // ~64 KiB: spliced
        let small = ["small-a", "small-b"]                                                 // tiny: copied
        for (partition, values) in [(Int32(0), large), (1, small)] {
            let response = try await client.send(DataPathTests.produce(try DataPathTests.batch(values), topic: "big", partition: partition), version: 9)
            #expect(response.responses.first?.partitionResponses.first?.errorCode == 0)
        }
        // v0-3 are down-converted in memory (OldVersionsTests); from v4 batches are sent as stored.
        for version in BrokerAssembly.clientAPIs.versions(for: .fetch)! where version >= 4 {
            var request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 4 << 20)
            request.topics = [.init(topic: "big", topicID: topicID, partitions: [
                .init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20),
                .init(partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20),
            ])]
            let response = try await client.send(request, version: version)
            let partitions = try #require(response.responses.first?.partitions)
            #expect(partitions.map(\.errorCode) == [0, 0], "Fetch v\(version)")
            #expect(try DataPathTests.values(in: partitions[0].records) == large, "Fetch v\(version)")
            #expect(try DataPathTests.values(in: partitions[1].records) == small, "Fetch v\(version)")
        }
        // The handler itself: the large partition is a file slice, the small one bytes, and they splice.
        let handler = FetchHandler(metadata: broker.metadata, replicas: broker.node.replicas, nodeID: broker.config.nodeID,
                                   sessions: .init(FetchSessions()))
        var request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 4 << 20)
        request.topics = [.init(topic: "big", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20),
                                                           .init(partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
        let context = RequestContext(apiVersion: 12, correlationID: 7, clientID: nil, connectionID: 0, remoteAddress: "test",
                                     listenerName: "PLAINTEXT", logger: .init(label: "test"))
        let spliced = try #require(await handler.handleSpliced(request, context: context))
        #expect(spliced.slices.count == 1)
        #expect(spliced.slices.first.map { $0.length >= handler.spliceThreshold } == true)
        #expect(spliced.skeleton.responses.first?.partitions.map { $0.records == nil } == [true, false])
        let pieces = try #require(try RecordsSplicer.frame(skeleton: spliced.skeleton, probe: spliced.probe, slices: spliced.slices,
                                                          version: 12, correlationID: 7))
        #expect(try Self.concatenate(pieces) == spliced.materialized().encodeFrame(version: 12, correlationID: 7))
        await client.close()
        await broker.shutdown()
    }
}

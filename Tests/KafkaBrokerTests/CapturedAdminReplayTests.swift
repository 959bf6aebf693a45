import Foundation
import KafkaBroker
import KafkaMetadata
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import NIOCore
import Testing

/// Admin requests captured from real clients (`Fixtures/requests`, scenarios `topic-admin`,
/// `group-admin`, `describe-quorum`), replayed byte for byte against a fresh broker in the order
/// they were captured. Each scenario creates what it works on, so in an advertised version every
/// frame must be answered with its own correlation id, in its own version, decoding exactly and
/// carrying no error code anywhere; a frame in a version Strom does not advertise must close the
/// connection. The frames that change the metadata must change it as the client asked.
@Suite(.serialized) struct CapturedAdminReplayTests {
    static let scenarios: Set<String> = ["topic-admin", "group-admin", "describe-quorum"]

    @Test func everyAdminClientScenarioIsCaptured() {
        let runs = Set(CapturedRun.all.map { "\($0.client) \($0.scenario)" })
        // topic-admin and group-admin for six clients (kcat has no admin API), describe-quorum for kafka-python 3.x.
        #expect(runs.count == 13, "\(runs.sorted())")
        let keys = Set(CapturedRun.all.flatMap { $0.frames.map(\.apiKey) })
        for key: APIKey in [.deleteTopics, .createPartitions, .incrementalAlterConfigs, .deleteRecords, .describeConfigs,
                            .listGroups, .describeGroups, .deleteGroups, .offsetDelete, .offsetCommit, .offsetFetch, .describeQuorum] {
            #expect(keys.contains(key), "no captured \(key)")
        }
    }

    @Test(arguments: CapturedRun.all)
    func replaysAgainstABroker(_ run: CapturedRun) async throws {
        let broker = try await TestBroker()
        var client = try await broker.client()
        for frame in run.frames {
            let advertised = BrokerAssembly.clientAPIs.versions(for: frame.apiKey)?.contains(frame.apiVersion) ?? false
            var sized = ByteBuffer()
            sized.writeInteger(Int32(frame.bytes.readableBytes))
            sized.writeImmutableBuffer(frame.bytes)
            guard advertised else {
                await #expect(throws: TestKafkaClient.ConnectionClosed.self, "\(frame.path): not advertised, so the connection must close") {
                    _ = try await client.sendRaw(sized)
                }
                client = try await broker.client()
                continue
            }
            var payload = try await client.sendRaw(sized)
            let header = try ResponseHeader.decode(from: &payload, version: frame.apiKey.responseHeaderVersion(apiVersion: frame.apiVersion))
            #expect(header.correlationID == frame.correlationID, "\(frame.path)")
            let responseType = try #require(frame.apiKey.responseType)
            let response = try responseType.decodeExactly(payload, version: frame.apiVersion)
            let errors = Self.errorCodes(in: response)
            #expect(errors.isEmpty, "\(frame.path): error codes \(errors)")
            try Self.expectEffect(of: frame, on: broker.metadata.image)
        }
        await client.close()
        await broker.shutdown()
    }

    @Test func errorScanFindsNestedErrorCodes() {
        var response = DeleteRecordsResponse()
        response.topics = [.init(name: "t", partitions: [.init(partitionIndex: 0, lowWatermark: 0),
                                                         .init(partitionIndex: 1, lowWatermark: -1, errorCode: ErrorCode.offsetOutOfRange.rawValue)])]
        #expect(Self.errorCodes(in: response) == [".topics.[0].partitions.[1].errorCode=1"])
        #expect(Self.errorCodes(in: ListGroupsResponse(errorCode: 16)) == [".errorCode=16"])
        #expect(Self.errorCodes(in: ListGroupsResponse()).isEmpty)
    }

    /// Every non-zero `errorCode` in a decoded response, with the path to it.
    static func errorCodes(in value: Any, path: String = "") -> [String] {
        if value is ByteBuffer || value is String { return [] }
        var found: [String] = []
        for (index, child) in Mirror(reflecting: value).children.enumerated() {
            let label = child.label ?? "[\(index)]"
            if label == "errorCode", let code = child.value as? Int16 {
                if code != 0 { found.append("\(path).errorCode=\(code)") }
            } else {
                found += errorCodes(in: child.value, path: path + "." + label)
            }
        }
        return found
    }

    /// The metadata after a topic-changing frame: the partition count asked for, the configs set
    /// and deleted, the topic gone.
    static func expectEffect(of frame: CapturedFrame, on image: MetadataImage) throws {
        let parsed = try RequestFrame(parsing: frame.bytes)
        switch frame.apiKey {
        case .createPartitions:
            for topic in try parsed.decodeBody(as: CreatePartitionsRequest.self).body.topics {
                #expect(image.topic(named: topic.name)?.partitions.count == Int(topic.count), "\(frame.path): \(topic.name)")
            }
        case .incrementalAlterConfigs:
            for resource in try parsed.decodeBody(as: IncrementalAlterConfigsRequest.self).body.resources where resource.resourceType == ConfigResource.topicType {
                let configs = image.configs(for: .topic(resource.resourceName))
                for config in resource.configs {
                    switch config.configOperation {
                    case 0: #expect(configs[config.name] == config.value, "\(frame.path): SET \(config.name)")
                    case 1: #expect(configs[config.name] == nil, "\(frame.path): DELETE \(config.name)")
                    default: break
                    }
                }
            }
        case .deleteTopics:
            let request = try parsed.decodeBody(as: DeleteTopicsRequest.self).body
            for name in request.topicNames + request.topics.compactMap(\.name) {
                #expect(image.topic(named: name) == nil, "\(frame.path): \(name) still exists")
            }
        default:
            break
        }
    }
}

/// One captured request frame, as listed in `Fixtures/requests/MANIFEST.tsv`.
struct CapturedFrame: Sendable {
    var path: String
    var apiKey: APIKey
    var apiVersion: Int16
    var correlationID: Int32
    var bytes: ByteBuffer
}

/// The frames one client sent in one scenario, in the order they were captured.
struct CapturedRun: Sendable, CustomStringConvertible {
    var client: String
    var scenario: String
    var frames: [CapturedFrame]

    var description: String { "\(client) \(scenario)" }

    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/requests")

    /// The admin scenarios' runs; manifest rows are in capture order.
    static let all: [CapturedRun] = {
        guard let text = try? String(contentsOf: root.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8) else { return [] }
        var runs: [CapturedRun] = []
        for line in text.split(separator: "\n").dropFirst() {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cols.count >= 7, CapturedAdminReplayTests.scenarios.contains(cols[6]),
                  let data = FileManager.default.contents(atPath: root.appendingPathComponent(cols[0]).path) else { continue }
            let bytes = ByteBuffer(bytes: data)
            guard let key = bytes.getInteger(at: bytes.readerIndex, as: Int16.self),
                  let version = bytes.getInteger(at: bytes.readerIndex + 2, as: Int16.self),
                  let correlation = bytes.getInteger(at: bytes.readerIndex + 4, as: Int32.self) else { continue }
            let frame = CapturedFrame(path: cols[0], apiKey: APIKey(rawValue: key), apiVersion: version, correlationID: correlation, bytes: bytes)
            if let i = runs.firstIndex(where: { $0.client == cols[1] && $0.scenario == cols[6] }) {
                runs[i].frames.append(frame)
            } else {
                runs.append(CapturedRun(client: cols[1], scenario: cols[6], frames: [frame]))
            }
        }
        return runs
    }()
}

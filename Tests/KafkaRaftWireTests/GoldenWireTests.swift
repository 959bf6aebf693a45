import Foundation
import KafkaProtocol
import NIOCore
import ProtocolSchema
import Testing

/// The generated codecs of the quorum's messages against the schema interpreter, in every valid version:
///
/// 1. sampled values → interpreter bytes; the generated decoder reads exactly those bytes into the same
///    values (fields outside the version at their schema defaults), and its encoder writes them back
///    byte for byte;
/// 2. a struct full of non-default values (decoded from the highest version) is encoded by the generated
///    codec and by the interpreter in every version: identical bytes, or both refuse (a non-ignorable
///    field the version lacks).
@Suite struct GoldenWireTests {
    /// The quorum's wire messages and the control-record bodies, with the versions checked (Fetch only
    /// where KRaft uses it: 13-17). Vote also from its definition in `Protocol/`, which adds Kafka 4.x's
    /// v2 (pre-vote) to the versions Kafka 3.9's JSON has. (The quorum-state file is JSON, not protocol
    /// bytes: `QuorumStateFileSchemaTests`.)
    static let cases: [GoldenCase] = [
        "VoteRequest", "VoteResponse", "BeginQuorumEpochRequest", "BeginQuorumEpochResponse",
        "EndQuorumEpochRequest", "EndQuorumEpochResponse", "FetchSnapshotRequest", "FetchSnapshotResponse",
        "DescribeQuorumRequest", "DescribeQuorumResponse", "AddRaftVoterRequest", "AddRaftVoterResponse",
        "RemoveRaftVoterRequest", "RemoveRaftVoterResponse", "UpdateRaftVoterRequest", "UpdateRaftVoterResponse",
        "LeaderChangeMessage", "SnapshotHeaderRecord", "SnapshotFooterRecord", "KRaftVersionRecord", "VotersRecord",
    ].map { GoldenCase(name: $0) } + [
        GoldenCase(name: "FetchRequest", versions: 13...17),
        GoldenCase(name: "FetchResponse", versions: 13...17),
        GoldenCase(name: "VoteRequest", fromDefinitions: true),
        GoldenCase(name: "VoteResponse", fromDefinitions: true),
    ]

    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]

    @Test(arguments: cases)
    func interpreterBytesDecodeAndReencodeIdentically(_ c: GoldenCase) throws {
        let schema = try c.schema()
        let versions = c.versions(of: schema)
        #expect(!versions.isEmpty, "\(c.name): no versions to check")
        var checked = 0
        for version in versions {
            for variant in GoldenSampler.Variant.allCases {
                for seed in variant == .defaults ? [0] : Self.seeds {
                    var sampler = GoldenSampler(version: version, variant: variant, seed: seed)
                    let values = sampler.object(schema.fields)
                    let context = "\(c.name) v\(version) \(variant) seed \(seed)"
                    let bytes = try GoldenEncoder.encode(schema, values, version: version)
                    try c.type.checkDecodesAndReencodes(bytes, schema: schema, values: values, version: version, context: context)
                    checked += 1
                }
            }
        }
        #expect(checked == versions.count * (1 + 3 * Self.seeds.count))
    }

    @Test(arguments: cases)
    func generatedEncodingMatchesInterpreterInEveryVersion(_ c: GoldenCase) throws {
        let schema = try c.schema()
        let versions = c.versions(of: schema)
        let top = try #require(versions.last)
        var equal = 0
        for seed in Self.seeds {
            var sampler = GoldenSampler(version: top, variant: .rich, seed: seed)
            let bytes = try GoldenEncoder.encode(schema, sampler.object(schema.fields), version: top)
            equal += try c.type.checkEncodingsAgree(decodedFrom: bytes, top: top, versions: versions, schema: schema, context: "\(c.name) seed \(seed)")
        }
        // At least the highest version always encodes.
        #expect(equal >= Self.seeds.count)
    }

    @Test func aMissingSchemaFailsInsteadOfSkipping() throws {
        let nowhere = URL(fileURLWithPath: "/nonexistent-\(UInt64.random(in: 0...UInt64.max))")
        #expect(throws: GoldenSchemaError.self) {
            try GoldenSchemaSource.load("VoteRequest", folder: "message", upstream: nowhere, definitions: nowhere)
        }
        // The JSON wins when present; without it the definitions are read.
        let fromDefinitions = try GoldenSchemaSource.load("VoteRequest", folder: "message", upstream: nowhere,
                                                          definitions: GoldenSchemaSource.definitions)
        #expect(fromDefinitions.validVersions == GoldenVersions(lowest: 0, highest: 2))
    }

    /// The fallback (Protocol/*.def) gives the interpreter the same facts as Kafka's JSON in the versions
    /// the JSON has, so the checks mean the same when ../shared is absent.
    @Test(.enabled(if: GoldenSchemaSource.upstreamPresent, "needs ../shared/kafka-protocol to compare with"), arguments: cases)
    func definitionFallbackStatesTheSameFactsAsTheJSON(_ c: GoldenCase) throws {
        let json = try GoldenSchemaSource.load(c.name, folder: c.folder)
        let def = try GoldenSchemaSource.loadDefinition(c.name, folder: c.folder).clipped(toHighest: json.validVersions.highest!)
        #expect(json.validVersions == def.validVersions && json.flexibleVersions == def.flexibleVersions)
        #expect(GoldenField.differences(json.fields, def.fields, path: c.name) == [])
    }
}

extension GoldenField {
    /// What differs between two field lists in the facts the interpreter uses.
    static func differences(_ a: [GoldenField], _ b: [GoldenField], path: String) -> [String] {
        guard a.map(\.name) == b.map(\.name) else { return ["\(path): fields \(a.map(\.name)) vs \(b.map(\.name))"] }
        var out: [String] = []
        for (x, y) in zip(a, b) {
            let here = "\(path).\(x.name)"
            if x.type != y.type || x.versions != y.versions || x.nullableVersions != y.nullableVersions
                || x.taggedVersions != y.taggedVersions || x.tag != y.tag || x.ignorable != y.ignorable
                || x.defaultValue != y.defaultValue || (x.fields == nil) != (y.fields == nil) {
                out.append(here)
            }
            out += differences(x.fields ?? [], y.fields ?? [], path: here)
        }
        return out
    }
}

/// One schema under test and the generated type that must agree with it.
struct GoldenCase: Sendable, CustomStringConvertible {
    var name: String
    var folder = "message"
    var only: ClosedRange<Int16>?
    /// Read the schema from `Protocol/` even when Kafka's JSON is present (for versions it lacks).
    var fromDefinitions = false

    init(name: String, versions: ClosedRange<Int16>? = nil, folder: String = "message", fromDefinitions: Bool = false) {
        self.name = name
        self.only = versions
        self.folder = folder
        self.fromDefinitions = fromDefinitions
    }

    var description: String { fromDefinitions ? "\(name) (Protocol/)" : name }

    func schema() throws -> GoldenSchema {
        fromDefinitions ? try GoldenSchemaSource.loadDefinition(name, folder: folder) : try GoldenSchemaSource.load(name, folder: folder)
    }

    func versions(of schema: GoldenSchema) -> [Int16] {
        schema.versions.filter { only?.contains($0) ?? true }
    }

    var type: any KafkaMessage.Type {
        switch name {
        case "VoteRequest": VoteRequest.self
        case "VoteResponse": VoteResponse.self
        case "BeginQuorumEpochRequest": BeginQuorumEpochRequest.self
        case "BeginQuorumEpochResponse": BeginQuorumEpochResponse.self
        case "EndQuorumEpochRequest": EndQuorumEpochRequest.self
        case "EndQuorumEpochResponse": EndQuorumEpochResponse.self
        case "FetchSnapshotRequest": FetchSnapshotRequest.self
        case "FetchSnapshotResponse": FetchSnapshotResponse.self
        case "DescribeQuorumRequest": DescribeQuorumRequest.self
        case "DescribeQuorumResponse": DescribeQuorumResponse.self
        case "AddRaftVoterRequest": AddRaftVoterRequest.self
        case "AddRaftVoterResponse": AddRaftVoterResponse.self
        case "RemoveRaftVoterRequest": RemoveRaftVoterRequest.self
        case "RemoveRaftVoterResponse": RemoveRaftVoterResponse.self
        case "UpdateRaftVoterRequest": UpdateRaftVoterRequest.self
        case "UpdateRaftVoterResponse": UpdateRaftVoterResponse.self
        case "FetchRequest": FetchRequest.self
        case "FetchResponse": FetchResponse.self
        case "LeaderChangeMessage": LeaderChangeMessage.self
        case "SnapshotHeaderRecord": SnapshotHeaderRecord.self
        case "SnapshotFooterRecord": SnapshotFooterRecord.self
        case "KRaftVersionRecord": KRaftVersionRecord.self
        case "VotersRecord": VotersRecord.self
        default: fatalError("no generated type for \(name)")
        }
    }
}

extension KafkaMessage {
    static func checkDecodesAndReencodes(
        _ bytes: [UInt8], schema: GoldenSchema, values: [String: GoldenValue], version: Int16, context: String
    ) throws {
        // The generated type may go past Kafka 3.9's JSON (Kafka 4.x versions in `Protocol/`, checked
        // against the 4.x definitions by ProtocolSchemaTests); it never lacks a version the JSON has.
        #expect(Self.validVersions.lowerBound == schema.validVersions.lowest && Self.validVersions.upperBound >= schema.validVersions.highest!, "\(context): valid versions")
        let decoded = try Self.decodeExactly(ByteBuffer(bytes: bytes), version: version)
        #expect(GoldenMirror.object(decoded, fields: schema.fields) == schema.expectedDecoding(of: values, version: version), "\(context): decoded values")
        let reencoded = try decoded.encoded(version: version)
        #expect(Array(reencoded.readableBytesView) == bytes, "\(context): re-encoded bytes")
    }

    /// Returns how many versions encoded (identically) on both sides.
    static func checkEncodingsAgree(decodedFrom bytes: [UInt8], top: Int16, versions: [Int16], schema: GoldenSchema, context: String) throws -> Int {
        let message = try Self.decodeExactly(ByteBuffer(bytes: bytes), version: top)
        guard case let .object(values) = GoldenMirror.object(message, fields: schema.fields) else { return 0 }
        var equal = 0
        for version in versions {
            let generated = Result { try message.encoded(version: version) }
            let interpreted = Result { try GoldenEncoder.encode(schema, values, version: version) }
            switch (generated, interpreted) {
            case let (.success(g), .success(i)):
                #expect(Array(g.readableBytesView) == i, "\(context) v\(version): bytes differ")
                equal += 1
            case (.failure, .failure):
                break
            case let (.success, .failure(e)):
                Issue.record("\(context) v\(version): generated codec encoded, interpreter refused: \(e)")
            case let (.failure(e), .success):
                Issue.record("\(context) v\(version): interpreter encoded, generated codec refused: \(e)")
            }
        }
        return equal
    }
}

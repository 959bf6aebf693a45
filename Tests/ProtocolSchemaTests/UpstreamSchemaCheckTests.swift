import Foundation
import ProtocolSchema
import Testing

/// `Protocol/` must state exactly the facts of Kafka's own schemas in `../shared/kafka-protocol`:
/// the same schemas, and in each the same names, types, versions, nullable and tagged versions,
/// tags, defaults, ignorability, entity types, map keys and listeners. A definition may go on past
/// Kafka 3.9's versions (Kafka 4.x's, checked by `Kafka4xSchemaCheckTests`); up to 3.9's last version
/// it still states exactly 3.9's facts. Error codes likewise: 3.9's table, then only newer codes.
///
/// Without `../shared` beside the repository there is nothing to compare with; the suite is then
/// reported as skipped with that reason (CI always has it).
@Suite(.enabled(if: RepositoryPaths.upstreamPresent, "../shared/kafka-protocol is not beside the repository"))
struct UpstreamSchemaCheckTests {
    @Test func everyUpstreamSchemaHasADefinitionAndNoneIsExtra() throws {
        let upstream = try UpstreamSchemaReader.readAll(root: RepositoryPaths.upstream)
        let ours = try ProtocolDirectory.readAll(root: RepositoryPaths.protocolDirectory)
        #expect(upstream.count == 236)
        let missing = Set(upstream.keys).subtracting(ours.keys).sorted()
        let extra = Set(ours.keys).subtracting(upstream.keys).sorted()
        #expect(missing.isEmpty, "no definition for \(missing)")
        #expect(extra.isEmpty, "no upstream schema for \(extra)")
    }

    @Test func everyDefinitionStatesTheUpstreamFacts() throws {
        let upstream = try UpstreamSchemaReader.readAll(root: RepositoryPaths.upstream)
        let ours = try ProtocolDirectory.readAll(root: RepositoryPaths.protocolDirectory)
        var differences: [String] = []
        for (key, expected) in upstream.sorted(by: { $0.key < $1.key }) {
            guard var actual = ours[key] else { continue }
            if let theirs = expected.validVersions.highest, let mine = actual.validVersions.highest, mine > theirs {
                actual = SchemaComparison.clipped(actual, toHighest: theirs)
            }
            let added = Self.taggedFieldsAddedByKafka4[key] ?? []
            actual.fields.removeAll { field in added.contains { $0.name == field.name } }
            differences += SchemaComparison.differences(expected: expected, actual: actual).map { "\(key): \($0)" }
        }
        #expect(differences.isEmpty, "\(differences.count) differences:\n\(differences.prefix(40).joined(separator: "\n"))")
    }

    /// Tagged fields Kafka 4.x added to versions Kafka 3.9 already had (a tagged field changes no
    /// version): left out of the comparison with 3.9, and held instead to the line franz-go's
    /// `misc` definitions give each (name, type, default, tag).
    static let taggedFieldsAddedByKafka4: [String: [(name: String, franzLine: String)]] = [
        // KIP-890 part 2: the coordinator's record of a transaction's producer ids and version.
        "transaction-coordinator/TransactionLogValue": [
            ("PreviousProducerId", "PreviousProducerID: int64(-1) // tag 0"),
            ("NextProducerId", "NextProducerID: int64(-1) // tag 1"),
            ("ClientTransactionVersion", "ClientTransactionVersion: int16 // tag 2"),
        ],
    ]

    @Test(.enabled(if: RepositoryPaths.upstream4xPresent, "../shared/kafka-protocol-4x is not beside the repository"))
    func theTaggedFieldsKafka4AddedAreFranzGos() throws {
        let misc = try String(contentsOf: RepositoryPaths.upstream4x.appendingPathComponent("misc"), encoding: .utf8)
        let franzLines = Set(misc.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        let ours = try ProtocolDirectory.readAll(root: RepositoryPaths.protocolDirectory)
        for (key, fields) in Self.taggedFieldsAddedByKafka4 {
            let spec = try #require(ours[key])
            for (name, line) in fields {
                #expect(franzLines.contains(line), "franz-go's misc has no line \(line)")
                let field = try #require(spec.fields.first { $0.name == name }, "\(key) lacks \(name)")
                let franz = try #require(line.wholeMatch(of: /(\w+): (\w+)(?:\((-?\d+)\))? \/\/ tag (\d+)/))
                #expect(field.type == String(franz.2) && field.tag == Int(franz.4) && field.taggedVersions != nil,
                        "\(key).\(name) is not \(line)")
                #expect((field.defaultValue ?? "0") == (franz.3.map(String.init) ?? "0"), "\(key).\(name)'s default is not \(line)")
            }
        }
    }

    @Test func errorCodesMatchUpstream() throws {
        let upstream = try ErrorCodeTable.readUpstream(url: RepositoryPaths.upstream.appendingPathComponent("error-codes.tsv"))
        let ours = try ErrorCodeTable.read(url: RepositoryPaths.protocolDirectory.appendingPathComponent(ErrorCodeTable.fileName))
        #expect(upstream.count > 120)
        let newest = try #require(upstream.map(\.code).max())
        #expect(Array(ours.prefix { $0.code <= newest }) == upstream)
        // Later codes (Kafka 4.x) only add, in ascending order.
        let later = ours.drop { $0.code <= newest }.map(\.code)
        #expect(later == later.sorted() && Set(later).count == later.count && later.allSatisfy { $0 > newest })
    }

    @Test func tagsWrittenAsStringsUpstreamAreRead() throws {
        // RegisterBrokerRecord writes "tag": "0" as a string; losing it would make LogDirs a plain field.
        let spec = try UpstreamSchemaReader.read(url: RepositoryPaths.upstream.appendingPathComponent("metadata/RegisterBrokerRecord.json"))
        let logDirs = try #require(spec.fields.first { $0.name == "LogDirs" })
        #expect(logDirs.tag == 0)
        #expect(logDirs.taggedVersions == Versions("3+"))
    }

    @Test func theComparisonNoticesAChangedFact() throws {
        // The check is only worth something if it fails on a difference: change one fact and look.
        let upstream = try UpstreamSchemaReader.read(url: RepositoryPaths.upstream.appendingPathComponent("message/FetchRequest.json"))
        var changed = upstream
        changed.fields[1].defaultValue = "0"
        changed.fields[3].versions = Versions("1+")!
        let differences = SchemaComparison.differences(expected: upstream, actual: changed)
        #expect(differences.count == 2)
        #expect(differences.contains { $0.contains("ReplicaId: default") })
        #expect(differences.contains { $0.contains("MaxWaitMs: versions") })
    }

    /// A field a Kafka 4.x version drops (OffsetCommit's topic name, by id from v10) states 3.9's
    /// open-ended versions once clipped to 3.9's last version, and one that ends before it stays as it is.
    @Test func clippingOpensTheFieldsThatLastThroughTheLastVersion() throws {
        let ours = try ProtocolDirectory.readAll(root: RepositoryPaths.protocolDirectory)
        let commit = try #require(ours["message/OffsetCommitRequest"])
        let name = try #require(commit.fields.first { $0.name == "Topics" }?.fields?.first { $0.name == "Name" })
        #expect(name.versions == Versions("0-9"))
        let clipped = SchemaComparison.clipped(commit, toHighest: 9)
        #expect(clipped.fields.first { $0.name == "Topics" }?.fields?.map(\.name) == ["Name", "Partitions"])
        #expect(clipped.fields.first { $0.name == "Topics" }?.fields?.first?.versions == Versions("0+"))
        let retention = SchemaComparison.clipped(commit, toHighest: 9).fields.first { $0.name == "RetentionTimeMs" }
        #expect(retention?.versions == Versions("2-4"))
    }
}

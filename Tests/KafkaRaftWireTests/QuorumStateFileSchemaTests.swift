import Foundation
import KafkaRaft
import ProtocolSchema
import Testing

/// The quorum-state file has one type, `KafkaRaft.QuorumStateData`, which writes Kafka's JSON by hand
/// (the schema gets no generated codec: Kafka never sends it as protocol bytes). Its JSON must name the
/// fields of `Protocol/raft/QuorumStateData.def` in each version, in order, as Kafka's JSON converter
/// does (the field name with a lower-case first letter), followed by `data_version`.
@Suite struct QuorumStateFileSchemaTests {
    static let definition = GoldenSchemaSource.definitions.appendingPathComponent("raft/QuorumStateData.def")

    @Test func theJSONNamesTheDefinitionsFieldsInEveryVersion() throws {
        let spec = try DefinitionFormat.parse(String(contentsOf: Self.definition, encoding: .utf8))
        #expect(spec.validVersions == Versions("\(QuorumStateData.lowestSupportedVersion)-\(QuorumStateData.highestSupportedVersion)"))
        #expect(SwiftGenerator.withoutCodec.contains("raft/QuorumStateData"))
        let state = QuorumStateData(leaderEpoch: 3, leaderID: 1, votedID: 2, currentVoters: [1, 2])
        for version in QuorumStateData.lowestSupportedVersion...QuorumStateData.highestSupportedVersion {
            let json = state.encodedJSON(version: version)
            let expected = spec.fields.filter { $0.versions.contains(version) }.map { Self.jsonName($0.name) } + ["data_version"]
            #expect(Self.topLevelKeys(json) == expected, "v\(version): \(json)")
            for field in spec.fields where field.versions.contains(version) {
                for nested in field.fields ?? [] {
                    #expect(json.contains("{\"\(Self.jsonName(nested.name))\":"), "v\(version): \(field.name).\(nested.name)")
                }
            }
        }
    }

    /// `LeaderId` → `leaderId`.
    static func jsonName(_ field: String) -> String { field.prefix(1).lowercased() + field.dropFirst() }

    /// The keys of the outermost object, in order (the file's JSON has no strings containing quotes or braces).
    static func topLevelKeys(_ json: String) -> [String] {
        var keys: [String] = []
        var depth = 0
        var chars = Array(json)[...]
        while let c = chars.popFirst() {
            switch c {
            case "{", "[": depth += 1
            case "}", "]": depth -= 1
            case "\"":
                let string = String(chars.prefix { $0 != "\"" })
                chars = chars.dropFirst(string.count + 1)
                if depth == 1, chars.first == ":" { keys.append(string) }
            default: break
            }
        }
        return keys
    }
}

import Foundation
import ProtocolSchema
import Testing

/// The versions `Protocol/` defines beyond Kafka 3.9's schemas (Kafka 4.x's) must have the wire layout
/// of franz-go's definitions in `../shared/kafka-protocol-4x`: version for version, the same encoded
/// elements in the same order with the same types, nullability, flexibility and tags. franz-go names
/// fields its own way (`ClusterID`, `Topic`), so names are not compared; Kafka 3.9's names stay, and
/// `UpstreamSchemaCheckTests` holds every version 3.9 has to 3.9's facts.
@Suite(.enabled(if: RepositoryPaths.upstream4xPresent, "../shared/kafka-protocol and kafka-protocol-4x are not beside the repository"))
struct Kafka4xSchemaCheckTests {
    /// Definition key → (the definition, the versions Kafka 3.9 lacks).
    static func extendedDefinitions() throws -> [String: (spec: MessageSpec, versions: [Int16])] {
        let upstream = try UpstreamSchemaReader.readAll(root: RepositoryPaths.upstream)
        let ours = try ProtocolDirectory.readAll(root: RepositoryPaths.protocolDirectory)
        var out: [String: (MessageSpec, [Int16])] = [:]
        for (key, spec) in ours {
            guard let theirs = upstream[key]?.validVersions.highest, let mine = spec.validVersions.highest, mine > theirs else { continue }
            out[key] = (spec, Array((theirs + 1)...mine))
        }
        return out
    }

    static func franz(_ spec: MessageSpec) throws -> FranzDefinitionReader.Message {
        let key = try #require(spec.apiKey, "\(spec.name) has no API key")
        let url = try #require(try FranzDefinitionReader.file(apiKey: key, root: RepositoryPaths.upstream4x), "no franz-go file for key \(key)")
        let pair = try FranzDefinitionReader.read(url: url)
        return spec.kind == .request ? pair.request : pair.response
    }

    @Test func theKafka4xVersionsAreTheOnesStromServes() throws {
        let extended = try Self.extendedDefinitions().mapValues(\.versions)
        #expect(extended == [
            "message/VoteRequest": [2], "message/VoteResponse": [2],
            "message/ConsumerGroupHeartbeatRequest": [1], "message/ConsumerGroupHeartbeatResponse": [1],
            "message/ConsumerGroupDescribeRequest": [1], "message/ConsumerGroupDescribeResponse": [1],
            // Transaction version 2 (KIP-890 part 2); Produce v13 names topics by id (KIP-516).
            "message/ProduceRequest": [12, 13], "message/ProduceResponse": [12, 13],
            "message/EndTxnRequest": [5], "message/EndTxnResponse": [5],
            "message/TxnOffsetCommitRequest": [5], "message/TxnOffsetCommitResponse": [5],
            // Metadata's top-level error (KIP-1102), fenced brokers in DescribeCluster (KIP-1073),
            // DescribeGroups' error message (KIP-1043), ListOffsets' timeout (KIP-1075) and pending
            // upload timestamp (KIP-1023), and topic ids in OffsetCommit and OffsetFetch.
            "message/MetadataRequest": [13], "message/MetadataResponse": [13],
            "message/DescribeClusterRequest": [2], "message/DescribeClusterResponse": [2],
            "message/DescribeGroupsRequest": [6], "message/DescribeGroupsResponse": [6],
            "message/ListOffsetsRequest": [10, 11], "message/ListOffsetsResponse": [10, 11],
            "message/OffsetCommitRequest": [10], "message/OffsetCommitResponse": [10],
            "message/OffsetFetchRequest": [10], "message/OffsetFetchResponse": [10],
            // Followers' high watermarks (KIP-1166), replication factor changes forbidden (KIP-860),
            // transactional id patterns (KIP-1152), markers' transaction version (KIP-1228), and voters
            // added without waiting for the commit (KIP-1186).
            "message/FetchRequest": [18], "message/FetchResponse": [18],
            "message/AlterPartitionReassignmentsRequest": [1], "message/AlterPartitionReassignmentsResponse": [1],
            "message/ListTransactionsRequest": [2], "message/ListTransactionsResponse": [2],
            "message/WriteTxnMarkersRequest": [2], "message/WriteTxnMarkersResponse": [2],
            "message/AddRaftVoterRequest": [1], "message/AddRaftVoterResponse": [1],
        ])
    }

    @Test func everyVersionBeyondKafka39HasFranzGosLayout() throws {
        var differences: [String] = []
        for (key, entry) in try Self.extendedDefinitions().sorted(by: { $0.key < $1.key }) {
            #expect(entry.spec.kind == .request || entry.spec.kind == .response, "\(key): only requests and responses are checked here")
            differences += WireLayout.differences(entry.spec, try Self.franz(entry.spec), versions: entry.versions)
        }
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test func theLayoutsAreNotEmptyAndReachTheNewFields() throws {
        // A reader that lost fields would compare empty with empty; the new fields must be there.
        let vote = try #require(try Self.extendedDefinitions()["message/VoteRequest"]?.spec)
        let layout = WireLayout.of(try Self.franz(vote), version: 2)
        #expect(layout.map(\.token) == ["string?", "int32", "[]{", "string", "[]{", "int32", "int32", "int32", "uuid", "uuid",
                                        "int32", "int64", "bool", "}", "}"])
        let describe = try #require(try Self.extendedDefinitions()["message/ConsumerGroupDescribeResponse"]?.spec)
        #expect(WireLayout.of(describe, version: 1).contains { $0.path.hasSuffix(".MemberType") && $0.token == "int8" })
        let endTxn = try #require(try Self.extendedDefinitions()["message/EndTxnResponse"]?.spec)
        #expect(WireLayout.of(try Self.franz(endTxn), version: 5).map(\.token).suffix(2) == ["int64", "int16"])
    }

    @Test func theComparisonNoticesAChangedLayout() throws {
        let all = try Self.extendedDefinitions()
        var vote = try #require(all["message/VoteRequest"]?.spec)
        let franzVote = try Self.franz(vote)
        // Drop PreVote from the definition.
        vote.fields[2].fields![1].fields!.removeLast()
        #expect(WireLayout.differences(vote, franzVote, versions: [2]).count == 1)

        var heartbeat = try #require(all["message/ConsumerGroupHeartbeatRequest"]?.spec)
        let franzHeartbeat = try Self.franz(heartbeat)
        // Make the regex non-nullable, and claim a version franz-go does not have.
        let regex = try #require(heartbeat.fields.firstIndex { $0.name == "SubscribedTopicRegex" })
        heartbeat.fields[regex].nullableVersions = nil
        let found = WireLayout.differences(heartbeat, franzHeartbeat, versions: [1, 2])
        #expect(found.count == 2)
        #expect(found.contains { $0.contains("v1: item") && $0.contains("SubscribedTopicRegex: string") })
        #expect(found.contains { $0.contains("stops at v1") })
    }

    @Test func theReaderRefusesWhatItDoesNotKnow() {
        #expect(throws: FranzDefinitionReader.ReadError.self) {
            try FranzDefinitionReader.read(text: "A => key 1, max version 0, flexible v0+\n  X: enum-Colour\n\nAResponse =>\n", file: "t")
        }
        #expect(throws: FranzDefinitionReader.ReadError.self) {
            try FranzDefinitionReader.read(text: "A => key 1, max version 0, flexible v0+\n  X: int32 // sometimes\n", file: "t")
        }
    }
}

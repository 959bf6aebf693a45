import ArgumentParser
import Foundation
import KafkaAdmin

/// The admin tools take Kafka's own command lines (joptsimple or argparse4j style, parsed by
/// `KafkaAdmin`), so ArgumentParser hands every word after the subcommand's name over unparsed.
protocol PassthroughTool: AsyncParsableCommand {
    var arguments: [String] { get }
    static func tool(arguments: [String], console: Console) async -> Int32
}

extension PassthroughTool {
    func run() async throws {
        let status = await Self.tool(arguments: arguments, console: .standard())
        if status != 0 { throw ExitCode(status) }
    }
}

struct TopicsCommand: PassthroughTool {
    static let configuration = CommandConfiguration(commandName: "topics", abstract: "Create, delete, describe, or change a topic (kafka-topics.sh).")
    @Argument(parsing: .captureForPassthrough, help: "kafka-topics.sh's options, e.g. --bootstrap-server localhost:9092 --list")
    var arguments: [String] = []
    static func tool(arguments: [String], console: Console) async -> Int32 { await TopicCommand.main(arguments: arguments, console: console) }
}

struct ConsumerGroupsCommand: PassthroughTool {
    static let configuration = CommandConfiguration(commandName: "consumer-groups",
                                                    abstract: "List, describe, delete consumer groups or reset their offsets (kafka-consumer-groups.sh).")
    @Argument(parsing: .captureForPassthrough, help: "kafka-consumer-groups.sh's options, e.g. --bootstrap-server localhost:9092 --describe --group g")
    var arguments: [String] = []
    static func tool(arguments: [String], console: Console) async -> Int32 { await ConsumerGroupCommand.main(arguments: arguments, console: console) }
}

struct ConfigsCommand: PassthroughTool {
    static let configuration = CommandConfiguration(commandName: "configs", abstract: "Describe or alter topic, broker, user and client configs (kafka-configs.sh).")
    @Argument(parsing: .captureForPassthrough, help: "kafka-configs.sh's options, e.g. --bootstrap-server localhost:9092 --describe --entity-type topics --entity-name t")
    var arguments: [String] = []
    static func tool(arguments: [String], console: Console) async -> Int32 { await ConfigCommand.main(arguments: arguments, console: console) }
}

struct MetadataQuorum: PassthroughTool {
    static let configuration = CommandConfiguration(commandName: "metadata-quorum", abstract: "Describe the KRaft metadata quorum (kafka-metadata-quorum.sh).")
    @Argument(parsing: .captureForPassthrough, help: "e.g. --bootstrap-server localhost:9092 describe --status")
    var arguments: [String] = []
    static func tool(arguments: [String], console: Console) async -> Int32 { await MetadataQuorumCommand.main(arguments: arguments, console: console) }
}

struct ClusterID: PassthroughTool {
    static let configuration = CommandConfiguration(commandName: "cluster-id", abstract: "Print the cluster's id (kafka-cluster.sh cluster-id).")
    @Argument(parsing: .captureForPassthrough, help: "--bootstrap-server localhost:9092")
    var arguments: [String] = []
    static func tool(arguments: [String], console: Console) async -> Int32 { await ClusterIDCommand.main(arguments: arguments, console: console) }
}

struct Cluster: PassthroughTool {
    static let configuration = CommandConfiguration(commandName: "cluster",
                                                    abstract: "Get the cluster's id or unregister a broker (kafka-cluster.sh).")
    @Argument(parsing: .captureForPassthrough, help: "cluster-id --bootstrap-server localhost:9092 | unregister --bootstrap-server localhost:9092 --id 3")
    var arguments: [String] = []
    static func tool(arguments: [String], console: Console) async -> Int32 { await ClusterCommand.main(arguments: arguments, console: console) }
}

struct Features: PassthroughTool {
    static let configuration = CommandConfiguration(commandName: "features",
                                                    abstract: "Describe, upgrade, downgrade or disable feature flags (kafka-features.sh).")
    @Argument(parsing: .captureForPassthrough, help: "--bootstrap-server localhost:9092 describe | upgrade --feature transaction.version=2")
    var arguments: [String] = []
    static func tool(arguments: [String], console: Console) async -> Int32 { await FeatureCommand.main(arguments: arguments, console: console) }
}

struct MetadataShellTool: PassthroughTool {
    static let configuration = CommandConfiguration(commandName: "metadata-shell",
                                                    abstract: "Browse a KRaft metadata snapshot or log read-only (kafka-metadata-shell.sh).")
    @Argument(parsing: .captureForPassthrough, help: "--snapshot <file> | --directory <dir> [ls|cat|find|tree|pwd path...]")
    var arguments: [String] = []
    static func tool(arguments: [String], console: Console) async -> Int32 { await MetadataShellCommand.main(arguments: arguments, console: console) }
}

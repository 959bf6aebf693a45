import KafkaMetadata
import KafkaProtocol

/// `strom features (--bootstrap-server S | --bootstrap-controller C) [--command-config F] COMMAND`:
/// Kafka 3.9's kafka-features.sh. `describe` prints each feature the node answering ApiVersions
/// supports, with its finalized level; `upgrade [--metadata 3.9-IV0] [--feature name=level]...
/// [--dry-run]`, `downgrade` (the same, plus `--unsafe`) and `disable --feature name... [--unsafe]
/// [--dry-run]` send UpdateFeatures and print a line per feature, in name order; any failure ends
/// with "N out of M operation(s) failed." and exit status 1.
public enum FeatureCommand {
    public static let options: [ToolOption] = [
        ToolOption("bootstrap-server", .required, help: "A comma-separated list of host:port pairs to use for establishing the connection to the Kafka cluster."),
        ToolOption("bootstrap-controller", .required, help: "A comma-separated list of host:port pairs to use for establishing the connection to the KRaft quorum."),
        ToolOption("command-config", .required, help: "Property file containing configs to be passed to Admin Client."),
        ToolOption("metadata", .required, help: "The level to which we should upgrade or downgrade the metadata. For example, 3.3-IV3."),
        ToolOption("feature", .required, help: "A feature update we should perform, in feature=level format (for disable, a feature name). For example: `metadata.version=5`."),
        ToolOption("dry-run", help: "Validate this update, but do not perform it."),
        ToolOption("unsafe", help: "Perform this downgrade even if it may irreversibly destroy metadata."),
        ToolOption("help", help: "Print usage information."),
    ]

    static let commands = ["describe", "upgrade", "downgrade", "disable"]
    /// The options each command takes besides the connection ones.
    static let commandOptions: [String: Set<String>] = [
        "describe": [], "upgrade": ["metadata", "feature", "dry-run"], "downgrade": ["metadata", "feature", "unsafe", "dry-run"],
        "disable": ["feature", "unsafe", "dry-run"],
    ]

    public static func main(arguments: [String], console: Console) async -> Int32 {
        await AdminTool.run(console: console, options: options) {
            let a = try ToolArguments(parsing: arguments, options: options)
            if a.has("help") { throw ToolUsageError("This tool manages feature flags in Kafka.") }
            let connect = a.given(["bootstrap-server", "bootstrap-controller"])
            guard connect.count == 1 else {
                throw ToolUsageError(connect.isEmpty ? "one of the arguments --bootstrap-server --bootstrap-controller is required"
                                     : "argument --bootstrap-controller: not allowed with argument --bootstrap-server")
            }
            guard let command = a.positionals.first else { throw ToolUsageError("too few arguments") }
            guard let allowed = commandOptions[command] else {
                throw ToolUsageError("invalid choice: '\(command)' (choose from 'describe', 'upgrade', 'downgrade', 'disable')")
            }
            let extra = a.occurrences.map(\.name).filter { !allowed.contains($0) && !["bootstrap-server", "bootstrap-controller", "command-config"].contains($0) }
            if let first = extra.first { throw ToolUsageError("unrecognized arguments: '--\(first)'") }
            if a.positionals.count > 1 { throw ToolUsageError("unrecognized arguments: '\(a.positionals[1])'") }
            let plan: FeaturePlan? = try command == "describe" ? nil : FeaturePlan(command: command, arguments: a)
            let client = try AdminTool.client(bootstrap: a.value(connect[0])!, commandConfig: a.value("command-config"))
            let outcome: Result<(String, Int), Error>
            do {
                if let plan {
                    let response = try await client.send { version in plan.request(version: version) }
                    outcome = .success(FeatureFormat.updateReport(plan, response))
                } else {
                    let response = try await client.send(ApiVersionsRequest(clientSoftwareName: "strom", clientSoftwareVersion: "1"))
                    if let f = KafkaFailure(code: response.errorCode) { throw f }
                    outcome = .success((FeatureFormat.describe(response), 0))
                }
            } catch {
                outcome = .failure(error)
            }
            await client.close()
            switch outcome {
            case let .success((text, failures)):
                console.write(text)
                if failures > 0, let plan { throw ToolFailure("\(failures) out of \(plan.updates.count) operation(s) failed.") }
                return 0
            case let .failure(error):
                throw ToolFailure(AdminTool.message(error))
            }
        }
    }
}

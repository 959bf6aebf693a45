import KafkaClient

/// What the tools share: building the client from `--bootstrap-server` and `--command-config`, and
/// turning the two kinds of argument error into Kafka's output and exit code 1.
public enum AdminTool {
    /// Runs `body`; a `ToolUsageError` prints its message and the option table on standard error
    /// (joptsimple's `printUsageAndExit`), a `ToolFailure` its message. Both exit 1.
    public static func run(console: Console, options: [ToolOption], _ body: () async throws -> Int32) async -> Int32 {
        do {
            return try await body()
        } catch let e as ToolUsageError {
            console.errorLine(e.message)
            console.errorLine(ToolHelp.table(options))
            return 1
        } catch let e as ToolFailure {
            console.errorLine(e.message)
            return 1
        } catch {
            console.errorLine("\(error)")
            return 1
        }
    }

    public static func client(bootstrap: String, commandConfig: String?) throws -> AdminClient {
        let servers = try HostPort.parseList(bootstrap)
        let properties = try ClientProperties.load(path: commandConfig)
        return AdminClient(bootstrap: servers, properties: properties, security: try properties.security())
    }

    /// The text Kafka's tools print for an exception: its message.
    public static func message(_ error: Error) -> String {
        switch error {
        case let e as KafkaFailure: e.description
        case let e as ToolFailure: e.message
        case let e as AdminClient.Failure: e.description
        case let e as KafkaChannel.Failure: e.description
        default: "\(error)"
        }
    }
}

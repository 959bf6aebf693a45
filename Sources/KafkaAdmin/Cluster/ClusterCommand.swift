import KafkaProtocol

/// `strom cluster cluster-id|unregister ...`: Kafka 3.9's kafka-cluster.sh, whose subcommands come
/// first and take their own options: `cluster-id` (`ClusterIDCommand`) and
/// `unregister --bootstrap-server S --id N` (or `--bootstrap-controller`, `--config`; short forms
/// `-b`, `-C`, `-c`, `-i`), which sends UnregisterBroker and prints "Broker N is no longer registered.".
public enum ClusterCommand {
    public static let commands = ["cluster-id", "unregister"]

    public static func main(arguments: [String], console: Console) async -> Int32 {
        guard let command = arguments.first, commands.contains(command) else {
            return await AdminTool.run(console: console, options: []) {
                if let first = arguments.first, !first.hasPrefix("-") {
                    throw ToolUsageError("invalid choice: '\(first)' (choose from 'cluster-id', 'unregister')")
                }
                throw ToolUsageError("too few arguments")
            }
        }
        let rest = Array(arguments.dropFirst())
        if command == "cluster-id" { return await ClusterIDCommand.main(arguments: rest, console: console) }
        return await UnregisterBrokerCommand.main(arguments: rest, console: console)
    }
}

/// `strom cluster unregister`: kafka-cluster.sh's unregister command.
public enum UnregisterBrokerCommand {
    public static let options: [ToolOption] = ClusterIDCommand.options.filter { $0.name != "help" } + [
        ToolOption("id", .required, help: "The ID of the broker to unregister."),
        ToolOption("help", help: "Print usage information."),
    ]

    public static func main(arguments: [String], console: Console) async -> Int32 {
        await AdminTool.run(console: console, options: options) {
            var args = arguments
            for (short, long) in [("-b", "--bootstrap-server"), ("-C", "--bootstrap-controller"), ("-c", "--config"), ("-i", "--id")] {
                args = args.map { $0 == short ? long : $0 }
            }
            let a = try ToolArguments(parsing: args, options: options)
            if a.has("help") { throw ToolUsageError("Unregister a broker.") }
            let connect = a.given(["bootstrap-server", "bootstrap-controller"])
            guard connect.count == 1 else {
                throw ToolUsageError(connect.isEmpty ? "one of the arguments --bootstrap-server --bootstrap-controller is required"
                                     : "argument --bootstrap-controller: not allowed with argument --bootstrap-server")
            }
            guard let text = a.value("id") else { throw ToolUsageError("argument --id/-i is required") }
            guard let id = Int32(text) else { throw ToolUsageError("argument --id/-i: could not convert '\(text)' to Integer") }
            let client = try AdminTool.client(bootstrap: a.value(connect[0])!, commandConfig: a.value("config"))
            let outcome: Result<Void, Error>
            do {
                let r = try await client.send(UnregisterBrokerRequest(brokerID: id))
                if let failure = KafkaFailure(code: r.errorCode, message: r.errorMessage) {
                    outcome = .failure(failure)
                } else {
                    outcome = .success(())
                }
            } catch {
                outcome = .failure(error)
            }
            await client.close()
            switch outcome {
            case .success:
                console.line("Broker \(id) is no longer registered.")
            case let .failure(error) where unsupported(error):
                // Kafka's tool says so and exits 0.
                console.line("The target cluster does not support the broker unregistration API.")
            case let .failure(error):
                throw ToolFailure(AdminTool.message(error))
            }
            return 0
        }
    }

    /// The API is not served (not advertised, or refused as an unsupported version).
    static func unsupported(_ error: Error) -> Bool {
        if case AdminClient.Failure.unsupportedVersion? = error as? AdminClient.Failure { return true }
        return (error as? KafkaFailure)?.code == .unsupportedVersion
    }
}

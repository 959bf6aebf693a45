import ArgumentParser
import Foundation
import KafkaBroker
import KafkaMetadata
import KafkaSecurity
import Logging
import ServiceLifecycle
import StromConfig

/// `strom`: one combined broker+controller node. With no arguments it runs the embedded default
/// (clients on 127.0.0.1:9092, controller on 127.0.0.1:9093, data in ./strom-data, formatted on
/// first start); `--config server.properties` and `--override key=value` use Kafka's keys.
@main
struct Strom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strom",
        abstract: "A Kafka-protocol broker with its own KRaft controller.",
        subcommands: [Run.self, Format.self, RandomUUID.self, PrintConfig.self, DumpLogCommand.self, TopicsCommand.self, ConsumerGroupsCommand.self, ConfigsCommand.self, MetadataQuorum.self, ClusterID.self, Cluster.self, Features.self, MetadataShellTool.self],
        defaultSubcommand: Run.self
    )
}

struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "A server.properties file (Kafka's keys). Without it, the KAFKA_* environment, else the embedded single-node default.")
    var config: String?

    @Option(name: .long, help: "Override one key: --override key=value (repeatable).")
    var override: [String] = []

    /// A configuration and the layers it was read from.
    struct Loaded {
        var layers: ConfigLayers
        var config: ServerConfig
    }

    /// The configuration (file or `KAFKA_*` environment or embedded defaults, then environment, then
    /// overrides), or (printed to standard error, exit status 78 as sysexits' EX_CONFIG) why not.
    func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Loaded {
        do {
            let layers = try ConfigLoading.layers(file: config, overrides: override, environment: environment)
            return Loaded(layers: layers, config: try ConfigLoading.parse(layers))
        } catch {
            FileHandle.standardError.write(Data("strom: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the node (the default).")

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["STROM_LOG_LEVEL"] ?? "info"

    @Option(name: .long, help: "text (the default) or json: one JSON object per line, for log pipelines.")
    var logFormat: String = ProcessInfo.processInfo.environment["STROM_LOG_FORMAT"] ?? "text"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let loaded = try options.load(environment: environment)
        let config = loaded.config
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown log level \(logLevel)") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("unknown log format \(logFormat) (text or json)") }
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "strom")
        // The effective configuration, as Kafka prints its KafkaConfig values: passwords hidden.
        logger.info("configuration", metadata: [
            "config.source": "\(loaded.layers.base)",
            "config": .dictionary(loaded.layers.maskedProperties.mapValues { .string($0) }),
        ])
        if let clusterID = EnvironmentConfig.clusterID(environment) {
            // As Kafka's image runs `kafka-storage format --ignore-formatted` with CLUSTER_ID; a
            // directory formatted for another cluster is refused rather than ignored.
            do {
                for dir in try MetaProperties.format(config: config, clusterID: clusterID) {
                    logger.info("formatted log directory from CLUSTER_ID", metadata: ["kafka.cluster_id": "\(clusterID)", "log.dir": "\(dir)"])
                }
            } catch {
                FileHandle.standardError.write(Data("strom: CLUSTER_ID: \(error)\n".utf8))
                throw ExitCode(78)
            }
        }
        // Only the zero-configuration node formats itself with a random cluster id: the nodes of a
        // configured cluster must share one (CLUSTER_ID, or `strom format`).
        if loaded.layers.base == .environment, (try? MetaProperties.clusterID(config: config)) == .some(nil) {
            FileHandle.standardError.write(Data("strom: log directories \(config.logDirs) are not formatted: set CLUSTER_ID (see `strom random-uuid`) or run `strom format`\n".utf8))
            throw ExitCode(78)
        }
        let formatIfNeeded = loaded.layers.base == .embeddedDefaults
        // SIGTERM and SIGINT shut the node down cleanly, through swift-service-lifecycle's ServiceGroup:
        // its signal handlers are in place before the node starts, so a signal during start-up still ends
        // in a clean shutdown once the node is up.
        let node = NodeService(start: { try await StromNode.start(config: config, formatIfNeeded: formatIfNeeded, logger: logger) },
                               logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: node, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

struct Format: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write meta.properties into every log directory, as kafka-storage.sh format does."
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: [.customShort("t"), .long], help: "The cluster id (22-character base64 UUID, see `strom random-uuid`).")
    var clusterID: String

    @Flag(name: [.customShort("g"), .long], help: "Succeed when a directory is already formatted with this cluster id.")
    var ignoreFormatted = false

    @Option(name: [.customShort("S"), .customLong("add-scram")],
            help: "A SCRAM user to create with the cluster, as kafka-storage.sh takes it: 'SCRAM-SHA-256=[name=alice,password=alice-secret]' (repeatable).")
    var addScram: [String] = []

    func run() throws {
        let config = try options.load().config
        var users: [ScramBootstrapArgument] = []
        for argument in addScram {
            do { users.append(try ScramBootstrapArgument(parsing: argument)) } catch { throw ValidationError(error.description) }
        }
        if !ignoreFormatted, let existing = try MetaProperties.clusterID(config: config) {
            throw ValidationError("already formatted (cluster \(existing)); use --ignore-formatted to accept that")
        }
        let formatted = try MetaProperties.format(config: config, clusterID: clusterID)
        // The metadata log's directory holds bootstrap.checkpoint; it is written when that directory is formatted now.
        if !users.isEmpty, !formatted.contains(config.logDirs[0]) {
            FileHandle.standardError.write(Data("strom: \(config.logDirs[0]) was already formatted: --add-scram writes nothing (create the users with AlterUserScramCredentials)\n".utf8))
        }
        if !users.isEmpty, formatted.contains(config.logDirs[0]) {
            let records = users.map { u in
                MetadataRecordAndVersion(u.credential.record(.init(user: u.user, mechanism: u.mechanism.rawValue)), version: 0)
            }
            try BootstrapCheckpoint.write(records, logDirectory: config.logDirs[0], now: Int64(Date().timeIntervalSince1970 * 1000))
        }
        for dir in formatted {
            print("Formatting \(dir) with cluster.id \(clusterID)")
        }
    }
}

struct RandomUUID: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "random-uuid", abstract: "Print a new cluster id.")
    func run() { print(MetaProperties.randomClusterID()) }
}

struct PrintConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print-config",
        abstract: "Print the checked configuration a node would run with (file or KAFKA_* environment, overrides) as server.properties."
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        print(JavaProperties.render(try options.load().layers.properties), terminator: "")
    }
}

import Foundation
import KafkaBroker
import KafkaMetadata
import Logging
import NIOCore
import NIOPosix
import StromConfig

/// A node assembled exactly as `strom` assembles one (`StromNode`), on ephemeral loopback ports,
/// with its data in a fresh temporary directory (kept when `directory` is given, for restarts).
public final class TestBroker: Sendable {
    public let node: StromNode
    public let directory: String
    public var port: Int { node.boundPorts["PLAINTEXT"]! }
    /// The controller listener's port.
    public var controllerPort: Int { node.boundPorts["CONTROLLER"]! }
    public var metadata: MetadataService { node.metadata }
    public var config: ServerConfig { node.config }

    /// `logger` replaces the default one (silent unless `STROM_TEST_LOG` is set): tests that read the
    /// node's log lines pass one that captures them.
    public init(overrides: [String: String] = [:], directory: String? = nil, logger: Logger? = nil) async throws {
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("strom-test-\(UUID().uuidString)").path
        self.directory = dir
        var properties = ServerConfig.embeddedDefaults
        properties["listeners"] = "PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0"
        properties["advertised.listeners"] = "PLAINTEXT://127.0.0.1:0"
        properties["log.dirs"] = dir
        // Metrics on an ephemeral port: tests run many nodes at once.
        properties["strom.metrics.listener"] = "http://127.0.0.1:0"
        // Three offsets and transaction state partitions instead of fifty keep start-up quick; the
        // code path is the same.
        properties["offsets.topic.num.partitions"] = "3"
        properties["transaction.state.log.num.partitions"] = "3"
        // A test broker never fences itself for missed heartbeats unless a test asks for it: `swift test
        // --parallel` runs dozens of brokers in one process, whose blocking file work shares the two
        // cooperative threads, and under load a heartbeat could wait longer than Kafka's 9 s session;
        // the broker then fenced itself and answered NOT_LEADER_OR_FOLLOWER for every partition.
        // Fencing is tested where it is the subject (multi-process quorum tests, BrokerLifecycleTests).
        properties["broker.session.timeout.ms"] = "3600000"
        properties.merge(overrides) { $1 }
        let config = try ServerConfig.parse(properties)
        var quiet = Logger(label: "strom.test")
        quiet.logLevel = ProcessInfo.processInfo.environment["STROM_TEST_LOG"] == nil ? .critical : .debug
        node = try await StromNode.start(config: config, formatIfNeeded: true, logger: logger ?? quiet)
    }

    public func client() async throws -> TestKafkaClient {
        try await TestKafkaClient(port: port)
    }

    /// Stops the node cleanly; removes its data unless `keepData`.
    public func shutdown(keepData: Bool = false) async {
        await node.shutdown()
        if !keepData { try? FileManager.default.removeItem(atPath: directory) }
    }
}

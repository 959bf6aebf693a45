import Foundation
import KafkaBroker
import KafkaMetadata
import Logging
import NIOCore
import NIOPosix
import StromConfig

/// A broker assembled exactly as `strom` assembles one, listening on an ephemeral loopback port,
/// with its metadata log in memory. For tests of the request path over real TCP.
public final class TestBroker: Sendable {
    public let port: Int
    public let metadata: MetadataService
    public let config: ServerConfig
    private let server: KafkaServer
    private let task: Task<Void, Error>

    public init(overrides: [String: String] = [:], maxFrameSize: Int? = nil) async throws {
        var properties = ServerConfig.embeddedDefaults
        properties.merge(overrides) { $1 }
        config = try ServerConfig.parse(properties)
        var logger = Logger(label: "strom.test")
        logger.logLevel = ProcessInfo.processInfo.environment["STROM_TEST_LOG"] == nil ? .critical : .debug
        let store = InMemoryMetadataLogStore()
        metadata = try MetadataService(store: store, config: config, clusterID: MetaProperties.randomClusterID(), logger: logger)
        let dispatcher = BrokerAssembly.clientDispatcher(
            listenerName: "PLAINTEXT", metadata: metadata, config: config,
            metadataLogEndOffset: { store.logEndOffset }, logger: logger
        )
        server = KafkaServer(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 0,
                             maxFrameSize: maxFrameSize ?? config.socketRequestMaxBytes, dispatcher: dispatcher,
                             group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        port = try await server.bind()
        try await metadata.registerBroker(endpoints: [.init(listenerName: "PLAINTEXT", host: "127.0.0.1", port: UInt16(port))])
        let server = self.server
        task = Task { try await server.run() }
    }

    public func client() async throws -> TestKafkaClient {
        try await TestKafkaClient(port: port)
    }

    public func shutdown() async {
        await server.close()
        task.cancel()
        _ = try? await task.value
    }
}

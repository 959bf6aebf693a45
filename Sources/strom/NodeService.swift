import KafkaBroker
import Logging
import ServiceLifecycle

/// The node as a swift-service-lifecycle `Service`: starts it, serves until the group's graceful
/// shutdown (SIGTERM or SIGINT; at once if one arrived during start-up), then shuts it down cleanly:
/// fenced at the controller, listeners closed, logs flushed and closed.
struct NodeService: Service {
    let start: @Sendable () async throws -> StromNode
    let logger: Logger

    func run() async throws {
        let node = try await start()
        try? await gracefulShutdown()
        logger.info("shutting down", metadata: ["reason": "SIGTERM or SIGINT"])
        await node.shutdown()
    }
}

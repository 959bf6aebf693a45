import KafkaBroker
import ServiceLifecycle

/// The node as a swift-service-lifecycle `Service`: starts it, serves until the group's graceful
/// shutdown (a signal; at once if one arrived during start-up), then shuts it down cleanly: fenced at
/// the controller, listeners closed, logs flushed and closed.
struct NodeService: Service {
    let start: @Sendable () async throws -> StromNode

    func run() async throws {
        let node = try await start()
        try? await gracefulShutdown()
        await node.shutdown()
    }
}

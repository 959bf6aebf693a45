import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The node's HTTP listener for Prometheus and orchestrators (`strom.metrics.listener`):
/// - `GET /metrics`: every metric in Prometheus' text format (`NodeMetrics.scrape`);
/// - `GET /health/live`: 200 while the process serves requests;
/// - `GET /health/ready`: 200 once the node is ready for clients (registered, unfenced and caught up
///   on metadata), else 503 with the reason.
/// Anything else is 404 (405 for a method other than GET or HEAD). One request per connection is
/// enough for scrapers, but keep-alive is honoured.
public final class MetricsServer: Sendable {
    /// Whether the node is ready, and why not.
    public typealias Readiness = @Sendable () async -> (ready: Bool, reason: String)

    private let metrics: NodeMetrics
    private let readiness: Readiness
    private let logger: Logger
    private let channel: Channel

    private init(metrics: NodeMetrics, readiness: @escaping Readiness, logger: Logger, channel: Channel) {
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger
        self.channel = channel
    }

    /// The bound port (useful when asked for port 0).
    public var port: Int { channel.localAddress?.port ?? 0 }

    public static func start(host: String, port: Int, metrics: NodeMetrics, readiness: @escaping Readiness,
                             logger: Logger) async throws -> MetricsServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.pipeline.configureHTTPServerPipeline().flatMap {
                    child.pipeline.addHandler(Handler(metrics: metrics, readiness: readiness))
                }
            }
            .bind(host: host, port: port).get()
        let server = MetricsServer(metrics: metrics, readiness: readiness, logger: logger, channel: channel)
        logger.info("serving metrics and health checks", metadata: ["net.listener": "http://\(host):\(server.port)"])
        return server
    }

    public func close() async {
        try? await channel.close()
    }

    /// Closes without waiting (a failed start-up unwinding).
    public func closeNow() {
        channel.close(promise: nil)
    }

    /// One connection's requests, answered in order.
    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let metrics: NodeMetrics
        private let readiness: Readiness
        private var head: HTTPRequestHead?

        init(metrics: NodeMetrics, readiness: @escaping Readiness) {
            self.metrics = metrics
            self.readiness = readiness
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(h): head = h
            case .body: break
            case .end:
                guard let head else { return }
                self.head = nil
                let metrics = self.metrics, readiness = self.readiness
                let loop = context.eventLoop
                let contextBox = NIOLoopBound(context, eventLoop: loop)
                let handler = NIOLoopBound(self, eventLoop: loop)
                Task {
                    let (status, type, body) = await Self.answer(head, metrics: metrics, readiness: readiness)
                    loop.execute { handler.value.respond(context: contextBox.value, head: head, status: status, type: type, body: body) }
                }
            }
        }

        static func answer(_ head: HTTPRequestHead, metrics: NodeMetrics, readiness: Readiness) async
            -> (HTTPResponseStatus, String, [UInt8]) {
            guard head.method == .GET || head.method == .HEAD else { return (.methodNotAllowed, "text/plain", Array("GET only\n".utf8)) }
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            switch path {
            case "/metrics":
                return (.ok, "text/plain; version=0.0.4; charset=utf-8", await metrics.scrape())
            case "/health/live":
                return (.ok, "text/plain", Array("live\n".utf8))
            case "/health/ready":
                let (ready, reason) = await readiness()
                return (ready ? .ok : .serviceUnavailable, "text/plain", Array("\(ready ? "ready" : "not ready: \(reason)")\n".utf8))
            default:
                return (.notFound, "text/plain", Array("not found: try /metrics, /health/live or /health/ready\n".utf8))
            }
        }

        func respond(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, type: String, body: [UInt8]) {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: "\(body.count)")
            let keepAlive = head.isKeepAlive
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            if head.method != .HEAD {
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            }
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
        }
    }
}

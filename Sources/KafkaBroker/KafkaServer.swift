import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One listener: accepts connections and, per connection, reads size-framed requests and answers
/// each in order before reading the next (Kafka's per-connection ordering).
///
/// A frame larger than `socket.request.max.bytes`, a malformed header or body, or an API or version
/// this broker does not serve closes the connection with a log line saying why; nothing else is
/// affected.
public final class KafkaServer: Sendable {
    public let listenerName: String
    private let host: String
    private let port: Int
    private let maxFrameSize: Int
    private let dispatcher: RequestDispatcher
    private let group: EventLoopGroup
    private let logger: Logger
    private let connectionCounter = NIOLockedValueBox<UInt64>(0)
    private let boundChannel = NIOLockedValueBox<NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>?>(nil)

    public init(listenerName: String, host: String, port: Int, maxFrameSize: Int, dispatcher: RequestDispatcher,
                group: EventLoopGroup, logger: Logger) {
        self.listenerName = listenerName
        self.host = host
        self.port = port
        self.maxFrameSize = maxFrameSize
        self.dispatcher = dispatcher
        self.group = group
        self.logger = logger
    }

    /// Binds the listener; returns the bound port (useful when asked for port 0).
    public func bind() async throws -> Int {
        let maxFrameSize = self.maxFrameSize
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .bind(host: host.isEmpty ? "0.0.0.0" : host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: maxFrameSize)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        boundChannel.withLockedValue { $0 = channel }
        return channel.channel.localAddress?.port ?? port
    }

    /// Serves connections until the listener is closed.
    public func run() async throws {
        guard let channel = boundChannel.withLockedValue({ $0 }) else { throw ServerNotBound() }
        try await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { connections in
                for try await connection in connections {
                    let id = connectionCounter.withLockedValue { $0 += 1; return $0 }
                    group.addTask { await self.serve(connection, id: id) }
                }
            }
        }
    }

    /// Stops accepting; open connections finish their current request and close.
    public func close() async {
        try? await boundChannel.withLockedValue({ $0 })?.channel.close()
    }

    struct ServerNotBound: Error {}

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, id: UInt64) async {
        let remote = connection.channel.remoteAddress?.description ?? "?"
        var log = logger
        log[metadataKey: "net.connection"] = "\(id)"
        log[metadataKey: "net.peer"] = "\(remote)"
        log.debug("connection opened")
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    switch await dispatcher.dispatch(frame, connectionID: id, remoteAddress: remote) {
                    case let .respond(bytes):
                        try await outbound.write(bytes)
                    case .noResponse:
                        continue
                    case let .close(reason):
                        log.warning("closing connection", metadata: ["reason": "\(reason)"])
                        return
                    }
                }
            }
            log.debug("connection closed by peer")
        } catch let error as KafkaFrameDecoder.FrameTooLarge {
            log.warning("closing connection", metadata: ["reason": "\(error) (socket.request.max.bytes)"])
        } catch {
            log.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }
}

import KafkaProtocol
import NIOCore
import NIOPosix

/// A minimal Kafka client for tests: sends one request frame at a time and reads one response.
/// Knows nothing of clients' behaviour; interop with real clients is tested with real clients.
public final class TestKafkaClient: @unchecked Sendable {
    public struct ConnectionClosed: Error, Hashable {}

    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var correlationID: Int32 = 0

    public init(host: String = "127.0.0.1", port: Int, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        channel = try await ClientBootstrap(group: group).connect(host: host, port: port) { ch in
            ch.eventLoop.makeCompletedFuture {
                try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 1 << 30)))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch)
            }
        }
        iterator = channel.inbound.makeAsyncIterator()
        outbound = channel.outbound
    }

    /// Sends `request` in `version` and decodes the response in the same version.
    public func send<R: KafkaRequestMessage>(_ request: R, version: Int16, clientID: String? = "strom-test") async throws -> R.Response {
        correlationID += 1
        let id = correlationID
        try await outbound.write(try request.encodeFrame(version: version, correlationID: id, clientID: clientID))
        var payload = try await nextFrame()
        let headerVersion = R.apiKey.responseHeaderVersion(apiVersion: version)
        let header = try ResponseHeader.decode(from: &payload, version: headerVersion)
        precondition(header.correlationID == id, "correlation id \(header.correlationID), expected \(id)")
        return try R.Response.decodeExactly(payload, version: version)
    }

    /// Sends raw frame bytes (size prefix included) and returns the next response payload, or
    /// throws `ConnectionClosed` if the broker closed the connection instead.
    public func sendRaw(_ bytes: ByteBuffer) async throws -> ByteBuffer {
        try await outbound.write(bytes)
        return try await nextFrame()
    }

    /// Sends a request and expects no response (acks=0).
    public func sendWithoutResponse<R: KafkaRequestMessage>(_ request: R, version: Int16) async throws {
        correlationID += 1
        try await outbound.write(try request.encodeFrame(version: version, correlationID: correlationID, clientID: "strom-test"))
    }

    private func nextFrame() async throws -> ByteBuffer {
        do {
            guard let frame = try await iterator.next() else { throw ConnectionClosed() }
            return frame
        } catch is ConnectionClosed {
            throw ConnectionClosed()
        } catch {
            throw ConnectionClosed()
        }
    }

    public func close() async {
        outbound.finish()
        try? await channel.channel.close()
    }

    deinit {
        // NIO requires the writer to be finished before it goes away.
        outbound.finish()
        channel.channel.close(promise: nil)
    }
}

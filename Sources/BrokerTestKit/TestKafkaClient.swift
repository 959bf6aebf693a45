import KafkaProtocol
import NIOCore
import NIOPosix

/// A minimal Kafka client for tests: sends one request frame at a time and reads one response.
/// Knows nothing of clients' behaviour; interop with real clients is tested with real clients.
///
/// The connection lives in one task inside `executeThenClose`: frames to send reach it through
/// `requests`, frames read come back through `frames`, which ends when the broker closes the
/// connection. `close` (or deinit) ends `requests`, and the task then closes the channel.
public final class TestKafkaClient: @unchecked Sendable {
    public struct ConnectionClosed: Error, Hashable {}

    private let requests: AsyncStream<ByteBuffer>.Continuation
    private var iterator: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
    private let connection: Task<Void, Never>
    private var correlationID: Int32 = 0

    public init(host: String = "127.0.0.1", port: Int, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let channel = try await ClientBootstrap(group: group).connect(host: host, port: port) { ch in
            ch.eventLoop.makeCompletedFuture {
                try ch.pipeline.syncOperations.addHandler(KafkaFrameReader(maxFrameSize: 1 << 30))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch)
            }
        }
        let (toSend, requests) = AsyncStream<ByteBuffer>.makeStream()
        let (frames, received) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        self.requests = requests
        iterator = frames.makeAsyncIterator()
        connection = Task {
            try? await channel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await frame in toSend { try await outbound.write(frame) }
                    }
                    group.addTask {
                        for try await frame in inbound { received.yield(frame) }
                    }
                    // Either side ending (closed by us, by the broker, or failed) ends the connection.
                    try await group.next()
                    group.cancelAll()
                }
            }
            received.finish()
        }
    }

    /// Sends `request` in `version` and decodes the response in the same version.
    public func send<R: KafkaRequestMessage>(_ request: R, version: Int16, clientID: String? = "strom-test") async throws -> R.Response {
        correlationID += 1
        let id = correlationID
        requests.yield(try request.encodeFrame(version: version, correlationID: id, clientID: clientID))
        var payload = try await nextFrame()
        let headerVersion = R.apiKey.responseHeaderVersion(apiVersion: version)
        let header = try ResponseHeader.decode(from: &payload, version: headerVersion)
        precondition(header.correlationID == id, "correlation id \(header.correlationID), expected \(id)")
        return try R.Response.decodeExactly(payload, version: version)
    }

    /// Sends raw frame bytes (size prefix included) and returns the next response payload, or
    /// throws `ConnectionClosed` if the broker closed the connection instead.
    public func sendRaw(_ bytes: ByteBuffer) async throws -> ByteBuffer {
        requests.yield(bytes)
        return try await nextFrame()
    }

    /// Sends a request and expects no response (acks=0).
    public func sendWithoutResponse<R: KafkaRequestMessage>(_ request: R, version: Int16) async throws {
        correlationID += 1
        requests.yield(try request.encodeFrame(version: version, correlationID: correlationID, clientID: "strom-test"))
    }

    /// The next response payload (header included), for requests sent with `sendWithoutResponse`
    /// ahead of their answers; throws `ConnectionClosed` when the broker closed the connection.
    public func receive() async throws -> ByteBuffer {
        try await nextFrame()
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

    /// A failed SASL login: the code and message the broker answered.
    public struct AuthenticationFailed: Error, Hashable {
        public var code: ErrorCode
        public var message: String?
    }

    /// Logs in with SASL PLAIN (SaslHandshake v1, then SaslAuthenticate v2), as a client on a
    /// SASL_PLAINTEXT listener does before anything else.
    public func authenticatePlain(user: String, password: String) async throws {
        let handshake = try await send(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)
        guard handshake.errorCode == 0 else { throw AuthenticationFailed(code: ErrorCode(rawValue: handshake.errorCode), message: nil) }
        let token = [UInt8(0)] + Array(user.utf8) + [0] + Array(password.utf8)
        let answer = try await send(SaslAuthenticateRequest(authBytes: token), version: 2)
        guard answer.errorCode == 0 else {
            throw AuthenticationFailed(code: ErrorCode(rawValue: answer.errorCode), message: answer.errorMessage)
        }
    }

    /// Closes the connection and waits until it is closed.
    public func close() async {
        requests.finish()
        await connection.value
    }

    deinit {
        requests.finish()
    }
}

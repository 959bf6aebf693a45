import KafkaProtocol
import KafkaSecurity
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// One outbound Kafka connection: the broker's to another node's controller listener (quorum RPCs,
/// forwarded controller requests, broker heartbeats) or inter-broker listener (replica fetches,
/// transaction markers), and the admin tools' to any Kafka-compatible broker or controller. Requests go
/// one at a time; the connection is opened on first use and again after any failure. On a SASL listener (`sasl` set) each new connection authenticates first:
/// SaslHandshake v1, then SaslAuthenticate v2 with PLAIN's one token or SCRAM's two (the server's final
/// message is checked, so a server that does not know the credential is not trusted).
///
/// Invariant: a response is returned only for the request whose correlation id it carries; a timeout,
/// a closed connection or a mismatched correlation id closes the connection and throws, so a late
/// response can never be taken for the next request's, and a silent peer holds the channel no longer
/// than the timeout.
public actor KafkaChannel {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public nonisolated let host: String
    public nonisolated let port: Int
    private let clientID: String
    private let logger: Logger
    private var connection: Channel?
    private var nextCorrelationID: Int32 = 0
    /// Requests go one at a time, in arrival order.
    private var gate = SerialGate()
    private let sasl: SaslClientCredentials?
    private let tls: NIOSSLContext?
    private let connectTimeout: TimeAmount
    /// When the SASL session the listener granted (`connections.max.reauth.ms`) is 85% through: the
    /// connection is replaced before the next request after it, rather than closed by the server mid-request.
    private var sessionRenewal: NIODeadline?
    /// When the connection was last used: one idle for 9 minutes is replaced before its next request,
    /// ahead of the peer closing it at `connections.max.idle.ms` (10 minutes by default), as Kafka's
    /// clients close theirs first.
    private var lastUsed = NIODeadline.now()

    public init(host: String, port: Int, clientID: String, logger: Logger, security: ChannelSecurity = ChannelSecurity(),
                connectTimeout: TimeAmount = .seconds(2)) {
        self.connectTimeout = connectTimeout
        self.sasl = security.sasl
        self.tls = security.tls
        self.host = host
        self.port = port
        self.clientID = clientID
        self.logger = logger
    }

    /// Sends a framed request (size prefix included) and returns the response body after its header.
    public func roundTrip(frame: ByteBuffer, apiKey: APIKey, version: Int16, correlationID: Int32, timeoutMs: Int64) async throws -> ByteBuffer {
        if !gate.tryEnter() { await withCheckedContinuation { gate.park($0) } }
        defer { gate.leave() }
        do {
            return try await exchange(frame: frame, apiKey: apiKey, version: version, correlationID: correlationID, timeoutMs: timeoutMs)
        } catch {
            await disconnect()
            throw error
        }
    }

    /// Sends a generated request and decodes its response.
    public func send<R: KafkaRequestMessage>(_ request: R, version: Int16, timeoutMs: Int64) async throws -> R.Response {
        nextCorrelationID &+= 1
        let id = nextCorrelationID
        let frame = try request.encodeFrame(version: version, correlationID: id, clientID: clientID)
        let body = try await roundTrip(frame: frame, apiKey: R.apiKey, version: version, correlationID: id, timeoutMs: timeoutMs)
        return try R.Response.decodeExactly(body, version: version)
    }

    /// The timeout lives on the event loop: it fails the response and closes the connection, so a
    /// silent peer cannot hold the channel (a future's `get()` does not observe task cancellation). A
    /// write that never reaches the pipeline (the connection closed meanwhile) fails the response too.
    private func exchange(frame: ByteBuffer, apiKey: APIKey, version: Int16, correlationID: Int32, timeoutMs: Int64) async throws -> ByteBuffer {
        try await exchange(on: try await connected(timeoutMs: timeoutMs), frame: frame, apiKey: apiKey, version: version,
                           correlationID: correlationID, timeoutMs: timeoutMs)
    }

    private func exchange(on channel: Channel, frame: ByteBuffer, apiKey: APIKey, version: Int16, correlationID: Int32,
                          timeoutMs: Int64) async throws -> ByteBuffer {
        let response = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { response.fail($0) }
        let (host, port) = (self.host, self.port)
        let timer = channel.eventLoop.scheduleTask(in: .milliseconds(timeoutMs)) {
            response.fail(Failure(description: "no response from \(host):\(port) within \(timeoutMs) ms"))
            channel.close(promise: nil)
        }
        channel.writeAndFlush(ResponseWaiter.Outbound(frame: frame, promise: response), promise: written)
        defer { timer.cancel() }
        var payload = try await response.futureResult.get()
        let header = try ResponseHeader.decode(from: &payload, version: apiKey.responseHeaderVersion(apiVersion: version))
        guard header.correlationID == correlationID else {
            throw Failure(description: "\(host):\(port) answered correlation id \(header.correlationID), expected \(correlationID)")
        }
        return payload
    }

    private func connected(timeoutMs: Int64) async throws -> Channel {
        let now = NIODeadline.now()
        defer { lastUsed = now }
        if let connection, connection.isActive {
            let renew = sessionRenewal.map { now >= $0 } ?? false
            if !renew && now - lastUsed < .minutes(9) { return connection }
            await disconnect()
        }
        sessionRenewal = nil
        let (tls, host) = (self.tls, self.host)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    if let tls {
                        // Host names are checked (ssl.endpoint.identification.algorithm=https); an address is not a name.
                        let name = (try? SocketAddress(ipAddress: host, port: 0)) != nil ? nil : host
                        try ch.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: name))
                    }
                    try ch.pipeline.syncOperations.addHandler(KafkaFrameReader(maxFrameSize: 256 << 20))
                    try ch.pipeline.syncOperations.addHandler(ResponseWaiter())
                }
            }
            .connect(host: host, port: port).get()
        if let sasl {
            do {
                try await authenticate(on: channel, with: sasl, timeoutMs: timeoutMs)
            } catch {
                try? await channel.close()
                throw error
            }
        }
        connection = channel
        return channel
    }

    /// One request on a connection that is not yet `connection` (authentication happens before it is).
    private func call<R: KafkaRequestMessage>(_ request: R, version: Int16, on channel: Channel, timeoutMs: Int64) async throws -> R.Response {
        nextCorrelationID &+= 1
        let id = nextCorrelationID
        let frame = try request.encodeFrame(version: version, correlationID: id, clientID: clientID)
        let body = try await exchange(on: channel, frame: frame, apiKey: R.apiKey, version: version, correlationID: id, timeoutMs: timeoutMs)
        return try R.Response.decodeExactly(body, version: version)
    }

    private func authenticate(on channel: Channel, with sasl: SaslClientCredentials, timeoutMs: Int64) async throws {
        func fail(_ why: String) -> Failure {
            Failure(description: "SASL \(sasl.mechanism) authentication as \(sasl.username) to \(host):\(port) failed: \(why)")
        }
        let handshake = try await call(SaslHandshakeRequest(mechanism: sasl.mechanism.rawValue), version: 1, on: channel, timeoutMs: timeoutMs)
        guard handshake.errorCode == 0 else { throw fail("\(ErrorCode(rawValue: handshake.errorCode)) (enabled there: \(handshake.mechanisms))") }
        func step(_ token: [UInt8]) async throws -> SaslAuthenticateResponse {
            let r = try await call(SaslAuthenticateRequest(authBytes: token), version: 2, on: channel, timeoutMs: timeoutMs)
            guard r.errorCode == 0 else { throw fail(r.errorMessage ?? "\(ErrorCode(rawValue: r.errorCode))") }
            return r
        }
        let last: SaslAuthenticateResponse
        if let scram = sasl.mechanism.scram {
            var exchange = ScramClientExchange(mechanism: scram, userName: sasl.username, password: sasl.password)
            let serverFirst = try await step(exchange.firstMessage)
            let final: [UInt8]
            do { final = try exchange.finalMessage(serverFirst: serverFirst.authBytes) } catch { throw fail(error.message) }
            last = try await step(final)
            do { try exchange.verify(serverFinal: last.authBytes) } catch { throw fail(error.message) }
        } else {
            last = try await step([0] + Array(sasl.username.utf8) + [0] + Array(sasl.password.utf8))
        }
        let lifetimeMs = last.sessionLifetimeMs
        if lifetimeMs > 0 { sessionRenewal = NIODeadline.now() + .milliseconds(lifetimeMs * 85 / 100) }
    }

    public func disconnect() async {
        guard let c = connection else { return }
        connection = nil
        try? await c.close()
    }
}

/// Pairs response frames with the requests written on the connection, first in first out; fails
/// every waiting request when the connection errors or closes.
private final class ResponseWaiter: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Outbound
    typealias OutboundOut = ByteBuffer

    struct Outbound {
        var frame: ByteBuffer
        var promise: EventLoopPromise<ByteBuffer>
    }

    struct Closed: Error, CustomStringConvertible {
        var description: String { "the connection closed" }
    }

    private var waiting: [EventLoopPromise<ByteBuffer>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let out = unwrapOutboundIn(data)
        waiting.append(out.promise)
        context.writeAndFlush(wrapOutboundOut(out.frame), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !waiting.isEmpty else {
            context.close(promise: nil)
            return
        }
        waiting.removeFirst().succeed(frame)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(Closed())
        context.fireChannelInactive()
    }

    private func failAll(_ error: Error) {
        let w = waiting
        waiting.removeAll()
        for p in w { p.fail(error) }
    }
}

import KafkaProtocol
import KafkaSecurity
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import StromConfig

/// One listener: accepts connections and, per connection, reads size-framed requests and
/// answers them in order (Kafka's per-connection ordering); a request is read once the one before it
/// was handled or admitted the next (see `ConnectionRelease`).
///
/// A frame larger than `socket.request.max.bytes`, a malformed header or body, or an API or version
/// this broker does not serve closes the connection with a log line saying why; nothing else is
/// affected.
///
/// On a SASL listener (`sasl` set) each connection authenticates first (`SaslServerSession`): its frames
/// go through the session, which answers the SASL requests itself, lets ApiVersions through, and
/// hands every later request to the dispatcher with the authenticated principal.
///
/// On a TLS listener (`tls` set) connections start with the TLS handshake; fetched records are then
/// copied into memory instead of sent with `sendfile` (the kernel cannot encrypt them). Without SASL
/// the principal is the client certificate's distinguished name through `ssl.principal.mapping.rules`,
/// or `User:ANONYMOUS` without a certificate.
public final class KafkaServer: Sendable {
    public let listenerName: String
    private let host: String
    private let port: Int
    private let maxFrameSize: Int
    private let dispatcher: RequestDispatcher
    private let group: EventLoopGroup
    private let logger: Logger
    private let connectionCounter = NIOLockedValueBox<UInt64>(0)
    /// Open connections, so `close` can end them (their loops then finish and close cleanly).
    private let openConnections = NIOLockedValueBox<[UInt64: Channel]>([:])
    private let closing = NIOLockedValueBox(false)
    /// Connections wrapped for async use but not yet taken by the accept loop. NIO requires every
    /// wrapped connection's writer to be finished; one accepted just as the listener closes may never
    /// reach the loop, so `run` finishes and closes whatever is left here when it ends.
    private let unclaimed = NIOLockedValueBox<[ObjectIdentifier: NIOAsyncChannel<ByteBuffer, ResponsePiece>]>([:])
    private let boundChannel = NIOLockedValueBox<NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ResponsePiece>, Never>?>(nil)
    private let sasl: SaslListenerSecurity?
    private let tls: TlsListenerSecurity?
    /// `connections.max.idle.ms`: a connection with neither a read nor a write for this long is closed
    /// (one that never authenticates, or never finishes its TLS handshake, among them).
    private let maxIdleMs: Int64
    /// Connections open now (for the metrics).
    public var connectionCount: Int { openConnections.withLockedValue { $0.count } }
    /// The clock a throttled connection's mute is timed with.
    private let clock: NodeClock
    /// Each SASL connection's authentication, made with its pipeline and taken by its request loop.
    private let authentications = NIOLockedValueBox<[ObjectIdentifier: ConnectionAuthentication]>([:])

    public init(listenerName: String, host: String, port: Int, maxFrameSize: Int, dispatcher: RequestDispatcher,
                group: EventLoopGroup, logger: Logger, sasl: SaslListenerSecurity? = nil, tls: TlsListenerSecurity? = nil,
                maxIdleMs: Int64 = 600_000, clock: NodeClock = SystemClock()) {
        self.maxIdleMs = maxIdleMs
        self.clock = clock
        self.sasl = sasl
        self.tls = tls
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
        let unclaimed = self.unclaimed
        let sasl = self.sasl
        let tlsContext = self.tls?.context
        let authentications = self.authentications
        let maxIdleMs = self.maxIdleMs, idleLog = self.logger
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Produce frames are often ~1 MB: let reads grow to 4 MiB so a frame arrives in a few reads
            // instead of being pieced together from 64 KiB ones.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 * 1024, maximum: 4 * 1024 * 1024))
            .bind(host: host.isEmpty ? "0.0.0.0" : host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .milliseconds(maxIdleMs)))
                    try child.pipeline.syncOperations.addHandler(IdleConnectionCloser(maxIdleMs: maxIdleMs, logger: idleLog))
                    if let tlsContext {
                        try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                    }
                    var limit: (@Sendable () -> Int)?
                    if let sasl {
                        let authentication = ConnectionAuthentication(sasl)
                        authentications.withLockedValue { $0[ObjectIdentifier(child)] = authentication }
                        limit = { authentication.frameLimit(authenticated: maxFrameSize) }
                    }
                    try child.pipeline.syncOperations.addHandler(KafkaFrameReader(maxFrameSize: maxFrameSize, currentLimit: limit))
                    try child.pipeline.syncOperations.addHandler(ResponsePieceWriter())
                    let wrapped = try NIOAsyncChannel<ByteBuffer, ResponsePiece>(wrappingChannelSynchronously: child)
                    unclaimed.withLockedValue { $0[ObjectIdentifier(child)] = wrapped }
                    return wrapped
                }
            }
        boundChannel.withLockedValue { $0 = channel }
        return channel.channel.localAddress?.port ?? port
    }

    /// Serves connections until the listener is closed and every connection has ended. Must not be
    /// cancelled: connections the listener already accepted would be dropped without being closed.
    public func run() async throws {
        guard let channel = boundChannel.withLockedValue({ $0 }) else { throw ServerNotBound() }
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await channel.executeThenClose { connections in
                    for try await connection in connections {
                        unclaimed.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(connection.channel)) }
                        let id = connectionCounter.withLockedValue { $0 += 1; return $0 }
                        group.addTask { await self.serve(connection, id: id) }
                    }
                }
            }
        } catch {
            await closeUnclaimed()
            throw error
        }
        await closeUnclaimed()
    }

    /// Closes the connections accepted but never handed to the loop (the listener closed first).
    private func closeUnclaimed() async {
        authentications.withLockedValue { $0 = [:] }
        for leftover in unclaimed.withLockedValue({ u in defer { u = [:] }; return Array(u.values) }) {
            try? await leftover.executeThenClose { _, _ in }
        }
    }

    /// Stops accepting and closes every open connection; `run` returns once they have ended.
    public func close() async {
        closing.withLockedValue { $0 = true }
        try? await boundChannel.withLockedValue({ $0 })?.channel.close()
        for channel in openConnections.withLockedValue({ Array($0.values) }) {
            try? await channel.close()
        }
    }

    struct ServerNotBound: Error {}

    struct CertificateProblem: Error, CustomStringConvertible {
        var description: String
    }

    /// The principal of a TLS connection without SASL: its client certificate's distinguished name
    /// mapped by `ssl.principal.mapping.rules`, `User:ANONYMOUS` without a certificate.
    private static func principal(of channel: Channel, mapper: SslPrincipalMapper) async -> Result<KafkaPrincipal, CertificateProblem> {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get() else { return .success(.anonymous) }
        guard let dn = try? TlsMaterial.distinguishedName(certificate) else {
            return .failure(CertificateProblem(description: "the client certificate's subject could not be read"))
        }
        guard let name = mapper.map(dn) else {
            return .failure(CertificateProblem(description: "no ssl.principal.mapping.rules rule applies to \(dn)"))
        }
        return .success(KafkaPrincipal(name: name))
    }

    /// `pieces` with every file range read into memory, for a TLS connection (`sendfile` would bypass
    /// the encryption).
    private static func materialized(_ pieces: [ResponsePiece]) throws -> [ResponsePiece] {
        try pieces.map { piece in
            if case .file = piece { return .bytes(try piece.materialize()) }
            return piece
        }
    }

    /// Requests a connection may have read but not yet answered: Kafka's producers keep at most five
    /// in flight (idempotence needs that), so eight never hold one back.
    static let maxPipelinedRequests = 8

    private struct ConnectionClosing: Error {}

    /// Whether a request may be handled while earlier requests of its connection still wait: only
    /// Produce, which appends only once the earlier produce released the connection (their later steps,
    /// the flush and the wait for the ISR, do not depend on what comes after). Every other request waits
    /// for the answers before it. The API key is the frame's first two bytes.
    static func mayOverlapEarlierRequests(_ frame: ByteBuffer) -> Bool {
        frame.getInteger(at: frame.readerIndex, as: Int16.self) == APIKey.produce.rawValue
    }

    /// Reads and dispatches one request after another, each once the one before admitted it (see
    /// `ConnectionRelease`: only Produce admits the next request before it is answered, once its quota
    /// is recorded; any other request admits the next once answered). A request writes to its logs only
    /// after the one before it released the connection (Produce, once its records are appended; any
    /// other, once answered): a connection's records are appended in request order, and the next request
    /// is decoded and validated while the one before is appended. Any request but Produce also waits
    /// until every earlier one is answered (`mayOverlapEarlierRequests`). Writes the responses in
    /// request order. At most `maxPipelinedRequests` are read ahead of their responses. A request
    /// answered with `close` stops the reading, and the requests read after it write nothing; the
    /// responses before it are written, then the connection closes.
    private func serve(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ResponsePiece>,
                       channel: Channel, id: UInt64, remote: String, log: Logger) async throws {
        let (answers, answered) = AsyncStream<Task<RequestDispatcher.Outcome, Never>>.makeStream()
        let dispatcher = self.dispatcher
        let authentication = authentications.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
        let copyingFiles = tls?.io
        let certificatePrincipal = tls.map { $0.principalMapper }
        let throttle = ConnectionThrottle(clock: clock, closed: channel.closeFuture)
        let loop = EventLoopTaskExecutor(channel.eventLoop)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: loop) {
                for await answer in answers {
                    switch await answer.value {
                    case let .respond(pieces):
                        if let io = copyingFiles, pieces.contains(where: { if case .file = $0 { true } else { false } }) {
                            try await outbound.write(contentsOf: io.run { try Self.materialized(pieces) })
                        } else {
                            try await outbound.write(contentsOf: pieces)
                        }
                    case .noResponse:
                        continue
                    case let .close(reason):
                        log.warning("closing connection", metadata: ["reason": "\(reason)"])
                        throw ConnectionClosing()
                    case let .respondThenClose(pieces, reason):
                        try await outbound.write(contentsOf: pieces)
                        log.info("closing connection", metadata: ["reason": "\(reason)"])
                        throw ConnectionClosing()
                    }
                }
            }
            group.addTask(executorPreference: loop) {
                defer { answered.finish() }
                var pending: [Task<RequestDispatcher.Outcome, Never>] = []
                /// The principal of a TLS connection's client certificate, once read.
                var certificateHolder: KafkaPrincipal?
                /// The release of the request read last: the next one appends only after it.
                var previousRelease: ConnectionRelease?
                for try await frame in inbound {
                    if pending.count >= Self.maxPipelinedRequests { _ = await pending.removeFirst().value }
                    if !Self.mayOverlapEarlierRequests(frame) {
                        // Handled only once every earlier request is answered, as Kafka handles each request
                        // of a connection after the one before: a Metadata request read behind produce
                        // requests that wait for the ISR must describe the cluster as it is when its turn
                        // comes. (Answered at once, its leaders were seconds stale when it arrived, and
                        // librdkafka 2.0 moved a partition back to the dead leader they named, for good.)
                        for task in pending { _ = await task.value }
                        pending.removeAll()
                    }
                    var principal = certificateHolder ?? KafkaPrincipal.anonymous
                    if authentication == nil, certificateHolder == nil, let mapper = certificatePrincipal {
                        // The handshake is over once a frame arrived: the client's certificate is known.
                        // It is read once per connection.
                        switch await Self.principal(of: channel, mapper: mapper) {
                        case let .success(p):
                            principal = p
                            certificateHolder = p
                        case let .failure(problem):
                            log.info("failed authentication", metadata: ["reason": "\(problem.description)"])
                            answered.yield(Task { .close(reason: "failed authentication") })
                            return
                        }
                    }
                    if let authentication {
                        switch authentication.receive(frame) {
                        case let .serve(p):
                            principal = p ?? .anonymous
                        case let .respond(bytes):
                            answered.yield(Task { .respond([.bytes(bytes)]) })
                            continue
                        case let .failAuthentication(response, reason):
                            let delay = authentication.security.failedAuthenticationDelayMs, clock = authentication.security.clock
                            log.info("failed authentication", metadata: ["reason": "\(reason)"])
                            answered.yield(Task {
                                try? await clock.sleep(forMs: delay)
                                return .respondThenClose(response.map { [.bytes($0)] } ?? [], reason: "failed authentication")
                            })
                            return
                        case let .close(reason):
                            answered.yield(Task { .close(reason: reason) })
                            return
                        }
                    }
                    // A connection a quota throttled reads nothing more until its throttle time is over.
                    guard await throttle.waitUntilUnmuted() else { return }
                    let admission = ConnectionRelease()
                    let release = ConnectionRelease()
                    let turn = previousRelease
                    previousRelease = release
                    let closes = NIOLockedValueBox(false)
                    // Produce runs on the connection's event loop (`EventLoopTaskExecutor`): its file work is
                    // all on the blocking-I/O executor. Other requests keep Swift's cooperative threads, so
                    // that their CPU work (building a large Fetch response, a group's assignment) never holds
                    // a socket thread; their partition reads are on the blocking-I/O executor too.
                    let task = Task(executorPreference: Self.mayOverlapEarlierRequests(frame) ? loop : nil) {
                        let outcome = await dispatcher.dispatch(frame, connectionID: id, remoteAddress: remote, principal: principal,
                                                                release: { release.release() }, admit: { admission.release() },
                                                                turn: { await turn?.wait() ?? true }, turnIfDecided: { ConnectionRelease.decided(after: turn) },
                                                                whenTurn: { body in if let turn { turn.whenOpen(body) } else { body(true) } },
                                                                closing: { release.stop() },
                                                                throttle: { throttle.mute(forMs: $0) })
                        // A request's release never comes before its predecessor's (one that failed early,
                        // before its turn, must not let its successor write ahead of the request before it),
                        // and a closing connection stops its successors from writing.
                        let proceed = await turn?.wait() ?? true
                        if case .close = outcome { closes.withLockedValue { $0 = true } }
                        if !proceed || closes.withLockedValue({ $0 }) { release.stop() } else { release.finish() }
                        admission.finish()
                        return outcome
                    }
                    answered.yield(task)
                    pending.append(task)
                    await admission.wait()
                    if closes.withLockedValue({ $0 }) { return }
                }
            }
            do {
                // The reader ends first when the peer closes (the writer then drains what is left); the
                // writer ends first when a response closes the connection or cannot be written.
                while try await group.next() != nil {}
            } catch is ConnectionClosing {
                // Closing the channel ends the reader's wait for the next frame.
                group.cancelAll()
                channel.close(promise: nil)
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ResponsePiece>, id: UInt64) async {
        let remote = connection.channel.remoteAddress?.ipAddress ?? "?"
        var log = logger
        log[metadataKey: "net.connection"] = "\(id)"
        log[metadataKey: "net.peer"] = "\(remote)"
        log.debug("connection opened")
        // A connection the loop receives after `close` swept the open ones is closed at once.
        let accepted = openConnections.withLockedValue { open -> Bool in
            guard !closing.withLockedValue({ $0 }) else { return false }
            open[id] = connection.channel
            return true
        }
        guard accepted else {
            authentications.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(connection.channel)) }
            try? await connection.executeThenClose { _, _ in }
            return
        }
        defer { openConnections.withLockedValue { _ = $0.removeValue(forKey: id) } }
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await serve(inbound: inbound, outbound: outbound, channel: connection.channel, id: id, remote: remote, log: log)
            }
            log.debug("connection closed")
        } catch let error as NIOSSLError {
            log.info("failed authentication", metadata: ["reason": "TLS handshake failed: \(error)"])
        } catch let error as BoringSSLError {
            log.info("failed authentication", metadata: ["reason": "TLS handshake failed: \(error)"])
        } catch let error as FrameTooLarge {
            let key = error.limit < maxFrameSize ? "sasl.server.max.receive.size, before authentication" : "socket.request.max.bytes"
            log.warning("closing connection", metadata: ["reason": "\(error) (\(key))"])
        } catch {
            log.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }
}

/// Closes its connection when `IdleStateHandler` says nothing was read or written for
/// `connections.max.idle.ms`, with a log line, as Kafka's selector expires idle connections.
final class IdleConnectionCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let maxIdleMs: Int64
    private let logger: Logger

    init(maxIdleMs: Int64, logger: Logger) {
        self.maxIdleMs = maxIdleMs
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            logger.info("closing idle connection", metadata: [
                "net.peer": "\(context.channel.remoteAddress?.ipAddress ?? "?")", "reason": "nothing read or written for \(maxIdleMs) ms (connections.max.idle.ms)",
            ])
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

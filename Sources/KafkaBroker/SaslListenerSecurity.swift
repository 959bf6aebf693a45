import KafkaSecurity
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import StromConfig

/// What a SASL_PLAINTEXT listener authenticates connections with: the mechanisms and PLAIN users
/// (`SaslServerSession.Settings`), SCRAM credentials from this node's metadata image, the delay before a
/// failed authentication is answered and closed (`connection.failed.authentication.delay.ms`), and the
/// largest frame taken before authentication (`sasl.server.max.receive.size`).
public struct SaslListenerSecurity: Sendable {
    public var settings: SaslServerSession.Settings
    public var credential: @Sendable (ScramMechanism, String) -> ScramCredential?
    public var failedAuthenticationDelayMs: Int64
    public var maxReceiveSize: Int
    public var clock: NodeClock

    public init(settings: SaslServerSession.Settings, credential: @escaping @Sendable (ScramMechanism, String) -> ScramCredential?,
                failedAuthenticationDelayMs: Int64, maxReceiveSize: Int, clock: NodeClock) {
        self.settings = settings
        self.credential = credential
        self.failedAuthenticationDelayMs = failedAuthenticationDelayMs
        self.maxReceiveSize = maxReceiveSize
        self.clock = clock
    }
}

/// One connection's `SaslServerSession`, shared by its frame decoder (which reads the frame limit)
/// and its request loop (which feeds it frames).
final class ConnectionAuthentication: Sendable {
    private let session: NIOLockedValueBox<SaslServerSession>
    let security: SaslListenerSecurity

    init(_ security: SaslListenerSecurity) {
        self.security = security
        session = NIOLockedValueBox(SaslServerSession(settings: security.settings))
    }

    /// The frame limit now: `sasl.server.max.receive.size` until the connection has authenticated.
    func frameLimit(authenticated maxFrameSize: Int) -> Int {
        session.withLockedValue { $0.isUnauthenticated } ? min(security.maxReceiveSize, maxFrameSize) : maxFrameSize
    }

    func receive(_ frame: ByteBuffer) -> SaslServerSession.Action {
        let now = security.clock.nowMs()
        let credential = security.credential
        return session.withLockedValue { $0.receive(frame, nowMs: now, credential: credential) }
    }
}

/// What a TLS listener (SSL or SASL_SSL) runs with: its server context and the mapping of client
/// certificates to principals.
public struct TlsListenerSecurity: Sendable {
    public var context: NIOSSLContext
    public var principalMapper: SslPrincipalMapper
    /// Where fetched records are read into memory (`pread` blocks), as every disk wait of the node.
    public var io: BlockingIOExecutor

    public init(context: NIOSSLContext, principalMapper: SslPrincipalMapper, io: BlockingIOExecutor) {
        self.context = context
        self.principalMapper = principalMapper
        self.io = io
    }
}

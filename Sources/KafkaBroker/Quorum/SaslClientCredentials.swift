import KafkaSecurity
import NIOConcurrencyHelpers
import NIOSSL
import StromConfig

/// How this node authenticates its own connections to a SASL listener of another node (or of itself):
/// the mechanism (`sasl.mechanism.inter.broker.protocol` or `sasl.mechanism.controller.protocol`) and
/// the `username`/`password` of that listener's JAAS login module for it.
public struct SaslClientCredentials: Sendable, Hashable {
    public var mechanism: SaslMechanism
    public var username: String
    public var password: String

    public init(mechanism: SaslMechanism, username: String, password: String) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
    }

    /// What this node uses towards `listener`: nil when that listener is not a SASL one.
    public static func forListener(_ listener: String, config: ServerConfig) -> SaslClientCredentials? {
        guard let sasl = config.saslListeners[listener] else { return nil }
        let name = config.controllerListenerNames.contains(listener) ? config.saslMechanismControllerProtocol : config.saslMechanismInterBrokerProtocol
        guard let mechanism = SaslMechanism(rawValue: name), let c = sasl.clientCredentials(mechanism: name) else { return nil }
        return SaslClientCredentials(mechanism: mechanism, username: c.username, password: c.password)
    }
}

/// How this node's own connections to one of its listeners on other nodes are secured: TLS (a client
/// context from that listener's `ssl.*` settings) and SASL, each when the listener has it.
public struct ChannelSecurity: Sendable {
    public var tls: NIOSSLContext?
    public var sasl: SaslClientCredentials?

    public init(tls: NIOSSLContext? = nil, sasl: SaslClientCredentials? = nil) {
        self.tls = tls
        self.sasl = sasl
    }

    /// Client contexts are built once per settings: loading keys and trust stores is slow.
    private static let contexts = NIOLockedValueBox<[ListenerTls: NIOSSLContext]>([:])

    /// Throws when the listener's TLS material cannot be loaded.
    public static func forListener(_ listener: String, config: ServerConfig) throws -> ChannelSecurity {
        var security = ChannelSecurity(sasl: SaslClientCredentials.forListener(listener, config: config))
        if let tls = config.tlsListeners[listener] {
            if let cached = contexts.withLockedValue({ $0[tls] }) {
                security.tls = cached
            } else {
                let context = try TlsMaterial.clientContext(tls)
                contexts.withLockedValue { $0[tls] = context }
                security.tls = context
            }
        }
        return security
    }

    /// As `forListener`, for callers that checked the material at start-up (`StromNode` does).
    public static func loaded(_ listener: String, config: ServerConfig) -> ChannelSecurity {
        (try? forListener(listener, config: config)) ?? ChannelSecurity(sasl: SaslClientCredentials.forListener(listener, config: config))
    }
}

import KafkaClient
import KafkaSecurity
import NIOConcurrencyHelpers
import NIOSSL
import StromConfig

extension SaslClientCredentials {
    /// What this node uses towards `listener` (`sasl.mechanism.inter.broker.protocol` or
    /// `sasl.mechanism.controller.protocol`, with the `username`/`password` of that listener's JAAS login
    /// module for it): nil when that listener is not a SASL one.
    public static func forListener(_ listener: String, config: ServerConfig) -> SaslClientCredentials? {
        guard let sasl = config.saslListeners[listener] else { return nil }
        let name = config.controllerListenerNames.contains(listener) ? config.saslMechanismControllerProtocol : config.saslMechanismInterBrokerProtocol
        guard let mechanism = SaslMechanism(rawValue: name), let c = sasl.clientCredentials(mechanism: name) else { return nil }
        return SaslClientCredentials(mechanism: mechanism, username: c.username, password: c.password)
    }
}

/// Client contexts are built once per settings: loading keys and trust stores is slow.
private let clientContexts = NIOLockedValueBox<[ListenerTls: NIOSSLContext]>([:])

extension ChannelSecurity {
    /// How this node's own connections to `listener` on other nodes are secured: a client context from
    /// that listener's `ssl.*` settings and its SASL credentials, each when the listener has them.
    /// Throws when the listener's TLS material cannot be loaded.
    public static func forListener(_ listener: String, config: ServerConfig) throws -> ChannelSecurity {
        var security = ChannelSecurity(sasl: SaslClientCredentials.forListener(listener, config: config))
        if let tls = config.tlsListeners[listener] {
            if let cached = clientContexts.withLockedValue({ $0[tls] }) {
                security.tls = cached
            } else {
                let context = try TlsStores.clientContext(tls)
                clientContexts.withLockedValue { $0[tls] = context }
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

import KafkaSecurity
import NIOSSL

/// How a connection authenticates to a SASL listener: the mechanism (PLAIN, SCRAM-SHA-256,
/// SCRAM-SHA-512) and the user's name and password (for the broker, its listener's JAAS login module's;
/// for the admin tools, `sasl.jaas.config`'s).
public struct SaslClientCredentials: Sendable, Hashable {
    public var mechanism: SaslMechanism
    public var username: String
    public var password: String

    public init(mechanism: SaslMechanism, username: String, password: String) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
    }
}

/// How one outbound connection is secured: TLS (a client context) and SASL, each when the listener
/// it goes to has it.
public struct ChannelSecurity: Sendable {
    public var tls: NIOSSLContext?
    public var sasl: SaslClientCredentials?

    public init(tls: NIOSSLContext? = nil, sasl: SaslClientCredentials? = nil) {
        self.tls = tls
        self.sasl = sasl
    }
}

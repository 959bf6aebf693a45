import KafkaSecurity
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

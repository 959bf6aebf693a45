/// The SASL settings of one SASL_PLAINTEXT listener, read as a Kafka broker reads them:
/// `listener.name.<listener>.sasl.enabled.mechanisms` (else `sasl.enabled.mechanisms`), and one JAAS
/// login module per mechanism in `listener.name.<listener>.<mechanism>.sasl.jaas.config` (listener and
/// mechanism in lower case). PLAIN's module lists the users (`user_<name>="<password>"`); any module
/// may name the broker's own `username` and `password` for its connections to that listener.
public struct ListenerSasl: Sendable, Hashable {
    /// Mechanism names as configured (upper case): PLAIN, SCRAM-SHA-256, SCRAM-SHA-512.
    public var enabledMechanisms: [String]
    /// Login module by mechanism name.
    public var jaas: [String: JaasConfig]

    public init(enabledMechanisms: [String], jaas: [String: JaasConfig]) {
        self.enabledMechanisms = enabledMechanisms
        self.jaas = jaas
    }

    /// The mechanisms Strom serves.
    public static let servedMechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

    /// The broker's own credentials for `mechanism` on this listener: the module's `username` and `password`.
    public func clientCredentials(mechanism: String) -> (username: String, password: String)? {
        guard let options = jaas[mechanism]?.options, let u = options["username"], let p = options["password"] else { return nil }
        return (u, p)
    }
}

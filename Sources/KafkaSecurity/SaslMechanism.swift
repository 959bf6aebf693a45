/// The SASL mechanisms Strom serves, by their IANA names as Kafka spells them in
/// `sasl.enabled.mechanisms` and SaslHandshake.
public enum SaslMechanism: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case plain = "PLAIN"
    case scramSHA256 = "SCRAM-SHA-256"
    case scramSHA512 = "SCRAM-SHA-512"

    /// The SCRAM variant, nil for PLAIN.
    public var scram: ScramMechanism? {
        switch self {
        case .plain: nil
        case .scramSHA256: .sha256
        case .scramSHA512: .sha512
        }
    }

    public var description: String { rawValue }
}

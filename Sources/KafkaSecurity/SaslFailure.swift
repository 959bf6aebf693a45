/// Why a SASL exchange failed, as Kafka tells the client in SaslAuthenticate's error message:
/// `revealed` failures (PLAIN's, SCRAM's authorization-id mismatch) are told as they are; the others
/// (SCRAM's unknown user, wrong proof, malformed message) get one generic message, so the answer
/// does not say whether a user exists.
public struct SaslFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var revealed: Bool

    public init(_ message: String, revealed: Bool = false) {
        self.message = message
        self.revealed = revealed
    }

    public var description: String { message }

    /// What the client is told when the mechanism was `mechanism`.
    public func clientMessage(mechanism: SaslMechanism, reauthenticating: Bool) -> String {
        revealed ? message : "Authentication failed during \(reauthenticating ? "re-authentication" : "authentication") due to invalid credentials with SASL mechanism \(mechanism)"
    }
}

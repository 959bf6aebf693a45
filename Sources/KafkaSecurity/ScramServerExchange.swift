import Foundation

/// The server's side of one SCRAM exchange (RFC 5802), as a value: two client messages in, two
/// server messages out.
///
///     awaitingClientFirst --client-first--> awaitingClientFinal --client-final--> complete(user)
///
/// Any failure ends in `failed`; the exchange takes no further message. The credential is looked up
/// by user name when the client-first message arrives; an unknown user fails at once (as in Kafka,
/// whose SCRAM server does not invent a salt for unknown names). The proof is checked by recomputing
/// ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage) and comparing H(ClientKey) with StoredKey in
/// constant time. The AuthMessage is built from the client's messages as sent.
public struct ScramServerExchange: Sendable {
    public enum State: Sendable, Equatable {
        case awaitingClientFirst
        case awaitingClientFinal(clientFirst: ScramMessages.ClientFirst, serverFirst: ScramMessages.ServerFirst, credential: ScramCredential)
        case complete(userName: String)
        case failed
    }

    public let mechanism: ScramMechanism
    public private(set) var state: State = .awaitingClientFirst

    public init(mechanism: ScramMechanism) {
        self.mechanism = mechanism
    }

    /// The authenticated user, once complete.
    public var authenticatedUser: String? {
        if case let .complete(user) = state { return user }
        return nil
    }

    /// Takes the client's next message; returns the server's answer. `credential` looks a user up
    /// (nil: unknown); `serverNonce` is appended to the client's nonce (printable ASCII without ",").
    public mutating func evaluate(_ message: [UInt8], credential: (String) -> ScramCredential?,
                                  serverNonce: () -> String) throws(SaslFailure) -> [UInt8] {
        let current = state
        state = .failed
        switch current {
        case .awaitingClientFirst:
            let first: ScramMessages.ClientFirst
            do { first = try ScramMessages.parseClientFirst(message) } catch { throw SaslFailure(error.description) }
            if let authzid = first.authorizationID, authzid != first.userName {
                throw SaslFailure("Authentication failed: Client requested an authorization id that is different from username", revealed: true)
            }
            // Kafka ignores extensions it does not know; tokenauth=true asks for a delegation token.
            if first.extensions.contains(where: { $0.key == "tokenauth" && $0.value.lowercased() == "true" }) {
                throw SaslFailure("Authentication failed: delegation tokens are not supported")
            }
            guard let stored = credential(first.userName) else {
                throw SaslFailure("Authentication failed: Invalid user credentials")
            }
            let serverFirst = ScramMessages.ServerFirst(nonce: first.nonce + serverNonce(), salt: stored.salt, iterations: stored.iterations)
            state = .awaitingClientFinal(clientFirst: first, serverFirst: serverFirst, credential: stored)
            return Array(serverFirst.text.utf8)
        case let .awaitingClientFinal(first, serverFirst, stored):
            let final: ScramMessages.ClientFinal
            do { final = try ScramMessages.parseClientFinal(message) } catch { throw SaslFailure(error.description) }
            // Kafka takes a final nonce that ends with the server's: librdkafka before 2.1 sends its own
            // nonce again in front of the combined one.
            guard final.nonce.hasSuffix(serverFirst.nonce) else {
                throw SaslFailure("Invalid client nonce in the final client message.")
            }
            // The channel binding (`c=`) is not compared with the gs2 header, as in Kafka: the proof covers
            // the client's own final message, so a binding the client did not sign fails the proof anyway.
            let authMessage = Array("\(first.bare),\(serverFirst.text),\(final.withoutProof)".utf8)
            let clientSignature = mechanism.hmac(key: stored.storedKey, authMessage)
            guard final.proof.count == clientSignature.count else {
                throw SaslFailure("Authentication failed: Invalid client credentials")
            }
            let clientKey = zip(final.proof, clientSignature).map { $0 ^ $1 }
            guard ConstantTime.equal(mechanism.hash(clientKey), stored.storedKey) else {
                throw SaslFailure("Authentication failed: Invalid client credentials")
            }
            let serverSignature = mechanism.hmac(key: stored.serverKey, authMessage)
            state = .complete(userName: first.userName)
            return Array("v=\(Data(serverSignature).base64EncodedString())".utf8)
        case .complete, .failed:
            throw SaslFailure("Authentication failed: the SCRAM exchange has already ended")
        }
    }

    /// A fresh server nonce: 24 random bytes, base64 (no ",").
    public static func randomNonce() -> String {
        var g = SystemRandomNumberGenerator()
        return Data((0..<24).map { _ in UInt8.random(in: 0...255, using: &g) }).base64EncodedString()
    }
}

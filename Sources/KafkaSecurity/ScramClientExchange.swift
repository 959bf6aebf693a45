import Foundation

/// The client's side of one SCRAM exchange (RFC 5802), for a broker authenticating to another
/// node's SASL listener and for tests: `firstMessage`, then `finalMessage(serverFirst:)`, then
/// `verify(serverFinal:)`, which proves the server knew the credential too.
public struct ScramClientExchange: Sendable {
    public let mechanism: ScramMechanism
    public let userName: String
    private let password: String
    public let clientNonce: String
    private var authMessage: [UInt8] = []
    private var saltedPassword: [UInt8] = []

    public init(mechanism: ScramMechanism, userName: String, password: String, clientNonce: String = ScramServerExchange.randomNonce()) {
        self.mechanism = mechanism
        self.userName = userName
        self.password = password
        self.clientNonce = clientNonce
    }

    private var bare: String { "n=\(ScramMessages.encodeSaslName(userName)),r=\(clientNonce)" }

    public var firstMessage: [UInt8] { Array("n,,\(bare)".utf8) }

    public mutating func finalMessage(serverFirst bytes: [UInt8]) throws(SaslFailure) -> [UInt8] {
        let first: ScramMessages.ServerFirst
        do { first = try ScramMessages.parseServerFirst(bytes) } catch { throw SaslFailure(error.description) }
        guard first.nonce.hasPrefix(clientNonce), first.nonce.count > clientNonce.count else {
            throw SaslFailure("the server's nonce does not extend ours")
        }
        guard first.iterations >= ScramMechanism.minIterations else {
            throw SaslFailure("the server asks for \(first.iterations) iterations, fewer than \(ScramMechanism.minIterations)")
        }
        saltedPassword = mechanism.saltedPassword(password, salt: first.salt, iterations: first.iterations)
        let withoutProof = "c=\(Data("n,,".utf8).base64EncodedString()),r=\(first.nonce)"
        authMessage = Array("\(bare),\(String(decoding: bytes, as: UTF8.self)),\(withoutProof)".utf8)
        let clientKey = mechanism.hmac(key: saltedPassword, Array("Client Key".utf8))
        let signature = mechanism.hmac(key: mechanism.hash(clientKey), authMessage)
        let proof = zip(clientKey, signature).map { $0 ^ $1 }
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }

    public func verify(serverFinal bytes: [UInt8]) throws(SaslFailure) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("v="), let signature = Data(base64Encoded: String(text.dropFirst(2))) else {
            throw SaslFailure("the server's final message is `\(text)`")
        }
        let serverKey = mechanism.hmac(key: saltedPassword, Array("Server Key".utf8))
        guard ConstantTime.equal(Array(signature), mechanism.hmac(key: serverKey, authMessage)) else {
            throw SaslFailure("the server's signature is wrong: it does not know this credential")
        }
    }
}

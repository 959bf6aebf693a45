import Crypto
import KafkaMetadata

/// A stored SCRAM credential (RFC 5802 section 3), the metadata image's own: the salt, StoredKey =
/// H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key") and the
/// iteration count. The password and the salted password are never kept; StoredKey lets the server
/// check a client's proof, ServerKey lets it prove itself.
public typealias ScramCredential = UserScramCredential

extension UserScramCredential {
    /// From the salted password, as AlterUserScramCredentials carries it.
    public init(mechanism: ScramMechanism, saltedPassword: [UInt8], salt: [UInt8], iterations: Int32) {
        let clientKey = mechanism.hmac(key: saltedPassword, Array("Client Key".utf8))
        self.init(salt: salt, storedKey: mechanism.hash(clientKey),
                  serverKey: mechanism.hmac(key: saltedPassword, Array("Server Key".utf8)), iterations: iterations)
    }

    /// From a password: salted with `salt` (a fresh random one by default) through `iterations` rounds.
    public init(mechanism: ScramMechanism, password: String, salt: [UInt8]? = nil, iterations: Int32 = ScramMechanism.minIterations) {
        let salt = salt ?? ScramCredential.randomSalt()
        self.init(mechanism: mechanism, saltedPassword: mechanism.saltedPassword(password, salt: salt, iterations: iterations),
                  salt: salt, iterations: iterations)
    }

    /// 32 random bytes, as Kafka's tools pick a salt.
    public static func randomSalt() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
    }
}

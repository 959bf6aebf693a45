import Crypto
import _CryptoExtras

/// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677): the hash, Kafka's type code in
/// UserScramCredentialRecord and AlterUserScramCredentials (1 and 2), and the iteration bounds Kafka
/// accepts for a stored credential (4,096 to 16,384).
public enum ScramMechanism: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case sha256 = 1
    case sha512 = 2

    public static let minIterations: Int32 = 4096
    public static let maxIterations: Int32 = 16384

    public var mechanismName: String {
        switch self {
        case .sha256: "SCRAM-SHA-256"
        case .sha512: "SCRAM-SHA-512"
        }
    }

    public var sasl: SaslMechanism {
        switch self {
        case .sha256: .scramSHA256
        case .sha512: .scramSHA512
        }
    }

    public init?(mechanismName: String) {
        guard let m = Self.allCases.first(where: { $0.mechanismName == mechanismName }) else { return nil }
        self = m
    }

    public var description: String { mechanismName }

    /// Output length of the hash in bytes (32 or 64).
    public var hashLength: Int {
        switch self {
        case .sha256: 32
        case .sha512: 64
        }
    }

    public func hash(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: Array(SHA256.hash(data: data))
        case .sha512: Array(SHA512.hash(data: data))
        }
    }

    public func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let k = SymmetricKey(data: key)
        switch self {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: k))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: k))
        }
    }

    /// RFC 5802's Hi(): PBKDF2 with this HMAC, one hash length of output.
    public func saltedPassword(_ password: String, salt: [UInt8], iterations: Int32) -> [UInt8] {
        let function: KDF.Insecure.PBKDF2.HashFunction = self == .sha256 ? .sha256 : .sha512
        // Only fails for parameters out of BoringSSL's range (a length of zero); ours never are.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: function,
                                                     outputByteCount: hashLength, unsafeUncheckedRounds: Int(iterations))
        return key.withUnsafeBytes { Array($0) }
    }
}

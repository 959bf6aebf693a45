import KafkaProtocol

/// One user's SCRAM credential for one mechanism, as UserScramCredentialRecord carries it: mechanism
/// 1 is SCRAM-SHA-256, 2 is SCRAM-SHA-512; salt, StoredKey and ServerKey (never the password) and the
/// iteration count.
public struct UserScramCredential: Sendable, Hashable {
    public struct Key: Sendable, Hashable, Comparable {
        public var user: String
        public var mechanism: Int8

        public init(user: String, mechanism: Int8) {
            self.user = user
            self.mechanism = mechanism
        }

        public static func < (a: Key, b: Key) -> Bool { (a.user, a.mechanism) < (b.user, b.mechanism) }
    }

    public var salt: [UInt8]
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]
    public var iterations: Int32

    public init(salt: [UInt8], storedKey: [UInt8], serverKey: [UInt8], iterations: Int32) {
        self.salt = salt
        self.storedKey = storedKey
        self.serverKey = serverKey
        self.iterations = iterations
    }

    public init(_ r: UserScramCredentialRecord) {
        self.init(salt: r.salt, storedKey: r.storedKey, serverKey: r.serverKey, iterations: r.iterations)
    }

    public func record(_ key: Key) -> UserScramCredentialRecord {
        UserScramCredentialRecord(name: key.user, mechanism: key.mechanism, salt: salt, storedKey: storedKey,
                                  serverKey: serverKey, iterations: iterations)
    }
}

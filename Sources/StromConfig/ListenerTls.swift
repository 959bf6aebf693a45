/// The TLS settings of one SSL or SASL_SSL listener, read as a Kafka broker reads them: each key from
/// `listener.name.<listener>.<key>` when set, else from `<key>`.
///
/// - The keystore (this node's certificate chain and private key): `ssl.keystore.type` PEM or PKCS12
///   (JKS is Java's own format and is refused), from `ssl.keystore.location` (a PEM file holding the
///   key and the chain, or a PKCS#12 bundle opened with `ssl.keystore.password`), or inline as
///   `ssl.keystore.certificate.chain` and `ssl.keystore.key` (PEM; KIP-651). `ssl.key.password`
///   decrypts an encrypted PEM key.
/// - The truststore (the CAs peers are checked against): `ssl.truststore.type` PEM or PKCS12 from
///   `ssl.truststore.location`, or inline `ssl.truststore.certificates`.
/// - `ssl.client.auth`: none, requested (a certificate is checked if the client sends one) or required;
///   on a SASL_SSL listener only its `listener.name.<listener>.ssl.client.auth` counts (KIP-684).
/// - `ssl.enabled.protocols`: TLSv1.2 and TLSv1.3 by default.
/// - `ssl.endpoint.identification.algorithm`: `https` (the default) makes this node check the host name
///   of the nodes it connects to; empty turns that off.
/// - `ssl.principal.mapping.rules`: how a client certificate's distinguished name becomes a principal.
public struct ListenerTls: Sendable, Hashable {
    public enum StoreType: String, Sendable, Hashable { case pem = "PEM", pkcs12 = "PKCS12" }
    public enum ClientAuth: String, Sendable, Hashable { case none, requested, required }

    public struct Keystore: Sendable, Hashable {
        public var type: StoreType
        public var location: String?
        public var password: String?
        public var keyPassword: String?
        public var certificateChain: String?
        public var key: String?

        public init(type: StoreType, location: String? = nil, password: String? = nil, keyPassword: String? = nil,
                    certificateChain: String? = nil, key: String? = nil) {
            self.type = type
            self.location = location
            self.password = password
            self.keyPassword = keyPassword
            self.certificateChain = certificateChain
            self.key = key
        }
    }

    public struct Truststore: Sendable, Hashable {
        public var type: StoreType
        public var location: String?
        public var password: String?
        public var certificates: String?

        public init(type: StoreType, location: String? = nil, password: String? = nil, certificates: String? = nil) {
            self.type = type
            self.location = location
            self.password = password
            self.certificates = certificates
        }
    }

    public var keystore: Keystore?
    public var truststore: Truststore?
    public var clientAuth: ClientAuth
    public var enabledProtocols: [String]
    public var endpointIdentificationAlgorithm: String
    public var principalMappingRules: String

    /// As a client's settings need it (a client checks the server; `clientAuth` and the mapping rules
    /// are a server's).
    public init(keystore: Keystore? = nil, truststore: Truststore? = nil, clientAuth: ClientAuth = .none,
                enabledProtocols: [String] = ["TLSv1.2", "TLSv1.3"], endpointIdentificationAlgorithm: String = "https",
                principalMappingRules: String = "DEFAULT") {
        self.keystore = keystore
        self.truststore = truststore
        self.clientAuth = clientAuth
        self.enabledProtocols = enabledProtocols
        self.endpointIdentificationAlgorithm = endpointIdentificationAlgorithm
        self.principalMappingRules = principalMappingRules
    }
}

import Foundation
import KafkaClient
import KafkaSecurity
import StromConfig

/// The admin client's settings from a `--command-config` properties file, as Kafka's clients read them:
///
///     security.protocol                 PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL
///     sasl.mechanism                    PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (Kafka's default, GSSAPI, is refused)
///     sasl.jaas.config                  PlainLoginModule or ScramLoginModule with username= and password=
///     ssl.truststore.location + ssl.truststore.type=PEM, or ssl.truststore.certificates (inline PEM), or
///     ssl.ca.location                   (librdkafka's name) a PEM file of CA certificates
///     ssl.keystore.location/.type (PEM, PKCS12), ssl.keystore.password, ssl.key.password,
///     ssl.keystore.certificate.chain + ssl.keystore.key   a client certificate, for listeners requiring one
///     ssl.endpoint.identification.algorithm   https (default: host names checked) or empty
///     ssl.enabled.protocols             TLSv1.2, TLSv1.3
///     client.id, request.timeout.ms     as in Kafka
///
/// Anything this client cannot do (GSSAPI, OAUTHBEARER, JKS stores, login callback handlers) is refused
/// with a `ToolFailure` naming the key; other keys are ignored, as Kafka only warns about them. Pure:
/// `security()` builds the TLS context.
public struct ClientProperties: Hashable, Sendable {
    public var securityProtocol = "PLAINTEXT"
    public var tls: ListenerTls?
    public var sasl: SaslClientCredentials?
    public var clientID = "strom-admin"
    public var requestTimeoutMs: Int64 = 30_000

    public init() {}

    public init(text: String) throws(ToolFailure) {
        var values: [String: String] = [:]
        for entry in JavaProperties.parse(text) { values[entry.key] = entry.value }
        try self.init(values: values)
    }

    public static func load(path: String?) throws(ToolFailure) -> ClientProperties {
        guard let path else { return ClientProperties() }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ToolFailure("Properties file \(path) does not exists!")
        }
        return try ClientProperties(text: text)
    }

    public init(values: [String: String]) throws(ToolFailure) {
        if let id = values["client.id"], !id.isEmpty { clientID = id }
        if let t = values["request.timeout.ms"] {
            guard let ms = Int64(t.trimmedWhitespace()), ms > 0 else { throw ToolFailure("Invalid value \(t) for configuration request.timeout.ms") }
            requestTimeoutMs = ms
        }
        let proto = (values["security.protocol"] ?? "PLAINTEXT").trimmedWhitespace().uppercased()
        guard ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"].contains(proto) else {
            throw ToolFailure("Invalid value \(proto) for configuration security.protocol: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
        }
        securityProtocol = proto
        if proto.hasPrefix("SASL") { sasl = try Self.saslCredentials(values) }
        if proto.hasSuffix("SSL") { tls = try Self.tlsSettings(values) }
    }

    static func saslCredentials(_ values: [String: String]) throws(ToolFailure) -> SaslClientCredentials {
        let name = (values["sasl.mechanism"] ?? "GSSAPI").trimmedWhitespace()
        guard let mechanism = SaslMechanism(rawValue: name) else {
            throw ToolFailure("sasl.mechanism \(name) is not supported by strom's admin client: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
        }
        for key in ["sasl.login.callback.handler.class", "sasl.client.callback.handler.class", "sasl.login.class"] where values[key] != nil {
            throw ToolFailure("\(key) is not supported by strom's admin client (Java classes cannot be loaded)")
        }
        guard let text = values["sasl.jaas.config"] else {
            throw ToolFailure("sasl.jaas.config must be set for \(name): a login module with username=\"...\" password=\"...\"")
        }
        let jaas: JaasConfig
        do { jaas = try JaasConfig(parsing: text) } catch { throw ToolFailure("Invalid sasl.jaas.config: \(error.description)") }
        let expected = mechanism == .plain ? JaasConfig.plainLoginModule : JaasConfig.scramLoginModule
        guard jaas.loginModule == expected else {
            throw ToolFailure("sasl.jaas.config names \(jaas.loginModule), but \(name) needs \(expected)")
        }
        guard let user = jaas.options["username"], let password = jaas.options["password"] else {
            throw ToolFailure("sasl.jaas.config must give username and password")
        }
        return SaslClientCredentials(mechanism: mechanism, username: user, password: password)
    }

    static func tlsSettings(_ values: [String: String]) throws(ToolFailure) -> ListenerTls {
        var truststore: ListenerTls.Truststore?
        if let inline = values["ssl.truststore.certificates"] {
            truststore = .init(type: .pem, certificates: inline)
        } else if let location = values["ssl.truststore.location"] {
            let type = (values["ssl.truststore.type"] ?? "JKS").trimmedWhitespace().uppercased()
            guard type == "PEM" else {
                throw ToolFailure("ssl.truststore.type \(type) is not supported by strom's admin client: set ssl.truststore.type=PEM with a PEM file of CA certificates (keytool -exportcert -rfc, or openssl pkcs12 -nokeys)")
            }
            truststore = .init(type: .pem, location: location)
        } else if let location = values["ssl.ca.location"] {
            truststore = .init(type: .pem, location: location)
        }
        var keystore: ListenerTls.Keystore?
        if values["ssl.keystore.certificate.chain"] != nil || values["ssl.keystore.key"] != nil {
            guard let chain = values["ssl.keystore.certificate.chain"], let key = values["ssl.keystore.key"] else {
                throw ToolFailure("ssl.keystore.certificate.chain and ssl.keystore.key go together")
            }
            keystore = .init(type: .pem, keyPassword: values["ssl.key.password"], certificateChain: chain, key: key)
        } else if let location = values["ssl.keystore.location"] {
            let type = (values["ssl.keystore.type"] ?? "JKS").trimmedWhitespace().uppercased()
            guard let storeType = ListenerTls.StoreType(rawValue: type) else {
                throw ToolFailure("ssl.keystore.type \(type) is not supported by strom's admin client: use PEM or PKCS12")
            }
            keystore = .init(type: storeType, location: location, password: values["ssl.keystore.password"], keyPassword: values["ssl.key.password"])
        }
        let protocols = (values["ssl.enabled.protocols"] ?? "TLSv1.2,TLSv1.3").split(separator: ",").map { $0.trimmedWhitespace() }
        for p in protocols where !["TLSv1.2", "TLSv1.3"].contains(p) {
            throw ToolFailure("ssl.enabled.protocols: \(p) is not supported (TLSv1.2, TLSv1.3)")
        }
        let algorithm = (values["ssl.endpoint.identification.algorithm"] ?? "https").trimmedWhitespace()
        guard algorithm.isEmpty || algorithm.lowercased() == "https" else {
            throw ToolFailure("ssl.endpoint.identification.algorithm must be https or empty, not \(algorithm)")
        }
        return ListenerTls(keystore: keystore, truststore: truststore, enabledProtocols: protocols, endpointIdentificationAlgorithm: algorithm)
    }

    /// The connection security these settings describe; throws when the TLS material cannot be read.
    public func security() throws(ToolFailure) -> ChannelSecurity {
        var security = ChannelSecurity(sasl: sasl)
        if let tls {
            do { security.tls = try TlsStores.clientContext(tls) } catch { throw ToolFailure("Cannot load the TLS material of --command-config: \(error)") }
        }
        return security
    }
}

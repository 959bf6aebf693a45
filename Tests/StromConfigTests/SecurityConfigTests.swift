import StromConfig
import Testing

/// SASL and TLS listener settings as a Kafka broker reads them, and the refusals that name the key.
@Suite struct SecurityConfigTests {
    private func parse(_ overrides: [String: String]) throws(ConfigError) -> ServerConfig {
        var p = ServerConfig.embeddedDefaults
        p.merge(overrides) { $1 }
        return try ServerConfig.parse(p)
    }

    static let plainJaas = #"org.apache.kafka.common.security.plain.PlainLoginModule required username="b" password="bp" user_alice="ap";"#
    static let sasl: [String: String] = [
        "listeners": "PLAINTEXT://127.0.0.1:9092,SECURE://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093",
        "advertised.listeners": "PLAINTEXT://127.0.0.1:9092,SECURE://127.0.0.1:9094",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SECURE:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256",
        "listener.name.secure.plain.sasl.jaas.config": plainJaas,
    ]

    @Test func saslListenerSettings() throws {
        let c = try parse(Self.sasl.merging(["connections.max.reauth.ms": "60000"]) { $1 })
        let s = try #require(c.saslListeners["SECURE"])
        #expect(s.enabledMechanisms == ["PLAIN", "SCRAM-SHA-256"])
        #expect(s.jaas["PLAIN"]?.options["user_alice"] == "ap")
        #expect(c.saslListeners["PLAINTEXT"] == nil)
        #expect(c.connectionsMaxReauthMs == 60_000 && c.connectionFailedAuthenticationDelayMs == 100 && c.saslServerMaxReceiveSize == 524_288)
        // A listener's own mechanism list wins over the broker-wide one.
        let own = try parse(Self.sasl.merging(["listener.name.secure.sasl.enabled.mechanisms": "SCRAM-SHA-512"]) { $1 })
        #expect(own.saslListeners["SECURE"]?.enabledMechanisms == ["SCRAM-SHA-512"])
    }

    @Test(arguments: [
        (["sasl.enabled.mechanisms": "GSSAPI"], "sasl.enabled.mechanisms"),
        (["sasl.enabled.mechanisms": ""], "sasl.enabled.mechanisms"),
        (["listener.name.secure.plain.sasl.jaas.config": ""], "listener.name.secure.plain.sasl.jaas.config"),
        (["listener.name.secure.plain.sasl.jaas.config": "Module required a=\"b\""], "listener.name.secure.plain.sasl.jaas.config"),
        (["sasl.jaas.config": plainJaas], "sasl.jaas.config"),
        (["inter.broker.listener.name": "SECURE"], "sasl.mechanism.inter.broker.protocol"),
        (["inter.broker.listener.name": "SECURE", "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-256"],
         "listener.name.secure.scram-sha-256.sasl.jaas.config"),
    ])
    func saslRefusals(_ extra: [String: String], key: String) {
        #expect { try parse(Self.sasl.merging(extra) { $1 }) } throws: { ($0 as? ConfigError)?.key == key }
    }

    @Test func scramCannotAuthenticateControllers() {
        let config = Self.sasl.merging([
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SECURE:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "listener.name.controller.sasl.enabled.mechanisms": "SCRAM-SHA-256",
            "sasl.mechanism.controller.protocol": "SCRAM-SHA-256",
            "listener.name.controller.scram-sha-256.sasl.jaas.config": #"org.apache.kafka.common.security.scram.ScramLoginModule required username="c" password="p";"#,
        ]) { $1 }
        #expect { try parse(config) } throws: { ($0 as? ConfigError)?.key == "sasl.mechanism.controller.protocol" }
    }

    static let tls: [String: String] = [
        "listeners": "PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9094,SASL_SSL://127.0.0.1:9095,CONTROLLER://127.0.0.1:9093",
        "advertised.listeners": "PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9094,SASL_SSL://127.0.0.1:9095",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
        "ssl.keystore.type": "PEM", "ssl.keystore.location": "/etc/strom/server.pem",
        "ssl.truststore.type": "PEM", "ssl.truststore.location": "/etc/strom/ca.pem",
        "ssl.client.auth": "required",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_ssl.plain.sasl.jaas.config": plainJaas,
    ]

    @Test func tlsListenerSettings() throws {
        let c = try parse(Self.tls.merging(["listener.name.ssl.ssl.keystore.type": "PKCS12", "listener.name.ssl.ssl.keystore.location": "/k.p12",
                                            "listener.name.ssl.ssl.keystore.password": "pw"]) { $1 })
        let ssl = try #require(c.tlsListeners["SSL"])
        #expect(ssl.keystore?.type == .pkcs12 && ssl.keystore?.location == "/k.p12" && ssl.keystore?.password == "pw")
        #expect(ssl.truststore?.location == "/etc/strom/ca.pem" && ssl.clientAuth == .required)
        #expect(ssl.enabledProtocols == ["TLSv1.2", "TLSv1.3"] && ssl.endpointIdentificationAlgorithm == "https")
        // SASL_SSL asks for client certificates only through its own listener.name key (KIP-684).
        #expect(c.tlsListeners["SASL_SSL"]?.clientAuth == ClientAuthNone.value)
        #expect(c.tlsListeners["SASL_SSL"]?.keystore?.type == .pem && c.saslListeners["SASL_SSL"] != nil)
        let own = try parse(Self.tls.merging(["listener.name.sasl_ssl.ssl.client.auth": "requested"]) { $1 })
        #expect(own.tlsListeners["SASL_SSL"]?.clientAuth == .requested)
        // Inline PEM (KIP-651).
        let inline = try parse(Self.tls.merging(["ssl.keystore.location": "", "ssl.keystore.certificate.chain": "-----BEGIN CERTIFICATE-----",
                                                 "ssl.keystore.key": "-----BEGIN PRIVATE KEY-----"]) { $1 })
        #expect(inline.tlsListeners["SSL"]?.keystore?.certificateChain != nil && inline.tlsListeners["SSL"]?.keystore?.location == nil)
    }

    @Test(arguments: [
        (["ssl.keystore.type": "JKS"], "ssl.keystore.type"),
        (["ssl.keystore.location": ""], "listener.name.ssl.ssl.keystore.location"),
        (["ssl.client.auth": "sometimes"], "ssl.client.auth"),
        (["ssl.truststore.location": ""], "listener.name.ssl.ssl.truststore.location"),
        (["ssl.enabled.protocols": "TLSv1.1"], "ssl.enabled.protocols"),
        (["ssl.principal.mapping.rules": "RULE:^CN=(.*$/$1/"], "ssl.principal.mapping.rules"),
        (["ssl.keystore.key": "-----BEGIN PRIVATE KEY-----"], "ssl.keystore.location"),
        (["ssl.endpoint.identification.algorithm": "ldap"], "ssl.endpoint.identification.algorithm"),
        // swift-nio-ssl cannot open a PKCS#12 file without a key, which is what a truststore is.
        (["ssl.truststore.type": "PKCS12"], "ssl.truststore.type"),
        (["super.users": "admin"], "super.users"),
    ])
    func tlsRefusals(_ extra: [String: String], key: String) {
        #expect { try parse(Self.tls.merging(extra) { $1 }) } throws: { ($0 as? ConfigError)?.key == key }
    }

    @Test func superUsersAreSplitOnSemicolons() throws {
        let c = try parse(Self.tls.merging(["super.users": " User:admin ; User:CN=broker,O=Acme;"]) { $1 })
        #expect(c.superUsers == ["User:admin", "User:CN=broker,O=Acme"])
    }

    @Test func principalMappingRules() throws {
        let m = try SslPrincipalMapper(rules: #"RULE:^CN=([^,]*),OU=ServiceUsers.*$/svc-$1/L, RULE:^CN=(.*?),.*$/$1/U,DEFAULT"#)
        #expect(m.map("CN=Kafka,OU=ServiceUsers,O=Acme") == "svc-kafka")
        #expect(m.map("CN=alice,OU=eng,O=Acme") == "ALICE")
        #expect(m.map("O=Acme") == "O=Acme")
        let strict = try SslPrincipalMapper(rules: #"RULE:^CN=([a-z]+)$/$1/"#)
        #expect(strict.map("CN=bob") == "bob")
        #expect(strict.map("CN=bob,O=x") == nil)
        #expect(try SslPrincipalMapper(rules: "DEFAULT").map("CN=x,O=y") == "CN=x,O=y")
        #expect(throws: SslPrincipalMapper.Invalid.self) { try SslPrincipalMapper(rules: "RULE:abc") }
        #expect(throws: SslPrincipalMapper.Invalid.self) { try SslPrincipalMapper(rules: "MAYBE") }
    }
}

private enum ClientAuthNone { static let value = ListenerTls.ClientAuth.none }

extension SecurityConfigTests {
    /// Kafka's KRaft authorizer is accepted; the ZooKeeper ones and unknown classes are refused with the
    /// class Strom has, not silently ignored (a node that ignored one would serve every client as if
    /// ACLs held); an empty value means no authorizer, as in Kafka.
    @Test func theStandardAuthorizerIsAcceptedAndOthersRefused() throws {
        let on = try parse(["authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer"])
        #expect(on.authorizerEnabled)
        #expect(!on.allowEveryoneIfNoAclFound)
        #expect(try !parse([:]).authorizerEnabled)
        #expect(try !parse(["authorizer.class.name": " "]).authorizerEnabled)
        for refused in ["kafka.security.authorizer.AclAuthorizer", "com.example.MyAuthorizer"] {
            #expect { try parse(["authorizer.class.name": refused]) } throws: {
                guard let e = $0 as? ConfigError else { return false }
                return e.key == "authorizer.class.name" && "\(e)".contains("org.apache.kafka.metadata.authorizer.StandardAuthorizer")
            }
        }
    }

    /// `allow.everyone.if.no.acl.found` as Java's Boolean.parseBoolean reads it.
    @Test func allowEveryoneIfNoAclFoundIsReadAsKafkaReadsIt() throws {
        #expect(try parse(["allow.everyone.if.no.acl.found": "true"]).allowEveryoneIfNoAclFound)
        #expect(try parse(["allow.everyone.if.no.acl.found": " TRUE "]).allowEveryoneIfNoAclFound)
        #expect(try !parse(["allow.everyone.if.no.acl.found": "yes"]).allowEveryoneIfNoAclFound)
        #expect(try !parse(["allow.everyone.if.no.acl.found": "false"]).allowEveryoneIfNoAclFound)
    }
}

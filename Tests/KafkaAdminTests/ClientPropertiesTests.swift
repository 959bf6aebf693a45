import KafkaAdmin
import KafkaClient
import KafkaSecurity
import Testing

@Suite struct ClientPropertiesTests {
    @Test func saslSslWithScramAndPemTruststore() throws {
        let p = try ClientProperties(text: """
            security.protocol=SASL_SSL
            sasl.mechanism=SCRAM-SHA-512
            sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="s3cr;et";
            ssl.truststore.location=/etc/ca.pem
            ssl.truststore.type=PEM
            ssl.endpoint.identification.algorithm=
            client.id=ops
            """)
        #expect(p.sasl == SaslClientCredentials(mechanism: .scramSHA512, username: "admin", password: "s3cr;et"))
        #expect(p.tls?.truststore?.location == "/etc/ca.pem")
        #expect(p.tls?.endpointIdentificationAlgorithm == "")
        #expect(p.clientID == "ops")
    }

    @Test func librdkafkaCaLocationIsAPemTruststore() throws {
        let p = try ClientProperties(values: ["security.protocol": "SSL", "ssl.ca.location": "/ca.pem"])
        #expect(p.tls?.truststore?.location == "/ca.pem")
        #expect(p.sasl == nil)
    }

    @Test func refusesWhatTheChannelCannotDo() {
        #expect(throws: ToolFailure.self) { try ClientProperties(values: ["security.protocol": "SASL_PLAINTEXT"]) } // GSSAPI by default
        #expect(throws: ToolFailure.self) {
            try ClientProperties(values: ["security.protocol": "SSL", "ssl.truststore.location": "/t.jks"]) // JKS by default
        }
        #expect(throws: ToolFailure.self) {
            try ClientProperties(values: ["security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
                                          "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required username=a password=b;"])
        }
        #expect(throws: ToolFailure.self) { try ClientProperties(values: ["security.protocol": "KERBEROS"]) }
    }
}

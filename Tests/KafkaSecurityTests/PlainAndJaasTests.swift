import KafkaSecurity
import StromConfig
import Testing

struct PlainAndJaasTests {
    static let jaas = """
        org.apache.kafka.common.security.plain.PlainLoginModule required
            username="admin" password="admin-secret"
            user_admin="admin-secret"
            user_alice="a \\"quoted\\" secret";
        """

    @Test func jaasOptionsAndPlainUsers() throws {
        let config = try JaasConfig(parsing: Self.jaas)
        #expect(config.loginModule == JaasConfig.plainLoginModule)
        #expect(config.controlFlag == "required")
        #expect(config.options["username"] == "admin")
        #expect(PlainAuthentication.users(from: config) == ["admin": "admin-secret", "alice": "a \"quoted\" secret"])
    }

    @Test func malformedJaasIsRefused() {
        for text in ["", "Module required", "Module maybe a=\"b\";", "Module required a=\"b\"", "Module required a=\"b;",
                     "Module required a=\"b\"; Other required;", "Module required a;"] {
            #expect(throws: JaasConfig.Invalid.self, "\(text)") { try JaasConfig(parsing: text) }
        }
    }

    @Test func plainChecksEveryPart() throws {
        let users = ["alice": "secret"]
        func token(_ s: String) -> [UInt8] { Array(s.utf8).map { $0 == UInt8(ascii: "|") ? 0 : $0 } }
        #expect(try PlainAuthentication.authenticate(token("|alice|secret"), users: users) == "alice")
        #expect(try PlainAuthentication.authenticate(token("alice|alice|secret"), users: users) == "alice")
        for (t, message) in [
            ("|alice|wrong", "Authentication failed: Invalid username or password"),
            ("|bob|secret", "Authentication failed: Invalid username or password"),
            ("|alice|secre", "Authentication failed: Invalid username or password"),
            ("||secret", "Authentication failed: username not specified"),
            ("|alice|", "Authentication failed: password not specified"),
            ("bob|alice|secret", "Authentication failed: Client requested an authorization id that is different from username"),
            ("alice|secret", "Invalid SASL/PLAIN response: expected 3 tokens, got 2"),
            ("|a|b|c", "Invalid SASL/PLAIN response: expected 3 tokens, got 4"),
        ] {
            #expect(throws: SaslFailure(message, revealed: true), "\(t)") { try PlainAuthentication.authenticate(token(t), users: users) }
        }
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equal([UInt8](), [0]))
        #expect(ConstantTime.equal([UInt8](), [UInt8]()))
    }
}

import Foundation
import KafkaSecurity
import Testing

/// SCRAM against RFC 7677's SCRAM-SHA-256 example exchange (user "user", password "pencil").
struct ScramTests {
    static let salt = Array(Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==")!)
    static let clientNonce = "rOprNGfwEbeRWgbNEkqO"
    static let serverNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    static let clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    static let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    static let credential = ScramCredential(mechanism: .sha256, password: "pencil", salt: salt, iterations: 4096)

    @Test func serverAnswersTheRFCExchange() throws {
        var server = ScramServerExchange(mechanism: .sha256)
        var looked: [String] = []
        let first = try server.evaluate(Array(Self.clientFirst.utf8), credential: { looked.append($0); return Self.credential },
                                        serverNonce: { Self.serverNonce })
        #expect(String(decoding: first, as: UTF8.self) == Self.serverFirst)
        #expect(looked == ["user"])
        #expect(server.authenticatedUser == nil)
        let final = try server.evaluate(Array(Self.clientFinal.utf8), credential: { _ in nil }, serverNonce: { "x" })
        #expect(String(decoding: final, as: UTF8.self) == Self.serverFinal)
        #expect(server.authenticatedUser == "user")
    }

    @Test func clientWritesTheRFCExchange() throws {
        var client = ScramClientExchange(mechanism: .sha256, userName: "user", password: "pencil", clientNonce: Self.clientNonce)
        #expect(String(decoding: client.firstMessage, as: UTF8.self) == Self.clientFirst)
        let final = try client.finalMessage(serverFirst: Array(Self.serverFirst.utf8))
        #expect(String(decoding: final, as: UTF8.self) == Self.clientFinal)
        try client.verify(serverFinal: Array(Self.serverFinal.utf8))
        #expect(throws: SaslFailure.self) { try client.verify(serverFinal: Array("v=AAAA".utf8)) }
    }

    @Test(arguments: ScramMechanism.allCases)
    func wrongPasswordIsRefusedAndRightOneAccepted(_ mechanism: ScramMechanism) throws {
        let stored = ScramCredential(mechanism: mechanism, password: "secret", iterations: 4096)
        for (password, accepted) in [("secret", true), ("secreT", false), ("", false)] {
            var server = ScramServerExchange(mechanism: mechanism)
            var client = ScramClientExchange(mechanism: mechanism, userName: "alice", password: password)
            let first = try server.evaluate(client.firstMessage, credential: { $0 == "alice" ? stored : nil }, serverNonce: ScramServerExchange.randomNonce)
            let final = try client.finalMessage(serverFirst: first)
            if accepted {
                let last = try server.evaluate(final, credential: { _ in nil }, serverNonce: { "" })
                try client.verify(serverFinal: last)
                #expect(server.authenticatedUser == "alice")
            } else {
                #expect(throws: SaslFailure("Authentication failed: Invalid client credentials")) {
                    try server.evaluate(final, credential: { _ in nil }, serverNonce: { "" })
                }
                #expect(server.state == .failed)
            }
        }
    }

    @Test func unknownUserAndTamperedMessagesFail() throws {
        var server = ScramServerExchange(mechanism: .sha256)
        #expect(throws: SaslFailure("Authentication failed: Invalid user credentials")) {
            try server.evaluate(Array(Self.clientFirst.utf8), credential: { _ in nil }, serverNonce: { Self.serverNonce })
        }
        // A final message whose nonce is not the server's.
        server = ScramServerExchange(mechanism: .sha256)
        _ = try server.evaluate(Array(Self.clientFirst.utf8), credential: { _ in Self.credential }, serverNonce: { "other" })
        #expect(throws: SaslFailure("Invalid client nonce in the final client message.")) {
            try server.evaluate(Array(Self.clientFinal.utf8), credential: { _ in nil }, serverNonce: { "" })
        }
        // Channel binding flags other than "n", an authorization id for someone else, delegation tokens.
        for (message, error) in [
            ("y,,n=user,r=abc", "Invalid SCRAM client first message format: channel binding flag `y` (only `n` is supported)"),

            ("n,,n=user,r=abc,tokenauth=true", "Authentication failed: delegation tokens are not supported"),
            ("n,,n=user,r=abc,tokenauth=TRUE,other=1", "Authentication failed: delegation tokens are not supported"),
            ("n,,n=us=er,r=abc", "Invalid SCRAM client first message format: user name `n=us=er`"),
            ("n,,n=user", "Invalid SCRAM client first message format: n,,n=user"),
        ] {
            var s = ScramServerExchange(mechanism: .sha256)
            #expect(throws: SaslFailure(error)) { try s.evaluate(Array(message.utf8), credential: { _ in Self.credential }, serverNonce: { "n" }) }
        }
    }

    /// Kafka ignores SCRAM extensions it does not know (and tokenauth=false).
    @Test func unknownExtensionsAreIgnored() throws {
        var server = ScramServerExchange(mechanism: .sha256)
        let first = try server.evaluate(Array("n,,n=user,r=abc,color=blue,tokenauth=false".utf8), credential: { _ in Self.credential },
                                        serverNonce: { "S" })
        #expect(String(decoding: first, as: UTF8.self).hasPrefix("r=abcS,"))
    }

    @Test func saslNamesEscapeCommaAndEquals() {
        #expect(ScramMessages.encodeSaslName("a,b=c") == "a=2Cb=3Dc")
        #expect(ScramMessages.decodeSaslName("a=2Cb=3Dc") == "a,b=c")
        #expect(ScramMessages.decodeSaslName("a=2") == nil)
        #expect(ScramMessages.decodeSaslName("") == nil)
    }

    @Test func credentialFromSaltedPasswordMatchesFromPassword() {
        let salted = ScramMechanism.sha512.saltedPassword("pw", salt: [1, 2, 3], iterations: 4096)
        #expect(salted.count == 64)
        #expect(ScramCredential(mechanism: .sha512, saltedPassword: salted, salt: [1, 2, 3], iterations: 4096)
            == ScramCredential(mechanism: .sha512, password: "pw", salt: [1, 2, 3], iterations: 4096))
    }
}

extension ScramTests {
    /// librdkafka 2.0 writes its nonce in front of the server's combined nonce in the final message
    /// ("r=" + client nonce + server-first nonce); Kafka accepts a final nonce that ends with the
    /// server's, and so does Strom.
    @Test func aFinalNonceThatEndsWithTheServersIsTaken() throws {
        var server = ScramServerExchange(mechanism: .sha256)
        let first = try server.evaluate(Array(Self.clientFirst.utf8), credential: { _ in Self.credential }, serverNonce: { Self.serverNonce })
        let nonce = try ScramMessages.parseServerFirst(first).nonce
        let withoutProof = "c=biws,r=\(Self.clientNonce)\(nonce)"
        let authMessage = Array("n=user,r=\(Self.clientNonce),\(String(decoding: first, as: UTF8.self)),\(withoutProof)".utf8)
        let salted = ScramMechanism.sha256.saltedPassword("pencil", salt: Self.salt, iterations: 4096)
        let clientKey = ScramMechanism.sha256.hmac(key: salted, Array("Client Key".utf8))
        let signature = ScramMechanism.sha256.hmac(key: ScramMechanism.sha256.hash(clientKey), authMessage)
        let proof = Data(zip(clientKey, signature).map { $0 ^ $1 }).base64EncodedString()
        _ = try server.evaluate(Array("\(withoutProof),p=\(proof)".utf8), credential: { _ in nil }, serverNonce: { "" })
        #expect(server.authenticatedUser == "user")
    }
}

/// `strom format --add-scram` arguments, in the storage tool's grammar.
struct ScramBootstrapArgumentTests {
    @Test func passwordAndSaltedPasswordFormsGiveTheSameCredential() throws {
        let salt = Array("N3E=".utf8)
        let a = try ScramBootstrapArgument(parsing: "SCRAM-SHA-512=[name=alice,iterations=8192,password=\"s3cret\"]", randomSalt: { salt })
        #expect(a.user == "alice" && a.mechanism == .sha512 && a.credential.iterations == 8192 && a.credential.salt == salt)
        let salted = ScramMechanism.sha512.saltedPassword("s3cret", salt: salt, iterations: 8192)
        let b = try ScramBootstrapArgument(parsing: " SCRAM-SHA-512=[name=alice,iterations=8192,salt=\"\(Data(salt).base64EncodedString())\",saltedpassword=\(Data(salted).base64EncodedString())] ")
        #expect(a == b)
        let d = try ScramBootstrapArgument(parsing: "SCRAM-SHA-256=[name=bob,password=pw]")
        #expect(d.credential.iterations == 4096 && d.mechanism == .sha256 && !d.credential.salt.isEmpty)
    }

    @Test func refusalsSayWhatKafkaSays() {
        for (argument, message) in [
            ("SCRAM-SHA-256", "Failed to find equals sign in SCRAM argument 'SCRAM-SHA-256'"),
            ("SCRAM-SHA-1=[name=a,password=b]", "The add-scram mechanism SCRAM-SHA-1 is not supported."),
            ("SCRAM-SHA-256=name=a]", "Expected configuration string to start with ["),
            ("SCRAM-SHA-256=[name=a", "Expected configuration string to end with ]"),
            ("SCRAM-SHA-256=[name]", "No equals sign found in SCRAM component: name"),
            ("SCRAM-SHA-256=[password=b]", "You must supply 'name' to add-scram"),
            ("SCRAM-SHA-256=[name=a]", "You must supply one of 'password' or 'saltedpassword' to add-scram"),
            ("SCRAM-SHA-256=[name=a,saltedpassword=AAAA]", "You must supply 'salt' with 'saltedpassword' to add-scram"),
            ("SCRAM-SHA-256=[name=a,password=b,iterations=x]", "Failed to parse iterations count: x"),
            ("SCRAM-SHA-256=[name=a,password=b,iterations=4095]", "The 'iterations' value must be >= 4096 for add-scram using SCRAM-SHA-256"),
            ("SCRAM-SHA-512=[name=a,password=b,iterations=16385]", "The 'iterations' value must be <= 16384 for add-scram using SCRAM-SHA-512"),
            ("SCRAM-SHA-256=[name=a,password=b,color=red]", "Unknown SCRAM configurations: color"),
        ] {
            #expect(throws: ScramBootstrapArgument.Invalid(description: message), "\(argument)") { try ScramBootstrapArgument(parsing: argument) }
        }
    }
}

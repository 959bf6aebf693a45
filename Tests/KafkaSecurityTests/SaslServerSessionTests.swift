import KafkaProtocol
import KafkaSecurity
import NIOCore
import Testing

/// `SaslServerSession` as Kafka's SaslServerAuthenticator behaves, one frame at a time.
struct SaslServerSessionTests {
    static let settings = SaslServerSession.Settings(mechanisms: [.plain, .scramSHA256], plainUsers: ["alice": "secret", "bob": "pw"])
    static let carol = ScramCredential(mechanism: .sha256, password: "carol-pw", iterations: 4096)

    /// A request frame without its size prefix.
    static func frame<R: KafkaRequestMessage>(_ request: R, version: Int16, correlationID: Int32 = 1) -> ByteBuffer {
        var f = try! request.encodeFrame(version: version, correlationID: correlationID, clientID: "test")
        f.moveReaderIndex(forwardBy: 4)
        return f
    }

    static func plainToken(_ user: String, _ password: String) -> [UInt8] { [0] + Array(user.utf8) + [0] + Array(password.utf8) }

    static func response<R: KafkaResponseMessage>(_ action: SaslServerSession.Action, as _: R.Type, version: Int16) throws -> R {
        guard case var .respond(bytes) = action else { throw Unexpected(action: "\(action)") }
        return try decode(&bytes, version: version)
    }

    static func decode<R: KafkaResponseMessage>(_ bytes: inout ByteBuffer, version: Int16) throws -> R {
        bytes.moveReaderIndex(forwardBy: 4)
        _ = try ResponseHeader.decode(from: &bytes, version: R.apiKey.responseHeaderVersion(apiVersion: version))
        return try R.decodeExactly(bytes, version: version)
    }

    struct Unexpected: Error { var action: String }

    func receive(_ s: inout SaslServerSession, _ frame: ByteBuffer, now: Int64 = 0) -> SaslServerSession.Action {
        s.receive(frame, nowMs: now, credential: { $0 == .sha256 && $1 == "carol" ? Self.carol : nil }, serverNonce: { "SERVER" })
    }

    func authenticatePlain(_ s: inout SaslServerSession, user: String = "alice", password: String = "secret", now: Int64 = 0) throws -> SaslAuthenticateResponse {
        let h = try Self.response(receive(&s, Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1), now: now),
                                  as: SaslHandshakeResponse.self, version: 1)
        #expect(h.errorCode == 0)
        #expect(h.mechanisms == ["PLAIN", "SCRAM-SHA-256"])
        let action = receive(&s, Self.frame(SaslAuthenticateRequest(authBytes: Self.plainToken(user, password)), version: 2), now: now)
        if case let .failAuthentication(response?, _) = action {
            var r = response
            return try Self.decode(&r, version: 2)
        }
        return try Self.response(action, as: SaslAuthenticateResponse.self, version: 2)
    }

    @Test func apiVersionsOnceThenPlainThenRequestsAsTheUser() throws {
        var s = SaslServerSession(settings: Self.settings)
        #expect(s.isUnauthenticated)
        guard case .serve(nil) = receive(&s, Self.frame(ApiVersionsRequest(), version: 3)) else { Issue.record("ApiVersions not served"); return }
        let r = try authenticatePlain(&s)
        #expect(r.errorCode == 0 && r.sessionLifetimeMs == 0)
        #expect(s.principal == KafkaPrincipal(name: "alice"))
        guard case .serve(KafkaPrincipal(name: "alice")?) = receive(&s, Self.frame(MetadataRequest(), version: 12)) else {
            Issue.record("Metadata not served as alice"); return
        }
        // Later SASL requests go to the listener's handlers (ILLEGAL_SASL_STATE there): no lifetime, no re-authentication.
        guard case .serve = receive(&s, Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)) else {
            Issue.record("a handshake without a session lifetime must reach the handler"); return
        }
    }

    @Test func anythingElseBeforeAuthenticationIsClosedWithoutAnAnswer() {
        var s = SaslServerSession(settings: Self.settings)
        guard case .failAuthentication(nil, let reason) = receive(&s, Self.frame(MetadataRequest(), version: 1)) else {
            Issue.record("Metadata before the handshake must fail without an answer"); return
        }
        #expect(reason == "Unexpected Kafka request of type Metadata(3) during SASL handshake")
        guard case .close = receive(&s, Self.frame(ApiVersionsRequest(), version: 3)) else { Issue.record("a failed session takes nothing"); return }

        var twice = SaslServerSession(settings: Self.settings)
        _ = receive(&twice, Self.frame(ApiVersionsRequest(), version: 3))
        guard case .close = receive(&twice, Self.frame(ApiVersionsRequest(), version: 3)) else { Issue.record("a second ApiVersions closes"); return }

        var midway = SaslServerSession(settings: Self.settings)
        _ = receive(&midway, Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1))
        guard case .failAuthentication(var answer?, _) = receive(&midway, Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)) else {
            Issue.record("a second handshake must get ILLEGAL_SASL_STATE"); return
        }
        #expect((try? Self.decode(&answer, version: 1) as SaslHandshakeResponse)?.errorCode == ErrorCode.illegalSaslState.rawValue)
    }

    @Test func unsupportedMechanismIsAnsweredWithTheEnabledOnes() throws {
        var s = SaslServerSession(settings: Self.settings)
        guard case .failAuthentication(var answer?, _) = receive(&s, Self.frame(SaslHandshakeRequest(mechanism: "SCRAM-SHA-512"), version: 1)) else {
            Issue.record("expected a failure with an answer"); return
        }
        let r: SaslHandshakeResponse = try Self.decode(&answer, version: 1)
        #expect(r.errorCode == ErrorCode.unsupportedSaslMechanism.rawValue && r.mechanisms == ["PLAIN", "SCRAM-SHA-256"])
    }

    @Test func wrongPasswordIsToldAndClosed() throws {
        var s = SaslServerSession(settings: Self.settings)
        let r = try authenticatePlain(&s, password: "nope")
        #expect(r.errorCode == ErrorCode.saslAuthenticationFailed.rawValue)
        #expect(r.errorMessage == "Authentication failed: Invalid username or password")
        #expect(s.principal == nil)
    }

    @Test func rawTokensAfterHandshakeV0() throws {
        var s = SaslServerSession(settings: Self.settings)
        _ = try Self.response(receive(&s, Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 0)), as: SaslHandshakeResponse.self, version: 0)
        guard case let .respond(answer) = receive(&s, ByteBuffer(bytes: Self.plainToken("bob", "pw"))) else { Issue.record("raw token"); return }
        #expect(Array(answer.readableBytesView) == [0, 0, 0, 0])
        #expect(s.principal == KafkaPrincipal(name: "bob"))

        var wrong = SaslServerSession(settings: Self.settings)
        _ = receive(&wrong, Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 0))
        guard case .failAuthentication(nil, _) = receive(&wrong, ByteBuffer(bytes: Self.plainToken("bob", "x"))) else {
            Issue.record("a wrong raw token gets only the close"); return
        }
    }

    @Test func scramOverSaslAuthenticate() throws {
        var s = SaslServerSession(settings: Self.settings)
        _ = try Self.response(receive(&s, Self.frame(SaslHandshakeRequest(mechanism: "SCRAM-SHA-256"), version: 1)), as: SaslHandshakeResponse.self, version: 1)
        var client = ScramClientExchange(mechanism: .sha256, userName: "carol", password: "carol-pw")
        let first = try Self.response(receive(&s, Self.frame(SaslAuthenticateRequest(authBytes: client.firstMessage), version: 1)),
                                      as: SaslAuthenticateResponse.self, version: 1)
        #expect(s.principal == nil)
        let final = try client.finalMessage(serverFirst: first.authBytes)
        let last = try Self.response(receive(&s, Self.frame(SaslAuthenticateRequest(authBytes: final), version: 1)),
                                     as: SaslAuthenticateResponse.self, version: 1)
        try client.verify(serverFinal: last.authBytes)
        #expect(s.principal == KafkaPrincipal(name: "carol"))
    }

    @Test func scramFailuresGetTheGenericMessage() throws {
        var s = SaslServerSession(settings: Self.settings)
        _ = receive(&s, Self.frame(SaslHandshakeRequest(mechanism: "SCRAM-SHA-256"), version: 1))
        let client = ScramClientExchange(mechanism: .sha256, userName: "mallory", password: "x")
        guard case .failAuthentication(var answer?, let reason) = receive(&s, Self.frame(SaslAuthenticateRequest(authBytes: client.firstMessage), version: 1)) else {
            Issue.record("an unknown user fails"); return
        }
        let r: SaslAuthenticateResponse = try Self.decode(&answer, version: 1)
        #expect(r.errorMessage == "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256")
        #expect(reason.contains("Invalid user credentials"))
    }

    @Test func sessionLifetimeExpiryAndReauthentication() throws {
        var settings = Self.settings
        settings.maxReauthMs = 10_000
        var s = SaslServerSession(settings: settings)
        let r = try authenticatePlain(&s, now: 1_000)
        #expect(r.sessionLifetimeMs == 10_000)
        guard case .serve = receive(&s, Self.frame(MetadataRequest(), version: 12), now: 11_000) else { Issue.record("still alive at the expiry"); return }
        // Re-authentication before the expiry renews the session.
        let again = try authenticatePlain(&s, now: 10_500)
        #expect(again.errorCode == 0 && again.sessionLifetimeMs == 10_000)
        guard case .serve = receive(&s, Self.frame(MetadataRequest(), version: 12), now: 20_500) else { Issue.record("renewed until 20,500"); return }
        guard case .close = receive(&s, Self.frame(MetadataRequest(), version: 12), now: 20_501) else { Issue.record("expired"); return }
    }

    @Test func reauthenticationKeepsThePrincipalAndMechanism() throws {
        var settings = Self.settings
        settings.maxReauthMs = 60_000
        var s = SaslServerSession(settings: settings)
        _ = try authenticatePlain(&s)
        let other = try authenticatePlain(&s, user: "bob", password: "pw", now: 2_000)
        #expect(other.errorCode == ErrorCode.saslAuthenticationFailed.rawValue)
        #expect(other.errorMessage == "Cannot change principals during re-authentication from User.alice: User.bob")

        var m = SaslServerSession(settings: settings)
        _ = try authenticatePlain(&m)
        // Another mechanism: the handshake is answered as a success, the next token fails.
        _ = try Self.response(receive(&m, Self.frame(SaslHandshakeRequest(mechanism: "SCRAM-SHA-256"), version: 1), now: 2_000),
                              as: SaslHandshakeResponse.self, version: 1)
        guard case .failAuthentication(nil, let reason) = receive(&m, Self.frame(SaslAuthenticateRequest(authBytes: [1]), version: 1), now: 2_000) else {
            Issue.record("a changed mechanism fails"); return
        }
        #expect(reason.contains("not supported for re-authentication of mechanism 'PLAIN'"))

        // Within a second of the last authentication, a handshake is not a re-authentication.
        var soon = SaslServerSession(settings: settings)
        _ = try authenticatePlain(&soon, now: 5_000)
        guard case .serve = receive(&soon, Self.frame(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1), now: 5_999) else {
            Issue.record("too early for a re-authentication"); return
        }
    }
}

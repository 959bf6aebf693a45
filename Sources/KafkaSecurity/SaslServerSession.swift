import KafkaProtocol
import NIOCore

/// One connection's SASL authentication on a SASL_PLAINTEXT or SASL_SSL listener, as Kafka's
/// `SaslServerAuthenticator` runs it: a value that takes each frame the connection receives (with
/// `now`) and says what to do with it.
///
///     initial --ApiVersions--> versionsSeen --SaslHandshake--> authenticating
///     initial --SaslHandshake v1 (enabled mechanism)--> authenticating (tokens in SaslAuthenticate)
///     initial --SaslHandshake v0 (enabled mechanism)--> authenticating (raw size-prefixed tokens)
///     authenticating --last token accepted--> authenticated(principal, expiry)
///     authenticated (with an expiry) --SaslHandshake--> authenticating (re-authentication, KIP-368)
///
/// Kafka's answers to what does not fit:
/// - before the handshake, a request other than one ApiVersions and SaslHandshake gets no answer and
///   the connection closes after the failed-authentication delay (a second ApiVersions: at once);
/// - an unsupported mechanism gets UNSUPPORTED_SASL_MECHANISM, after the delay, then the close;
/// - while authenticating, anything but SaslAuthenticate gets ILLEGAL_SASL_STATE (SaslHandshake) or
///   nothing, after the delay, then the close;
/// - a wrong credential gets SASL_AUTHENTICATION_FAILED after the delay, then the close; raw tokens get
///   only the close;
/// - with a session lifetime (`connections.max.reauth.ms` > 0), SaslAuthenticate v1+ tells the client
///   its lifetime; a request other than SaslHandshake after the expiry closes the connection at once,
///   whatever the client's version; re-authentication keeps the mechanism and the principal.
/// After authentication, SaslHandshake (without an expiry) and SaslAuthenticate go to the listener's
/// handlers, which answer ILLEGAL_SASL_STATE and keep the connection.
public struct SaslServerSession: Sendable {
    /// What the listener offers.
    public struct Settings: Sendable {
        /// `sasl.enabled.mechanisms`, as configured.
        public var mechanisms: [SaslMechanism]
        /// PLAIN's users, from `user_<name>` options of the listener's JAAS configuration.
        public var plainUsers: [String: String]
        /// `connections.max.reauth.ms`: 0 lets sessions live as long as their connection.
        public var maxReauthMs: Int64

        public init(mechanisms: [SaslMechanism], plainUsers: [String: String] = [:], maxReauthMs: Int64 = 0) {
            self.mechanisms = mechanisms
            self.plainUsers = plainUsers
            self.maxReauthMs = maxReauthMs
        }
    }

    public enum Exchange: Sendable {
        case plain
        case scram(ScramServerExchange)
        /// Re-authentication asked for another mechanism: the next token fails.
        case badMechanism(requested: String)
    }

    public enum State: Sendable {
        case initial(versionsSeen: Bool)
        /// After SaslHandshake: tokens of `mechanism` arrive in SaslAuthenticate requests, or raw after v0.
        /// `previous` is set when re-authenticating: the principal that must not change.
        case authenticating(mechanism: SaslMechanism, raw: Bool, exchange: Exchange, previous: KafkaPrincipal?)
        /// `expiresAtMs` is nil without a session lifetime.
        case authenticated(principal: KafkaPrincipal, mechanism: SaslMechanism, expiresAtMs: Int64?, sinceMs: Int64)
        case failed
    }

    public enum Action: Sendable {
        /// Serve the frame as a request, on behalf of `principal` (nil: not yet authenticated, ApiVersions only).
        case serve(principal: KafkaPrincipal?)
        /// Send this frame (size prefix included).
        case respond(ByteBuffer)
        /// Once the failed-authentication delay has passed, send `response` (when there is one) and close.
        case failAuthentication(response: ByteBuffer?, reason: String)
        /// Close the connection at once.
        case close(reason: String)
    }

    /// Kafka's shortest interval between two re-authentications of a connection.
    public static let minReauthIntervalMs: Int64 = 1_000

    public let settings: Settings
    public private(set) var state: State = .initial(versionsSeen: false)

    public init(settings: Settings) {
        self.settings = settings
    }

    /// The principal once authenticated (also while re-authenticating).
    public var principal: KafkaPrincipal? {
        switch state {
        case let .authenticated(p, _, _, _): return p
        case let .authenticating(_, _, _, previous): return previous
        default: return nil
        }
    }

    /// Whether the connection has not authenticated yet: frames are then limited to
    /// `sasl.server.max.receive.size`.
    public var isUnauthenticated: Bool { principal == nil }

    /// Decides what `frame` (without its size prefix) is. `credential` looks up a stored SCRAM credential.
    public mutating func receive(_ frame: ByteBuffer, nowMs: Int64,
                                 credential: (ScramMechanism, String) -> ScramCredential?,
                                 serverNonce: () -> String = ScramServerExchange.randomNonce) -> Action {
        if case let .authenticating(mechanism, true, exchange, previous) = state {
            return evaluate(Array(frame.readableBytesView), mechanism: mechanism, exchange: exchange, previous: previous,
                            reply: .raw, nowMs: nowMs, credential: credential, serverNonce: serverNonce)
        }
        if case let .authenticated(principal, mechanism, expiresAtMs, sinceMs) = state {
            // Every request of an authenticated connection passes here: only its API key is read (the
            // dispatcher parses the header); a SaslHandshake may start a re-authentication.
            let key = frame.getInteger(at: frame.readerIndex, as: Int16.self)
            if key == APIKey.saslHandshake.rawValue, expiresAtMs != nil, nowMs - sinceMs >= Self.minReauthIntervalMs,
               let request = try? RequestFrame(parsing: frame) {
                return handshake(request, previous: principal, previousMechanism: mechanism)
            }
            if let expiresAtMs, nowMs > expiresAtMs {
                state = .failed
                return .close(reason: "the session of \(principal) expired (connections.max.reauth.ms) before it re-authenticated")
            }
            return .serve(principal: principal)
        }
        let request: RequestFrame
        do { request = try RequestFrame(parsing: frame) } catch {
            state = .failed
            return .failAuthentication(response: nil, reason: "a frame that is not a Kafka request arrived before authentication (GSSAPI is not supported)")
        }
        switch state {
        case let .initial(versionsSeen):
            switch request.apiKey {
            case .apiVersions where !versionsSeen:
                state = .initial(versionsSeen: true)
                return .serve(principal: nil)
            case .apiVersions:
                state = .failed
                return .close(reason: "a second ApiVersions request during SASL authentication")
            case .saslHandshake:
                return handshake(request, previous: nil, previousMechanism: nil)
            default:
                state = .failed
                return .failAuthentication(response: nil, reason: "Unexpected Kafka request of type \(request.apiKey) during SASL handshake")
            }
        case let .authenticating(mechanism, _, exchange, previous):
            guard request.apiKey == .saslAuthenticate else {
                state = .failed
                let answer = request.apiKey == .saslHandshake
                    ? try? SaslHandshakeResponse(errorCode: ErrorCode.illegalSaslState.rawValue, mechanisms: [])
                        .encodeFrame(version: request.apiVersion, correlationID: request.header.correlationID)
                    : nil
                return .failAuthentication(response: answer, reason: "Unexpected Kafka request of type \(request.apiKey) during SASL authentication")
            }
            guard SaslAuthenticateRequest.validVersions.contains(request.apiVersion),
                  let body = try? request.decodeBody(as: SaslAuthenticateRequest.self).body else {
                state = .failed
                return .close(reason: "malformed or unsupported SaslAuthenticate v\(request.apiVersion) request")
            }
            return evaluate(body.authBytes, mechanism: mechanism, exchange: exchange, previous: previous,
                            reply: .request(version: request.apiVersion, correlationID: request.header.correlationID),
                            nowMs: nowMs, credential: credential, serverNonce: serverNonce)
        case .authenticated:
            return .serve(principal: principal)  // decided before the header is parsed; never reached
        case .failed:
            return .close(reason: "authentication already failed on this connection")
        }
    }

    private enum Reply { case raw, request(version: Int16, correlationID: Int32) }

    private mutating func handshake(_ request: RequestFrame, previous: KafkaPrincipal?, previousMechanism: SaslMechanism?) -> Action {
        guard SaslHandshakeRequest.validVersions.contains(request.apiVersion),
              let body = try? request.decodeBody(as: SaslHandshakeRequest.self).body else {
            state = .failed
            return .close(reason: "malformed or unsupported SaslHandshake v\(request.apiVersion) request")
        }
        let enabled = settings.mechanisms.map(\.rawValue)
        var response = SaslHandshakeResponse(errorCode: 0, mechanisms: enabled)
        let chosen = SaslMechanism(rawValue: body.mechanism).flatMap { settings.mechanisms.contains($0) ? $0 : nil }
        if let previousMechanism, let previous {
            // A changed mechanism is answered as a success; the next token fails (Kafka's REAUTH_BAD_MECHANISM).
            let exchange: Exchange = chosen == previousMechanism ? Self.exchange(for: previousMechanism) : .badMechanism(requested: body.mechanism)
            state = .authenticating(mechanism: previousMechanism, raw: request.apiVersion == 0, exchange: exchange, previous: previous)
        } else if let chosen {
            state = .authenticating(mechanism: chosen, raw: request.apiVersion == 0, exchange: Self.exchange(for: chosen), previous: nil)
        } else {
            response.errorCode = ErrorCode.unsupportedSaslMechanism.rawValue
            state = .failed
            return .failAuthentication(response: encode(response, request), reason:
                "Unsupported SASL mechanism \(body.mechanism) (enabled: \(enabled.joined(separator: ",")))")
        }
        guard let encoded = encode(response, request) else { return .close(reason: "could not encode the SaslHandshake response") }
        return .respond(encoded)
    }

    private static func exchange(for mechanism: SaslMechanism) -> Exchange {
        mechanism.scram.map { .scram(ScramServerExchange(mechanism: $0)) } ?? .plain
    }

    private mutating func evaluate(_ token: [UInt8], mechanism: SaslMechanism, exchange: Exchange, previous: KafkaPrincipal?,
                                   reply: Reply, nowMs: Int64, credential: (ScramMechanism, String) -> ScramCredential?,
                                   serverNonce: () -> String) -> Action {
        state = .failed
        var answer: [UInt8] = []
        var user: String?
        do throws(SaslFailure) {
            switch exchange {
            case .plain:
                user = try PlainAuthentication.authenticate(token, users: settings.plainUsers)
            case var .scram(scram):
                let variant = scram.mechanism
                answer = try scram.evaluate(token, credential: { credential(variant, $0) }, serverNonce: serverNonce)
                user = scram.authenticatedUser
                if user == nil {
                    state = .authenticating(mechanism: mechanism, raw: { if case .raw = reply { return true } else { return false } }(),
                                            exchange: .scram(scram), previous: previous)
                }
            case let .badMechanism(requested):
                return .failAuthentication(response: nil, reason:
                    "SASL mechanism '\(requested)' requested by client is not supported for re-authentication of mechanism '\(mechanism)'")
            }
        } catch {
            let told = error.clientMessage(mechanism: mechanism, reauthenticating: previous != nil)
            return .failAuthentication(response: failureResponse(reply, message: told), reason: "\(mechanism) authentication failed: \(error.message)")
        }
        var lifetimeMs: Int64 = 0
        if let user {
            let principal = KafkaPrincipal(name: user)
            if let previous, previous != principal {
                let message = "Cannot change principals during re-authentication from \(previous.type).\(previous.name): \(principal.type).\(principal.name)"
                return .failAuthentication(response: failureResponse(reply, message: message), reason: message)
            }
            lifetimeMs = settings.maxReauthMs
            state = .authenticated(principal: principal, mechanism: mechanism, expiresAtMs: lifetimeMs > 0 ? nowMs + lifetimeMs : nil, sinceMs: nowMs)
        }
        switch reply {
        case .raw:
            var out = ByteBuffer()
            out.writeInteger(Int32(answer.count))
            out.writeBytes(answer)
            return .respond(out)
        case let .request(version, correlationID):
            let response = SaslAuthenticateResponse(errorCode: 0, errorMessage: nil, authBytes: answer, sessionLifetimeMs: lifetimeMs)
            guard let encoded = try? response.encodeFrame(version: version, correlationID: correlationID) else {
                return .close(reason: "could not encode the SaslAuthenticate response")
            }
            return .respond(encoded)
        }
    }

    private func failureResponse(_ reply: Reply, message: String) -> ByteBuffer? {
        guard case let .request(version, correlationID) = reply else { return nil }
        let response = SaslAuthenticateResponse(errorCode: ErrorCode.saslAuthenticationFailed.rawValue, errorMessage: message, authBytes: [])
        return try? response.encodeFrame(version: version, correlationID: correlationID)
    }

    private func encode(_ response: SaslHandshakeResponse, _ request: RequestFrame) -> ByteBuffer? {
        try? response.encodeFrame(version: request.apiVersion, correlationID: request.header.correlationID)
    }
}

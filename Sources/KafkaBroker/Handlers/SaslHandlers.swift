import KafkaProtocol

/// SaslHandshake as a listener's handler: reached only where no SASL exchange is under way (a
/// PLAINTEXT listener, or an authenticated SASL connection that may not re-authenticate now), and
/// answered ILLEGAL_SASL_STATE with no mechanisms, as Kafka's request handler answers it. SASL
/// listeners take the exchange itself in `SaslServerSession`.
struct SaslHandshakeHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    func handle(_ request: SaslHandshakeRequest, context: RequestContext) async -> SaslHandshakeResponse? {
        SaslHandshakeResponse(errorCode: ErrorCode.illegalSaslState.rawValue, mechanisms: [])
    }
}

/// SaslAuthenticate outside an exchange (see `SaslHandshakeHandler`): ILLEGAL_SASL_STATE.
struct SaslAuthenticateHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

    func handle(_ request: SaslAuthenticateRequest, context: RequestContext) async -> SaslAuthenticateResponse? {
        SaslAuthenticateResponse(errorCode: ErrorCode.illegalSaslState.rawValue,
                                 errorMessage: "SaslAuthenticate request received after successful authentication", authBytes: [])
    }
}

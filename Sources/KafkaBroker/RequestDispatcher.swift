import KafkaProtocol
import Logging
import NIOCore

/// Turns one request frame into one response frame (or none).
///
/// Unknown API keys, versions outside what is advertised, and bodies that do not decode get the
/// answer Kafka gives: the connection is closed, with a log line that says why. ApiVersions is the
/// exception: any version gets an answer, in v0 form with UNSUPPORTED_VERSION when needed, so a
/// client can learn what this broker speaks.
public struct RequestDispatcher: Sendable {
    public enum Outcome: Sendable {
        /// The response frame, in pieces (see `ResponsePiece`).
        case respond([ResponsePiece])
        case noResponse
        case close(reason: String)
    }

    private var handlers: [Int16: AnyRequestHandler] = [:]
    private let logger: Logger
    private let listenerName: String

    public init(listenerName: String, logger: Logger) {
        self.listenerName = listenerName
        self.logger = logger
    }

    public mutating func register<H: RequestHandler>(_ handler: H) {
        precondition(SupportedAPIs.versions(for: H.Request.apiKey) != nil, "\(H.Request.apiKey) is not advertised")
        handlers[H.Request.apiKey.rawValue] = AnyRequestHandler(handler)
    }

    mutating func register<H: SplicingRequestHandler>(_ handler: H) {
        precondition(SupportedAPIs.versions(for: H.Request.apiKey) != nil, "\(H.Request.apiKey) is not advertised")
        handlers[H.Request.apiKey.rawValue] = AnyRequestHandler(handler)
    }

    /// What this listener advertises in ApiVersions: exactly the APIs with a registered handler.
    public var advertised: [SupportedAPIs.Entry] {
        SupportedAPIs.all.filter { handlers[$0.apiKey.rawValue] != nil }
    }

    public func dispatch(_ payload: ByteBuffer, connectionID: UInt64, remoteAddress: String) async -> Outcome {
        let frame: RequestFrame
        do {
            frame = try RequestFrame(parsing: payload)
        } catch {
            return .close(reason: "malformed request header: \(error)")
        }
        var requestLogger = logger
        requestLogger[metadataKey: "kafka.api"] = "\(frame.apiKey)"
        requestLogger[metadataKey: "kafka.api_version"] = "\(frame.apiVersion)"
        requestLogger[metadataKey: "kafka.correlation_id"] = "\(frame.header.correlationID)"
        requestLogger[metadataKey: "kafka.client_id"] = "\(frame.header.clientID ?? "-")"
        let context = RequestContext(
            apiVersion: frame.apiVersion, correlationID: frame.header.correlationID, clientID: frame.header.clientID,
            connectionID: connectionID, remoteAddress: remoteAddress, listenerName: listenerName, logger: requestLogger
        )
        guard let handler = handlers[frame.apiKey.rawValue], let advertised = SupportedAPIs.versions(for: frame.apiKey) else {
            return .close(reason: "unsupported API \(frame.apiKey)")
        }
        guard advertised.contains(frame.apiVersion) else {
            if frame.apiKey == .apiVersions {
                return ApiVersionsHandler.unsupportedVersionResponse(apis: self.advertised, correlationID: frame.header.correlationID)
                    .map { .respond([.bytes($0)]) } ?? .close(reason: "could not encode the ApiVersions fallback")
            }
            return .close(reason: "\(frame.apiKey) version \(frame.apiVersion) is not supported (\(advertised.lowerBound)-\(advertised.upperBound))")
        }
        do throws(ServeFailure) {
            guard let response = try await handler.serve(frame, context) else { return .noResponse }
            return .respond(response)
        } catch {
            switch error {
            case let .malformedRequest(e):
                return .close(reason: "malformed \(frame.apiKey) v\(frame.apiVersion) request: \(e)")
            case let .unencodableResponse(e):
                context.logger.error("could not encode the response; this is a bug in Strom", metadata: ["error": "\(e)"])
                return .close(reason: "could not encode the \(frame.apiKey) v\(frame.apiVersion) response")
            case let .unreadableRecords(e):
                context.logger.error("could not read records for the response", metadata: ["error": "\(e)"])
                return .close(reason: "could not read records for the \(frame.apiKey) response: \(e)")
            }
        }
    }
}

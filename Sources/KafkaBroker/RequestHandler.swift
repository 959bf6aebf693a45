import KafkaProtocol
import NIOCore

/// Serves one API. `handle` returns the response body, or nil when the request wants none
/// (Produce with acks=0). Handlers never throw: failures are error codes in the response.
public protocol RequestHandler: Sendable {
    associatedtype Request: KafkaRequestMessage
    func handle(_ request: Request, context: RequestContext) async -> Request.Response?
}

/// Why a request could not be served.
enum ServeFailure: Error {
    /// The client sent a body that does not decode.
    case malformedRequest(ProtocolError)
    /// The response could not be encoded in the request's version: a bug in a handler.
    case unencodableResponse(ProtocolError)
}

/// A handler with its types erased, for the dispatcher's table.
struct AnyRequestHandler: Sendable {
    let serve: @Sendable (RequestFrame, RequestContext) async throws(ServeFailure) -> ByteBuffer?

    init<H: RequestHandler>(_ handler: H) {
        serve = { frame, context throws(ServeFailure) in
            let request: H.Request
            let trailing: Int
            do throws(ProtocolError) {
                (request, trailing) = try frame.decodeBody(as: H.Request.self)
            } catch {
                throw .malformedRequest(error)
            }
            if trailing > 0 {
                context.logger.debug("ignoring bytes after the request body", metadata: [
                    "kafka.api": "\(frame.apiKey)", "kafka.trailing_bytes": "\(trailing)",
                ])
            }
            guard let response = await handler.handle(request, context: context) else { return nil }
            do throws(ProtocolError) {
                return try response.encodeFrame(version: frame.apiVersion, correlationID: frame.header.correlationID)
            } catch {
                throw .unencodableResponse(error)
            }
        }
    }
}

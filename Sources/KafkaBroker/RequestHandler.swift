import KafkaLog
import KafkaProtocol
import NIOCore

/// Serves one API. `handle` returns the response body, or nil when the request wants none
/// (Produce with acks=0). Handlers never throw: failures are error codes in the response.
public protocol RequestHandler: Sendable {
    associatedtype Request: KafkaRequestMessage
    /// The versions of `Request` this handler serves: the only declaration of them. A listener that
    /// registers the handler advertises exactly this range in ApiVersions and refuses the others
    /// (see `RequestDispatcher`). Minimums follow Kafka 4.0 (KIP-896), which dropped the oldest
    /// versions, except where stock clients still need them (said next to the declaration).
    static var versions: ClosedRange<Int16> { get }
    func handle(_ request: Request, context: RequestContext) async -> Request.Response?
}

/// A response whose records stay in log files until the socket write (see `RecordsSplicer`):
/// `skeleton` has a null `records` field where each slice goes and `probe` a one-byte one; `slices`
/// lists the file ranges in encoding order. Every other `records` field must be non-null in both.
struct SplicedResponse<Response: KafkaResponseMessage>: Sendable {
    var skeleton: Response
    var probe: Response
    var slices: [LogFileRange]
    /// The same response with the records read into memory, for when splicing is not possible.
    var materialized: @Sendable () throws(LogError) -> Response
}

/// A handler that can answer with records sent straight from log files (Fetch).
protocol SplicingRequestHandler: RequestHandler {
    func handleSpliced(_ request: Request, context: RequestContext) async -> SplicedResponse<Request.Response>?
}

/// Why a request could not be served.
enum ServeFailure: Error {
    /// The client sent a body that does not decode.
    case malformedRequest(ProtocolError)
    /// The response could not be encoded in the request's version: a bug in a handler.
    case unencodableResponse(ProtocolError)
    /// A log file could not be read for the response.
    case unreadableRecords(LogError)
}

/// A handler with its types erased, for the dispatcher's table.
struct AnyRequestHandler: Sendable {
    let serve: @Sendable (RequestFrame, RequestContext) async throws(ServeFailure) -> [ResponsePiece]?

    init<H: RequestHandler>(_ handler: H) {
        serve = { frame, context throws(ServeFailure) in
            let request = try Self.decode(H.Request.self, frame, context)
            let decidedElsewhere = context.requestTime?.decidedElsewhere == true
            guard let answer = await (decidedElsewhere ? context.parked { await handler.handle(request, context: context) }
                                                       : handler.handle(request, context: context)) else { return nil }
            let response = Self.throttled(answer, context.chargeRequestTime())
            do throws(ProtocolError) {
                return [.bytes(try response.encodeFrame(version: frame.apiVersion, correlationID: frame.header.correlationID))]
            } catch {
                throw .unencodableResponse(error)
            }
        }
    }

    init<H: SplicingRequestHandler>(_ handler: H) {
        serve = { frame, context throws(ServeFailure) in
            let request = try Self.decode(H.Request.self, frame, context)
            guard var spliced = await handler.handleSpliced(request, context: context) else { return nil }
            let throttle = context.chargeRequestTime()
            if throttle > 0 {
                let materialized = spliced.materialized
                spliced.skeleton = Self.throttled(spliced.skeleton, throttle)
                spliced.probe = Self.throttled(spliced.probe, throttle)
                spliced.materialized = { () throws(LogError) in Self.throttled(try materialized(), throttle) }
            }
            let version = frame.apiVersion, correlationID = frame.header.correlationID
            let pieces: [ResponsePiece]?
            do throws(ProtocolError) {
                pieces = try RecordsSplicer.frame(skeleton: spliced.skeleton, probe: spliced.probe, slices: spliced.slices,
                                                  version: version, correlationID: correlationID)
            } catch {
                throw .unencodableResponse(error)
            }
            if let pieces { return pieces }
            context.logger.error("could not splice records into the response; sending them from memory (a bug in Strom)")
            let response: H.Request.Response
            do throws(LogError) { response = try spliced.materialized() } catch { throw .unreadableRecords(error) }
            do throws(ProtocolError) {
                return [.bytes(try response.encodeFrame(version: version, correlationID: correlationID))]
            } catch {
                throw .unencodableResponse(error)
            }
        }
    }

    /// `response` with its `throttle_time_ms` raised to `throttleMs` when it has the field.
    static func throttled<R: KafkaResponseMessage>(_ response: R, _ throttleMs: Int32) -> R {
        guard throttleMs > 0, var r = response as? any ThrottledResponse else { return response }
        r.throttleTimeMs = max(r.throttleTimeMs, throttleMs)
        return r as! R
    }

    private static func decode<R: KafkaRequestMessage>(_ type: R.Type, _ frame: RequestFrame,
                                                       _ context: RequestContext) throws(ServeFailure) -> R {
        do throws(ProtocolError) {
            let (request, trailing) = try frame.decodeBody(as: R.self)
            if trailing > 0 {
                context.logger.debug("ignoring bytes after the request body", metadata: [
                    "kafka.api": "\(frame.apiKey)", "kafka.trailing_bytes": "\(trailing)",
                ])
            }
            return request
        } catch {
            throw .malformedRequest(error)
        }
    }
}

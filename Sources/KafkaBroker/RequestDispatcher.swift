import KafkaController
import KafkaProtocol
import KafkaSecurity
import Logging
import NIOConcurrencyHelpers
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
        /// Send the pieces, then close (a failed SASL authentication, after its delay).
        case respondThenClose([ResponsePiece], reason: String)
    }

    /// A registered handler and the versions it serves.
    private struct Registered: Sendable {
        var handler: AnyRequestHandler
        var versions: ClosedRange<Int16>
    }

    private var handlers: [Int16: Registered] = [:]
    private let logger: Logger
    private let listenerName: String
    private let authorizer: NodeAuthorizer?
    private let quotas: ClientQuotaContext?
    private let metrics: NodeMetrics?

    public init(listenerName: String, logger: Logger, authorizer: NodeAuthorizer? = nil) {
        self.init(listenerName: listenerName, logger: logger, authorizer: authorizer, quotas: nil)
    }

    init(listenerName: String, logger: Logger, authorizer: NodeAuthorizer?, quotas: ClientQuotaContext?, metrics: NodeMetrics? = nil) {
        self.listenerName = listenerName
        self.logger = logger
        self.authorizer = authorizer
        self.quotas = quotas
        self.metrics = metrics
    }

    public mutating func register<H: RequestHandler>(_ handler: H) {
        precondition(handlers[H.Request.apiKey.rawValue] == nil, "two handlers for \(H.Request.apiKey)")
        Self.checkVersions(H.self)
        handlers[H.Request.apiKey.rawValue] = Registered(handler: AnyRequestHandler(handler), versions: H.versions)
    }

    mutating func register<H: SplicingRequestHandler>(_ handler: H) {
        precondition(handlers[H.Request.apiKey.rawValue] == nil, "two handlers for \(H.Request.apiKey)")
        Self.checkVersions(H.self)
        handlers[H.Request.apiKey.rawValue] = Registered(handler: AnyRequestHandler(handler), versions: H.versions)
    }

    /// Requests `request_percentage` does not limit, as Kafka exempts them: the nodes' own (transaction
    /// markers, AddPartitionsToTxn v4+ from partition leaders; followers' fetches, which FetchHandler
    /// exempts once it has read the replica id) and those a client needs to connect at all
    /// (ApiVersions, SASL).
    static func exemptFromRequestQuota(_ frame: RequestFrame) -> Bool {
        switch frame.apiKey {
        case .apiVersions, .saslHandshake, .saslAuthenticate, .writeTxnMarkers: return true
        case .addPartitionsToTxn: return frame.apiVersion >= 4
        default: return false
        }
    }

    /// The APIs whose handling is mostly a wait for another party: the active controller (topic, config,
    /// quota, credential, ACL and reassignment administration, elections), a transaction coordinator's or
    /// a group coordinator's log writes, the blocking deletion of records. For `request_percentage` only
    /// reading and answering them counts (Kafka's handler thread is free while they wait).
    static let decidedElsewhere: Set<APIKey> = [
        .createTopics, .deleteTopics, .createPartitions, .electLeaders, .alterPartitionReassignments, .incrementalAlterConfigs, .alterConfigs,
        .alterClientQuotas, .alterUserScramCredentials, .createAcls, .deleteAcls, .initProducerID, .addPartitionsToTxn,
        .addOffsetsToTxn, .endTxn, .deleteRecords, .deleteGroups, .leaveGroup, .heartbeat, .offsetDelete, .describeQuorum,
        .addRaftVoter, .removeRaftVoter,
    ]

    /// A handler may only declare versions its request type can decode.
    private static func checkVersions<H: RequestHandler>(_: H.Type) {
        precondition(H.Request.validVersions.contains(H.versions.lowerBound) && H.Request.validVersions.contains(H.versions.upperBound),
                     "\(H.self) declares versions \(H.versions) outside \(H.Request.self)'s \(H.Request.validVersions)")
    }

    /// What this listener advertises in ApiVersions: exactly the registered handlers, each with the
    /// versions it declares, by API key.
    public var advertised: [ServedAPI] {
        handlers.map { ServedAPI(apiKey: APIKey(rawValue: $0.key), versions: $0.value.versions) }.sorted { $0.apiKey < $1.apiKey }
    }

    /// Serves one request. `release` is called when the handler no longer needs the connection held,
    /// `admit` when the connection may read its next request, and `turn` waits for the previous request's
    /// release (see `ConnectionRelease`), which `turnIfDecided` tells without waiting (nil while it holds)
    /// and `whenTurn` hands to a callback; the caller releases it anyway once this returns. `closing` is
    /// called when the handler asks for the connection to be closed (before it releases it), so the
    /// requests after it write nothing.
    public func dispatch(_ payload: ByteBuffer, connectionID: UInt64, remoteAddress: String, principal: KafkaPrincipal = .anonymous,
                         release: @escaping @Sendable () -> Void = {},
                         admit: @escaping @Sendable () -> Void = {},
                         turn: @escaping @Sendable () async -> Bool = { true },
                         turnIfDecided: @escaping @Sendable () -> Bool? = { true },
                         whenTurn: @escaping @Sendable (@escaping @Sendable (Bool) -> Void) -> Void = { $0(true) },
                         closing: @escaping @Sendable () -> Void = {},
                         throttle: @escaping @Sendable (Int32) -> Void = { _ in }) async -> Outcome {
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
        var context = RequestContext(
            apiVersion: frame.apiVersion, correlationID: frame.header.correlationID, clientID: frame.header.clientID,
            connectionID: connectionID, remoteAddress: remoteAddress, listenerName: listenerName, logger: requestLogger,
            releaseConnection: release
        )
        context.principal = principal
        context.apiKey = frame.apiKey
        context.metrics = metrics
        let started = ContinuousClock.now
        defer {
            metrics?.requestServed(api: frame.apiKey.name ?? "Unknown\(frame.apiKey.rawValue)", listener: listenerName,
                                   duration: ContinuousClock.now - started)
        }
        context.authorizer = authorizer?.current
        context.requestSize = payload.readableBytes
        context.throttleConnection = throttle
        let closeRequested = NIOLockedValueBox<String?>(nil)
        context.closeConnection = { reason in
            closeRequested.withLockedValue { $0 = $0 ?? reason }
            closing()
        }
        context.admitNextRequest = admit
        context.awaitTurn = turn
        context.turnIfDecided = turnIfDecided
        context.whenTurn = whenTurn
        if let quotas {
            context.quotas = quotas
            // Measured only while some request_percentage quota exists (none: nothing to measure against).
            if !Self.exemptFromRequestQuota(frame),
               quotas.image().clientQuotas.values.contains(where: { $0[ClientQuotaKeys.requestPercentage] != nil }) {
                context.requestTime = RequestTime(decidedElsewhere: Self.decidedElsewhere.contains(frame.apiKey))
            }
        }
        guard let registered = handlers[frame.apiKey.rawValue] else {
            return .close(reason: "unsupported API \(frame.apiKey)")
        }
        let advertised = registered.versions
        guard advertised.contains(frame.apiVersion) else {
            if frame.apiKey == .apiVersions {
                return ApiVersionsHandler.unsupportedVersionResponse(apis: self.advertised, correlationID: frame.header.correlationID)
                    .map { .respond([.bytes($0)]) } ?? .close(reason: "could not encode the ApiVersions fallback")
            }
            return .close(reason: "\(frame.apiKey) version \(frame.apiVersion) is not supported (\(advertised.lowerBound)-\(advertised.upperBound))")
        }
        do throws(ServeFailure) {
            guard let response = try await registered.handler.serve(frame, context) else {
                return closeRequested.withLockedValue { $0 }.map { .close(reason: $0) } ?? .noResponse
            }
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

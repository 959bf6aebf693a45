import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaSecurity
import Logging

/// What a handler knows about the request it serves besides the body.
public struct RequestContext: Sendable {
    public var apiVersion: Int16
    public var correlationID: Int32
    public var clientID: String?
    public var connectionID: UInt64
    public var remoteAddress: String
    /// The listener the request arrived on (`PLAINTEXT`), so replies name endpoints on the same one.
    public var listenerName: String
    public var logger: Logger
    /// Who sent the request: the SASL user on a SASL listener, `User:ANONYMOUS` otherwise.
    public var principal: KafkaPrincipal = .anonymous
    /// The API of the request, for the authorizer's audit lines.
    public var apiKey: APIKey?
    /// The ACLs this request is decided against, read once when it arrived; nil when the node has no
    /// authorizer (every action allowed, as in Kafka without `authorizer.class.name`).
    public var authorizer: StandardAuthorizer?
    /// Lets the connection read its next request before this one is answered (see `ConnectionRelease`);
    /// responses still leave in request order.
    public var releaseConnection: @Sendable () -> Void = {}
    /// Lets the connection read (and start on) its next request before this one released the connection;
    /// a handler that calls it must call `awaitTurn` before it writes anything (see `ConnectionRelease`).
    public var admitNextRequest: @Sendable () -> Void = {}
    /// Waits until the request before this one on the connection released it (its records are in their
    /// logs); false when the connection is closing instead, and this request must write nothing.
    public var awaitTurn: @Sendable () async -> Bool = { true }
    /// What `awaitTurn` would answer now, without waiting: nil while the request before this one still
    /// holds the connection.
    public var turnIfDecided: @Sendable () -> Bool? = { true }
    /// `awaitTurn` for a callback: calls it with the same answer once the turn comes, at once on the
    /// caller's thread when it has come, else on the thread that releases (or stops) the request before
    /// this one. The callback must not block: it hands its work on (`ConnectionRelease.whenOpen`).
    public var whenTurn: @Sendable (@escaping @Sendable (Bool) -> Void) -> Void = { $0(true) }
    /// The request's size in bytes (header and body), what `producer_byte_rate` counts.
    public var requestSize: Int = 0
    /// Asks for the connection to be closed instead of answering (Produce with acks=0 that failed: the
    /// close is the only way Kafka tells such a producer).
    public var closeConnection: @Sendable (String) -> Void = { _ in }
    /// Mutes the connection for a quota's throttle time, in ms (see `ConnectionThrottle`).
    public var throttleConnection: @Sendable (Int32) -> Void = { _ in }
    /// This node's client quotas, on a client listener (nil elsewhere: the nodes' own requests on the
    /// controller listener are not limited).
    var quotas: ClientQuotaContext?
    /// The time this request is worked on, for `request_percentage`.
    var requestTime: RequestTime?
    /// The node's metrics (nil where none are kept, in tests).
    var metrics: NodeMetrics?
}


extension RequestContext {
    /// Who a client quota applies to: the principal's name (`ANONYMOUS` unauthenticated) and the client id.
    public var quotaPrincipal: QuotaPrincipal { QuotaPrincipal(user: principal.name, clientID: clientID) }

    /// Runs `body` as a wait for something else (data, replication, a rebalance, the controller): its
    /// time does not count as the request's work for `request_percentage`.
    func parked<T>(_ body: () async throws -> T) async rethrows -> T {
        guard let requestTime else { return try await body() }
        return try await requestTime.parked(body)
    }

    /// Counts `duration`, a wait measured inside other work (a flush on the thread that appended), as
    /// parked, as ``parked(_:)`` would have.
    func parked(for duration: Duration) {
        requestTime?.park(duration)
    }

    /// Records `value` under the client's quota of `kind`: the throttle time (0 within the quota, or
    /// without one) and the quota that applied. The connection is not muted here: the caller decides.
    func recordQuota(_ kind: ClientQuotaManager.Kind, _ value: Double) -> (throttleMs: Int32, quota: ResolvedQuota?) {
        guard let quotas, let quota = ClientQuotaManager.quota(kind, for: quotaPrincipal, in: quotas.image()) else { return (0, nil) }
        return (quotas.manager.record(kind, value, quota: quota, now: quotas.clock.nowMs()), quota)
    }

    /// Records the time this request was worked on under the client's `request_percentage`, mutes the
    /// connection for the throttle time, and returns it (0 for a request not measured). Charged once:
    /// a later call returns the same throttle (Fetch charges before it decides its answer).
    func chargeRequestTime() -> Int32 {
        guard let requestTime, !requestTime.isExempt else { return 0 }
        if let charged = requestTime.charged.withLockedValue({ $0 }) { return charged }
        // Kafka's unit: the thread time as a percentage of one second (100 = a whole second).
        let (throttle, _) = recordQuota(.request, Double(requestTime.workedNanos) * 100 / 1_000_000_000)
        requestTime.charged.withLockedValue { $0 = throttle }
        throttleConnection(throttle)
        return throttle
    }
}

/// What a request needs to apply client quotas: the node's quota manager, the metadata image the
/// quotas are read from, and the clock.
struct ClientQuotaContext: Sendable {
    let manager: ClientQuotaManager
    let image: @Sendable () -> MetadataImage
    let clock: NodeClock
}

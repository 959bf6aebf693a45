import KafkaController
import KafkaMetadata
import KafkaProtocol
import NIOConcurrencyHelpers
import StromConfig

/// This node's KIP-599 buckets: the `MutationBuckets` value behind a lock, charged where a topic
/// mutation arrives from a client.
///
/// Each node keeps its own buckets and charges the requests that arrive at it, before forwarding
/// them to the active controller. Kafka charges at the controller instead, so there one client's
/// rate holds across the whole cluster; in Strom a client spreading its requests over N nodes gets up
/// to N times its rate. Requests on the controller listener are not charged: the
/// forwarded ones were charged where they arrived, and admin clients using `--bootstrap-controller`
/// are not limited.
public final class ControllerMutationQuotas: Sendable {
    private let buckets: NIOLockedValueBox<MutationBuckets>

    public init(config: ServerConfig) {
        buckets = NIOLockedValueBox(MutationBuckets(windowNum: config.controllerQuotaWindowNum,
                                                    windowSizeSeconds: config.controllerQuotaWindowSizeSeconds))
    }

    /// One request's dealings with its bucket: the quota that applied and what was admitted.
    struct Ticket: Sendable {
        var quota: ResolvedQuota
        var admission: MutationBuckets.Admission
    }

    /// Admits a request's costs (one per topic, see `MutationBuckets`) under `quota`.
    func admit(_ costs: [Double?], quota: ResolvedQuota, strict: Bool, charge: Bool, now: Int64) -> Ticket {
        let admission = buckets.withLockedValue {
            $0.admit(costs, key: quota.bucket, rate: quota.value, strict: strict, charge: charge, now: now)
        }
        return Ticket(quota: quota, admission: admission)
    }

    /// Takes the difference between what the topics really cost (`actual`, per topic) and what was
    /// charged; returns the bucket's throttle time afterwards.
    func settle(_ ticket: Ticket, actual: [Double], now: Int64) -> Int32 {
        let charged = ticket.admission.charged.reduce(0, +)
        return buckets.withLockedValue {
            $0.settle(charged: charged, actual: actual.reduce(0, +), key: ticket.quota.bucket, rate: ticket.quota.value, now: now)
        }
    }

    /// The `controller_mutation_rate` that applies to `principal` in `image`; nil when none does (the
    /// rate is unlimited and requests are not even costed).
    static func quota(for principal: QuotaPrincipal, in image: MetadataImage) -> ResolvedQuota? {
        ClientQuotaResolution.resolve(ClientQuotaKeys.controllerMutationRate, for: principal, in: image.clientQuotas)
    }

    /// The message of a throttled topic.
    static func throttledMessage(_ ticket: Ticket) -> String {
        "The throttling quota has been exceeded: \(ClientQuotaKeys.controllerMutationRate) \(ticket.quota.value)/s of "
            + "\(ticket.quota.entity); retry in \(ticket.admission.throttleTimeMs) ms"
    }
}

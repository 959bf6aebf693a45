import KafkaController
import KafkaMetadata
import NIOConcurrencyHelpers
import StromConfig

/// This node's client quotas, as Kafka's `ClientQuotaManager` (produce and fetch bytes) and
/// `ClientRequestQuotaManager` (request time) enforce them: `producer_byte_rate` on the bytes of
/// Produce requests, `consumer_byte_rate` on the bytes consumers fetch, `request_percentage` on the
/// time requests take to handle (100 is one thread's whole time). Which quota applies to a client is
/// Kafka's precedence over user and client-id entities (`ClientQuotaResolution`); rates are measured
/// over `quota.window.num` windows of `quota.window.size.seconds` (`ClientQuotaSensors`).
///
/// Each node measures what reaches it, as each Kafka broker does: a quota is per broker.
public final class ClientQuotaManager: Sendable {
    public enum Kind: Sendable, CaseIterable {
        case produce, fetch, request

        /// The client quota key (ClientQuotaRecord) of this kind.
        public var key: String {
            switch self {
            case .produce: ClientQuotaKeys.producerByteRate
            case .fetch: ClientQuotaKeys.consumerByteRate
            case .request: ClientQuotaKeys.requestPercentage
            }
        }
    }

    private let produce: NIOLockedValueBox<ClientQuotaSensors>
    private let fetch: NIOLockedValueBox<ClientQuotaSensors>
    private let request: NIOLockedValueBox<ClientQuotaSensors>

    public init(config: ServerConfig) {
        let make = { (max: Int64?) in
            NIOLockedValueBox(ClientQuotaSensors(windowSizeSeconds: config.quotaWindowSizeSeconds, sampleCount: config.quotaWindowNum,
                                                 maxThrottleMs: max))
        }
        produce = make(nil)
        fetch = make(nil)
        // Kafka bounds a request-time throttle by one quota window.
        request = make(Int64(config.quotaWindowSizeSeconds) * 1000)
    }

    private func sensors(_ kind: Kind) -> NIOLockedValueBox<ClientQuotaSensors> {
        switch kind {
        case .produce: produce
        case .fetch: fetch
        case .request: request
        }
    }

    /// The quota of `kind` that applies to `principal` in `image`, nil when none does (unlimited).
    public static func quota(_ kind: Kind, for principal: QuotaPrincipal, in image: MetadataImage) -> ResolvedQuota? {
        ClientQuotaResolution.resolve(kind.key, for: principal, in: image.clientQuotas)
    }

    /// Records `value` against `quota`; the throttle time in ms (0 within it).
    public func record(_ kind: Kind, _ value: Double, quota: ResolvedQuota, now: Int64) -> Int32 {
        sensors(kind).withLockedValue { $0.record(value, quota: quota, now: now) }
    }

    /// Takes back a recorded value (a throttled fetch is answered without its records).
    public func unrecord(_ kind: Kind, _ value: Double, quota: ResolvedQuota, now: Int64) {
        sensors(kind).withLockedValue { $0.unrecord(value, quota: quota, now: now) }
    }

    /// The most a fetch may return at once under `quota` (Kafka caps a consumer's fetch size with it).
    public func maxValueInQuotaWindow(_ kind: Kind, quota: ResolvedQuota) -> Double {
        sensors(kind).withLockedValue { $0.maxValueInQuotaWindow(quota) }
    }
}

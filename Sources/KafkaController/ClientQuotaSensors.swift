/// One kind of client quota on one node (`producer_byte_rate`, `consumer_byte_rate` or
/// `request_percentage`), as Kafka's `ClientQuotaManager` keeps it: a `SampledRate` per bucket (the
/// user and client-id the quota that applied names; see `ClientQuotaResolution`). Pure: the caller
/// resolves the quota, passes `now` and keeps the value.
///
/// Recording returns the throttle time Kafka computes when the rate, with the value recorded, is
/// above the quota: the delay that brings the rate back to the quota if nothing else is recorded,
/// `(rate - quota) / quota * window`, rounded, at most `maxThrottleMs` when one is set (Kafka bounds
/// request-time throttles by one quota window). Within the quota it returns 0.
///
/// Invariant: memory is bounded by the clients active in the last `sampleCount` windows: rates idle
/// that long are dropped (they measure 0) once more than `pruneAbove` are kept.
public struct ClientQuotaSensors: Sendable {
    public let windowMs: Int64
    public let sampleCount: Int
    public var maxThrottleMs: Int64?
    public private(set) var rates: [QuotaBucketKey: SampledRate] = [:]
    /// Idle rates are dropped when more than this many are kept (then doubled while they are busy).
    private var pruneAbove = 1024

    public init(windowSizeSeconds: Int, sampleCount: Int, maxThrottleMs: Int64? = nil) {
        windowMs = Int64(windowSizeSeconds) * 1000
        self.sampleCount = sampleCount
        self.maxThrottleMs = maxThrottleMs
    }

    /// Records `value` in the bucket of `quota` at `now`; the throttle time in ms (0 within the quota).
    public mutating func record(_ value: Double, quota: ResolvedQuota, now: Int64) -> Int32 {
        if rates.count > pruneAbove {
            rates = rates.filter { !$0.value.isIdle(now: now) }
            pruneAbove = max(1024, rates.count * 2)
        }
        // Mutated in place: a copy out of the dictionary would copy the samples on every record.
        let fresh = SampledRate(windowMs: windowMs, sampleCount: sampleCount)
        rates[quota.bucket, default: fresh].record(value, now: now)
        let measured = rates[quota.bucket, default: fresh].measure(now: now)
        guard measured > quota.value else { return 0 }
        let window = Double(rates[quota.bucket, default: fresh].windowSize(now: now))
        var throttle = Int64(((measured - quota.value) / quota.value * window).rounded())
        if let maxThrottleMs { throttle = min(throttle, maxThrottleMs) }
        return Int32(clamping: throttle)
    }

    /// Takes back a value recorded at `now` (a throttled fetch answers without its records).
    public mutating func unrecord(_ value: Double, quota: ResolvedQuota, now: Int64) {
        rates[quota.bucket]?.record(-value, now: now)
    }

    /// The most that may be recorded at once without being throttled for sure, Kafka's
    /// `getMaxValueInQuotaWindow`: the quota over `sampleCount - 1` windows (what caps a fetch's size).
    public func maxValueInQuotaWindow(_ quota: ResolvedQuota) -> Double {
        quota.value * Double(sampleCount - 1) * Double(windowMs) / 1000
    }
}

/// One node's controller-mutation buckets (KIP-599), one per `QuotaBucketKey`, and the admission of
/// a request's mutations against them. Pure: the caller passes `now` and keeps the value.
///
/// A request is a list of costs in request order, one per topic: the partitions it would create or
/// delete, or nil for a topic refused anyway (not charged, never throttled). Strict (CreateTopics
/// v6+, CreatePartitions v3+, DeleteTopics v5+, auto-creation): topic by topic, a topic is throttled
/// when the bucket is already below zero, else charged, which may take the bucket below zero.
/// Permissive (older versions): every topic goes ahead and is charged. `settle` corrects the charge
/// once the outcome is known (a topic the controller refused gets its tokens back).
///
/// Invariant: a bucket absent from `buckets` is full; full buckets may be dropped at any time.
public struct MutationBuckets: Sendable {
    public var windowNum: Int
    public var windowSizeSeconds: Int
    public private(set) var buckets: [QuotaBucketKey: (bucket: MutationTokenBucket, quota: MutationQuota)] = [:]
    /// Above this many buckets, full ones are dropped (a full bucket is the same as none).
    public var pruneAbove = 1024

    public init(windowNum: Int, windowSizeSeconds: Int) {
        self.windowNum = windowNum
        self.windowSizeSeconds = windowSizeSeconds
    }

    /// What became of each topic of a request.
    public struct Admission: Hashable, Sendable {
        /// Per topic: throttled (THROTTLING_QUOTA_EXCEEDED, not sent on).
        public var throttled: [Bool]
        /// Per topic: the permits taken.
        public var charged: [Double]
        /// The response's throttle_time_ms: strict, how long until the bucket is back at zero when a
        /// topic was throttled (else 0); permissive, the same after the charges.
        public var throttleTimeMs: Int32
    }

    public func quota(rate: Double) -> MutationQuota {
        MutationQuota(rate: rate, windowNum: windowNum, windowSizeSeconds: windowSizeSeconds)
    }

    /// Admits a request's `costs` under `rate` in bucket `key`. `charge` false (validate_only) decides
    /// the same but takes nothing.
    public mutating func admit(_ costs: [Double?], key: QuotaBucketKey, rate: Double, strict: Bool, charge: Bool,
                               now: Int64) -> Admission {
        let quota = quota(rate: rate)
        var bucket = buckets[key]?.bucket ?? MutationTokenBucket(full: quota, now: now)
        var admission = Admission(throttled: Array(repeating: false, count: costs.count),
                                  charged: Array(repeating: 0, count: costs.count), throttleTimeMs: 0)
        for (i, cost) in costs.enumerated() {
            guard let cost else { continue }
            if strict && bucket.isExhausted(quota, now: now) {
                admission.throttled[i] = true
                admission.throttleTimeMs = max(admission.throttleTimeMs, bucket.throttleTimeMs(quota))
            } else if charge {
                bucket.charge(cost, quota, now: now)
                admission.charged[i] = cost
            }
        }
        if !strict { admission.throttleTimeMs = bucket.throttleTimeMs(quota) }
        store(bucket, quota, key: key, now: now)
        return admission
    }

    /// Corrects a charge once the outcome is known: takes `actual - charged` more (gives back when
    /// negative). Returns the bucket's throttle time afterwards.
    @discardableResult
    public mutating func settle(charged: Double, actual: Double, key: QuotaBucketKey, rate: Double, now: Int64) -> Int32 {
        let quota = quota(rate: rate)
        var bucket = buckets[key]?.bucket ?? MutationTokenBucket(full: quota, now: now)
        if actual != charged { bucket.charge(actual - charged, quota, now: now) }
        store(bucket, quota, key: key, now: now)
        return bucket.throttleTimeMs(quota)
    }

    private mutating func store(_ bucket: MutationTokenBucket, _ quota: MutationQuota, key: QuotaBucketKey, now: Int64) {
        buckets[key] = (bucket, quota)
        if buckets.count > pruneAbove {
            buckets = buckets.filter { !$0.value.bucket.isFull($0.value.quota, now: now) }
        }
    }
}

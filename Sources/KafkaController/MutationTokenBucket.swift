/// KIP-599's token bucket for controller mutations (partitions created or deleted): `tokens` grow at
/// `rate` per second up to `burst` and each mutation takes one; the bucket may go below zero, and a
/// strict request is refused only while it is below zero. `throttleTimeMs` is how long until it is
/// back at zero.
///
/// Invariants: `tokens <= burst` after every refill or charge; time never runs backwards for the
/// bucket (an earlier `now` refills nothing). A new bucket is full, as Kafka's is on first use.
public struct MutationTokenBucket: Hashable, Sendable {
    public private(set) var tokens: Double
    public private(set) var lastUpdateMs: Int64

    public init(full quota: MutationQuota, now: Int64) {
        tokens = quota.burst
        lastUpdateMs = now
    }

    /// Adds what `rate` earned since the last update, capped at `burst`.
    public mutating func refill(_ quota: MutationQuota, now: Int64) {
        let elapsedMs = max(0, now - lastUpdateMs)
        tokens = min(quota.burst, tokens + quota.rate * Double(elapsedMs) / 1000)
        lastUpdateMs = max(lastUpdateMs, now)
    }

    /// Takes `permits` (a negative amount gives back), after refilling; may leave the bucket below zero.
    public mutating func charge(_ permits: Double, _ quota: MutationQuota, now: Int64) {
        refill(quota, now: now)
        tokens = min(quota.burst, tokens - permits)
    }

    /// Whether a strict request is refused now: the bucket is below zero.
    public mutating func isExhausted(_ quota: MutationQuota, now: Int64) -> Bool {
        refill(quota, now: now)
        return tokens < 0
    }

    /// Milliseconds until the bucket is back at zero (0 when it is not below zero), rounded up.
    public func throttleTimeMs(_ quota: MutationQuota) -> Int32 {
        guard tokens < 0 else { return 0 }
        let ms = (-tokens / quota.rate * 1000).rounded(.up)
        return ms < Double(Int32.max) ? Int32(ms) : Int32.max
    }

    /// Whether the bucket would be full at `now` (then it is no different from a new one).
    public func isFull(_ quota: MutationQuota, now: Int64) -> Bool {
        var copy = self
        copy.refill(quota, now: now)
        return copy.tokens >= quota.burst
    }
}

/// A `controller_mutation_rate` with the node's window: `burst = rate × window.num × window.size.seconds`
/// (`controller.quota.window.num`, `controller.quota.window.size.seconds`).
///
/// Invariant: `rate` is finite and above zero (AlterClientQuotas refuses anything else).
public struct MutationQuota: Hashable, Sendable {
    public var rate: Double
    public var windowNum: Int
    public var windowSizeSeconds: Int

    public init(rate: Double, windowNum: Int, windowSizeSeconds: Int) {
        self.rate = rate
        self.windowNum = windowNum
        self.windowSizeSeconds = windowSizeSeconds
    }

    public var burst: Double { rate * Double(windowNum) * Double(windowSizeSeconds) }
}

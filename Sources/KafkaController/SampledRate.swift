/// Kafka's `Rate` over a `SampledTotal` (`org.apache.kafka.common.metrics.stats`), as its client quotas
/// measure bytes and request time: the values recorded in the last `sampleCount` windows of
/// `windowMs`, divided by the time they cover, per second. Pure: the caller passes `now`.
///
/// - A sample covers the window that starts at its first record; a record at least `windowMs` after it
///   starts the next sample, reusing the oldest slot once there are `sampleCount`.
/// - A sample that started `sampleCount * windowMs` or more before `now` is obsolete: it is reset
///   (empty, starting at `now`) before every measurement.
/// - The time a rate covers is from the oldest sample's start to `now`, counted as at least
///   `sampleCount - 1` whole windows (so a first burst is not measured over a few milliseconds) and at
///   least 1 ms.
public struct SampledRate: Sendable, Hashable {
    struct Sample: Sendable, Hashable {
        var startMs: Int64
        var total: Double = 0
    }

    public let windowMs: Int64
    public let sampleCount: Int
    private(set) var samples: [Sample] = []
    private var current = 0

    public init(windowMs: Int64, sampleCount: Int) {
        precondition(windowMs > 0 && sampleCount > 0)
        self.windowMs = windowMs
        self.sampleCount = sampleCount
    }

    /// Adds `value` (negative to take back an earlier record) at `now`.
    public mutating func record(_ value: Double, now: Int64) {
        if samples.isEmpty { samples.append(Sample(startMs: now)) }
        if now - samples[current].startMs >= windowMs {
            current = (current + 1) % sampleCount
            if current >= samples.count { samples.append(Sample(startMs: now)) } else { samples[current] = Sample(startMs: now) }
        }
        samples[current].total += value
    }

    /// The rate per second at `now`.
    public mutating func measure(now: Int64) -> Double {
        purgeObsolete(now: now)
        let total = samples.reduce(0) { $0 + $1.total }
        return total / (Double(windowSize(now: now)) / 1000)
    }

    /// The milliseconds the rate at `now` is measured over.
    public mutating func windowSize(now: Int64) -> Int64 {
        purgeObsolete(now: now)
        if samples.isEmpty { samples.append(Sample(startMs: now)) }
        var elapsed = now - samples.map(\.startMs).min()!
        let fullWindows = elapsed / windowMs
        let minimum = Int64(sampleCount - 1)
        if fullWindows < minimum { elapsed += (minimum - fullWindows) * windowMs }
        return max(elapsed, 1)
    }

    /// Whether every sample is obsolete or empty at `now` (the rate is then 0 and the value may be dropped).
    public func isIdle(now: Int64) -> Bool {
        samples.allSatisfy { now - $0.startMs >= windowMs * Int64(sampleCount) || $0.total == 0 }
    }

    private mutating func purgeObsolete(now: Int64) {
        let expireAge = windowMs * Int64(sampleCount)
        for i in samples.indices where now - samples[i].startMs >= expireAge {
            samples[i] = Sample(startMs: now)
        }
    }
}

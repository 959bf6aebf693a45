/// Kafka's `Rate` over a `SampledTotal` (`org.apache.kafka.common.metrics.stats`, 3.9), as its client
/// quotas measure bytes and request time: the values recorded in the last `sampleCount` windows of
/// `windowMs`, divided by the time they cover, per second. Pure: the caller passes `now`.
///
/// - A sample covers the window that starts at its first record; a record at least `windowMs` after it
///   starts the next sample. There are `sampleCount + 1` slots (Kafka's "overlapping sample"), reused
///   oldest first.
/// - A sample whose last record is `sampleCount * windowMs` or more before `now` is obsolete: it is
///   reset (empty, starting at `now`) before every measurement. A sample that started before the
///   monitored window but had records within it is kept.
/// - The time a rate covers is from the oldest sample's start to `now`, counted as at least
///   `sampleCount - 1` whole windows (so a first burst is not measured over a few milliseconds) and at
///   least 1 ms.
public struct SampledRate: Sendable, Hashable {
    struct Sample: Sendable, Hashable {
        var startMs: Int64
        var lastEventMs: Int64
        var total: Double = 0

        init(now: Int64) {
            startMs = now
            lastEventMs = now
        }
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

    private var expireAge: Int64 { windowMs * Int64(sampleCount) }

    /// Adds `value` (negative to take back an earlier record) at `now`.
    public mutating func record(_ value: Double, now: Int64) {
        if samples.isEmpty { samples.append(Sample(now: now)) }
        if now - samples[current].startMs >= windowMs {
            current = (current + 1) % (sampleCount + 1)
            if current >= samples.count { samples.append(Sample(now: now)) } else { samples[current] = Sample(now: now) }
        }
        samples[current].total += value
        samples[current].lastEventMs = now
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
        if samples.isEmpty { samples.append(Sample(now: now)) }
        var elapsed = now - samples.map(\.startMs).min()!
        let fullWindows = elapsed / windowMs
        let minimum = Int64(sampleCount - 1)
        if fullWindows < minimum { elapsed += (minimum - fullWindows) * windowMs }
        return max(elapsed, 1)
    }

    /// Whether every sample is obsolete or empty at `now` (the rate is then 0 and the value may be dropped).
    public func isIdle(now: Int64) -> Bool {
        samples.allSatisfy { now - $0.lastEventMs >= expireAge || $0.total == 0 }
    }

    private mutating func purgeObsolete(now: Int64) {
        for i in samples.indices where now - samples[i].lastEventMs >= expireAge {
            samples[i] = Sample(now: now)
        }
    }
}

import KafkaRaft

/// Kafka's Raft commit latency (`kafka.server:type=raft-metrics`, `commit-latency-avg` and
/// `commit-latency-max`, `KafkaRaftMetrics`), measured at the quorum leader: for each batch it appends,
/// the milliseconds from the append to the high watermark passing the batch's last offset, divided by
/// the batch's record count, one sample per batch, as `KafkaRaftClient.appendBatch` records it (so a
/// 10-record batch committed in 4 ms is a sample of 0.4).
///
/// Pure: the shell passes the times it read. Invariant: a batch is sampled at most once, and only if it
/// committed in the leadership it was appended in (`leadershipEnded` drops the others, as Kafka's append
/// purgatory fails them).
struct CommitLatency: Sendable {
    struct Pending: Hashable, Sendable {
        var lastOffset: Int64
        var records: Int
        var appendedAt: Int64
    }

    /// Batches appended and not yet committed, in offset order.
    private(set) var pending: [Pending] = []
    /// The samples of the last 30 to 60 seconds.
    private(set) var window = SampledWindow()

    /// The leader appended a batch of `records` ending at `last`, at time `now`.
    mutating func appended(last: OffsetAndEpoch, records: Int, at now: Int64) {
        guard records > 0 else { return }
        pending.append(Pending(lastOffset: last.offset, records: records, appendedAt: now))
    }

    /// The high watermark reached `highWatermark` at time `now`: every batch below it committed.
    mutating func committed(highWatermark: Int64, at now: Int64) {
        var done = 0
        for batch in pending {
            guard batch.lastOffset < highWatermark else { break }
            let elapsed = Double(max(0, now - batch.appendedAt))
            // Kafka records the sample at the append's time.
            window.record(elapsed / Double(batch.records), at: batch.appendedAt)
            done += 1
        }
        pending.removeFirst(done)
    }

    /// This node stopped leading: its uncommitted batches may be truncated, and are not sampled.
    mutating func leadershipEnded() {
        pending.removeAll()
    }

    /// Average and maximum milliseconds per record over the window at `now`; nil without samples.
    func measure(now: Int64) -> (avg: Double, max: Double)? {
        window.measure(now: now)
    }
}

/// Kafka's `SampledStat` under its default `MetricConfig`: two samples of 30 s each. A value goes into
/// the current sample until that sample is 30 s old, then into the next one, which starts afresh (the
/// older of the two is reused); a measurement combines the samples younger than 60 s, so it covers the
/// last 30 to 60 seconds. `Avg` is their total over their count, `Max` their largest value; Kafka
/// answers NaN without values, here nil.
struct SampledWindow: Hashable, Sendable {
    static let sampleCount = 2
    static let windowMs: Int64 = 30_000

    struct Sample: Hashable, Sendable {
        var start: Int64
        var count = 0
        var total = 0.0
        var max = -Double.infinity
    }

    private(set) var samples: [Sample] = []
    private var current = 0

    mutating func record(_ value: Double, at now: Int64) {
        if samples.isEmpty {
            samples.append(Sample(start: now))
            current = 0
        } else if now - samples[current].start >= Self.windowMs {
            current = (current + 1) % Self.sampleCount
            if current == samples.count { samples.append(Sample(start: now)) } else { samples[current] = Sample(start: now) }
        }
        samples[current].count += 1
        samples[current].total += value
        samples[current].max = Swift.max(samples[current].max, value)
    }

    func measure(now: Int64) -> (avg: Double, max: Double)? {
        let live = samples.filter { now - $0.start < Int64(Self.sampleCount) * Self.windowMs }
        let count = live.reduce(0) { $0 + $1.count }
        guard count > 0 else { return nil }
        return (live.reduce(0) { $0 + $1.total } / Double(count), live.map(\.max).max()!)
    }
}

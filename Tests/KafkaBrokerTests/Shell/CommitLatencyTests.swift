@testable import KafkaBroker
import KafkaRaft
import Testing

/// Kafka's raft-metrics commit latency, as the quorum driver keeps it: milliseconds per record from a
/// leader's append to the high watermark passing it, averaged and maximised over Kafka's sampled window.
@Suite struct CommitLatencyTests {
    @Test func eachBatchIsOneSampleOfItsLatencyPerRecord() throws {
        var latency = CommitLatency()
        latency.appended(last: OffsetAndEpoch(offset: 10, epoch: 2), records: 1, at: 1_000)
        latency.appended(last: OffsetAndEpoch(offset: 14, epoch: 2), records: 4, at: 1_002)
        #expect(latency.measure(now: 1_003) == nil, "nothing committed yet")

        // The high watermark passes the first batch only (offset 14 is not below 14).
        latency.committed(highWatermark: 14, at: 1_005)
        var m = try #require(latency.measure(now: 1_005))
        #expect(m.avg == 5 && m.max == 5)
        #expect(latency.pending.map(\.lastOffset) == [14])

        // 8 ms for a batch of 4 is 2 ms per record, as Kafka's KafkaRaftClient.appendBatch records it.
        latency.committed(highWatermark: 20, at: 1_010)
        m = try #require(latency.measure(now: 1_010))
        #expect(m.avg == 3.5 && m.max == 5)
        #expect(latency.pending.isEmpty)

        // A batch is sampled once: the high watermark moving on adds nothing.
        latency.committed(highWatermark: 25, at: 1_020)
        m = try #require(latency.measure(now: 1_020))
        #expect(m.avg == 3.5)
    }

    @Test func batchesOfAnEndedLeadershipAreNotSampled() {
        var latency = CommitLatency()
        latency.appended(last: OffsetAndEpoch(offset: 3, epoch: 1), records: 2, at: 0)
        latency.leadershipEnded()
        latency.committed(highWatermark: 10, at: 50)
        #expect(latency.measure(now: 50) == nil)
        #expect(latency.pending.isEmpty)
    }

    /// Kafka's SampledStat with two samples of 30 s: a value goes into the current sample until it is
    /// 30 s old; a measurement covers samples younger than 60 s; the older sample is reused.
    @Test func theWindowCoversTheLastThirtyToSixtySeconds() throws {
        var window = SampledWindow()
        window.record(10, at: 0)
        window.record(4, at: 29_999)
        #expect(window.samples.count == 1)
        window.record(2, at: 30_000)
        #expect(window.samples.count == 2)
        var m = try #require(window.measure(now: 30_000))
        #expect(m.avg == 16.0 / 3 && m.max == 10)

        // The first sample (started at 0) ages out at 60 s; the second (at 30 s) stays until 90 s.
        m = try #require(window.measure(now: 60_000))
        #expect(m.avg == 2 && m.max == 2)
        #expect(window.measure(now: 90_000) == nil)

        // The next value after 30 s reuses the oldest sample, starting it afresh.
        window.record(7, at: 61_000)
        #expect(window.samples.count == 2)
        #expect(window.samples.map(\.start).sorted() == [30_000, 61_000])
        m = try #require(window.measure(now: 61_000))
        #expect(m.avg == 4.5 && m.max == 7)
    }
}

@testable import KafkaController
import KafkaMetadata
import Testing

/// Kafka's quota arithmetic, checked by hand: a `SampledRate` over 11 windows of 1 s (Kafka's
/// defaults) and the throttle time `(rate - quota) / quota * window` of `ClientQuotaSensors`.
@Suite struct ClientQuotaSensorsTests {
    static func quota(_ value: Double, user: String = "alice") -> ResolvedQuota {
        ResolvedQuota(value: value, entity: ClientQuotaEntity([.init(type: ClientQuotaEntity.user, name: user)])!,
                      bucket: QuotaBucketKey(user: user, clientID: nil))
    }

    @Test func aFirstBurstIsMeasuredOverAllButOneWindow() {
        var rate = SampledRate(windowMs: 1_000, sampleCount: 11)
        rate.record(500, now: 0)
        // Elapsed 0 ms, counted as 10 whole windows: 500 B over 10 s.
        #expect(rate.windowSize(now: 0) == 10_000)
        #expect(rate.measure(now: 0) == 50)
        // 2.5 s later: still 10 windows (2 full ones elapsed, 8 added).
        #expect(rate.windowSize(now: 2_500) == 10_500)
    }

    @Test func samplesRollAndExpire() {
        var rate = SampledRate(windowMs: 1_000, sampleCount: 3)
        rate.record(100, now: 0)
        rate.record(100, now: 1_000)   // a second sample
        rate.record(100, now: 2_000)   // a third
        #expect(rate.measure(now: 2_000) == 300.0 / 2.0)
        rate.record(100, now: 3_000)   // reuses the first slot
        #expect(rate.measure(now: 3_000) == 300.0 / 2.0)
        // 3 windows after the last sample started, all are obsolete.
        #expect(!rate.isIdle(now: 5_999))
        #expect(rate.isIdle(now: 6_000))
        #expect(rate.measure(now: 6_000) == 0)
    }

    @Test func throttleTimeBringsTheRateBackToTheQuota() {
        var sensors = ClientQuotaSensors(windowSizeSeconds: 1, sampleCount: 11)
        let q = Self.quota(100)
        #expect(sensors.record(500, quota: q, now: 0) == 0)       // 50 B/s
        #expect(sensors.record(500, quota: q, now: 0) == 0)       // 100 B/s: at the quota is within it
        // 1,200 B over 10 s = 120 B/s: (120 - 100) / 100 * 10,000 ms.
        #expect(sensors.record(200, quota: q, now: 0) == 2_000)
        // Taken back, the rate is 100 again and the next small record is within the quota... not quite: 101.
        sensors.unrecord(200, quota: q, now: 0)
        #expect(sensors.record(10, quota: q, now: 0) == 100)
        // Another bucket is measured on its own.
        #expect(sensors.record(900, quota: Self.quota(100, user: "bob"), now: 0) == 0)
    }

    @Test func requestThrottlesAreBoundedByOneWindow() {
        var sensors = ClientQuotaSensors(windowSizeSeconds: 1, sampleCount: 11, maxThrottleMs: 1_000)
        #expect(sensors.record(1_000_000, quota: Self.quota(1), now: 0) == 1_000)
        var unbounded = ClientQuotaSensors(windowSizeSeconds: 1, sampleCount: 11)
        #expect(unbounded.record(1_000_000, quota: Self.quota(1), now: 0) == Int32(clamping: Int64((100_000.0 - 1) / 1 * 10_000)))
    }

    @Test func aFetchMayTakeTheQuotaOverAllButOneWindow() {
        let sensors = ClientQuotaSensors(windowSizeSeconds: 2, sampleCount: 11)
        #expect(sensors.maxValueInQuotaWindow(Self.quota(1_000)) == 1_000 * 10 * 2)
    }

    /// Client ids are the client's to choose: rates idle for all their windows are dropped, so memory
    /// follows the clients active lately, not every id ever seen.
    @Test func idleBucketsAreDropped() {
        var sensors = ClientQuotaSensors(windowSizeSeconds: 1, sampleCount: 2)
        // All busy: kept (the threshold doubles to 2,050 when 1,025 are found busy).
        for i in 0..<1_500 { _ = sensors.record(1, quota: Self.quota(1_000, user: "u\(i)"), now: 0) }
        #expect(sensors.rates.count == 1_500)
        // 10 s later those are idle: the 2,051st bucket drops them.
        for i in 0..<600 { _ = sensors.record(1, quota: Self.quota(1_000, user: "late\(i)"), now: 10_000) }
        #expect(sensors.rates.count == 600)
        #expect(sensors.rates.keys.allSatisfy { $0.user?.hasPrefix("late") == true })
    }
}

import KafkaController
import Testing

/// Admission of a request's per-topic costs, strict and permissive, on a manual clock.
@Suite struct MutationBucketsTests {
    let alice = QuotaBucketKey(user: "ANONYMOUS", clientID: "alice")
    let bob = QuotaBucketKey(user: "ANONYMOUS", clientID: "bob")

    /// Rate 10/s, one window of 1 s: a burst of 10.
    private func buckets() -> MutationBuckets { MutationBuckets(windowNum: 1, windowSizeSeconds: 1) }

    @Test func strictThrottlesEachTopicOnceTheBucketIsBelowZero() {
        var b = buckets()
        let a = b.admit([5, 6, 3, 1], key: alice, rate: 10, strict: true, charge: true, now: 0)
        // 10 → 5 → -1: the second topic goes ahead (the bucket was not below zero), the rest wait.
        #expect(a.throttled == [false, false, true, true])
        #expect(a.charged == [5, 6, 0, 0])
        #expect(a.throttleTimeMs == 100)
        #expect(b.buckets[alice]?.bucket.tokens == -1)
    }

    @Test func strictWithNothingThrottledHasNoThrottleTime() {
        var b = buckets()
        let a = b.admit([4, 6], key: alice, rate: 10, strict: true, charge: true, now: 0)
        #expect(a.throttled == [false, false])
        #expect(a.throttleTimeMs == 0)
        // Now at zero, not below: one more topic still goes ahead.
        #expect(b.admit([30], key: alice, rate: 10, strict: true, charge: true, now: 0).throttled == [false])
        let after = b.admit([1], key: alice, rate: 10, strict: true, charge: true, now: 1_000)
        #expect(after.throttled == [true])
        #expect(after.throttleTimeMs == 2_000)
        #expect(b.admit([1], key: alice, rate: 10, strict: true, charge: true, now: 3_000).throttled == [false])
    }

    @Test func permissiveDoesEverythingAndReportsTheThrottleTime() {
        var b = buckets()
        let a = b.admit([5, 6, 3], key: alice, rate: 10, strict: false, charge: true, now: 0)
        #expect(a.throttled == [false, false, false])
        #expect(a.charged == [5, 6, 3])
        #expect(a.throttleTimeMs == 400)
        #expect(b.buckets[alice]?.bucket.tokens == -4)
    }

    @Test func refusedTopicsAreNeitherChargedNorThrottled() {
        var b = buckets()
        _ = b.admit([20], key: alice, rate: 10, strict: true, charge: true, now: 0)
        let a = b.admit([nil, 1, nil], key: alice, rate: 10, strict: true, charge: true, now: 0)
        #expect(a.throttled == [false, true, false])
        #expect(a.charged == [0, 0, 0])
    }

    @Test func validateOnlyDecidesTheSameButTakesNothing() {
        var b = buckets()
        let tried = b.admit([8, 8], key: alice, rate: 10, strict: true, charge: false, now: 0)
        #expect(tried.throttled == [false, false])
        #expect(b.buckets[alice]?.bucket.tokens == 10)
        _ = b.admit([11], key: alice, rate: 10, strict: true, charge: true, now: 0)
        let refused = b.admit([1], key: alice, rate: 10, strict: true, charge: false, now: 0)
        #expect(refused.throttled == [true])
        #expect(b.buckets[alice]?.bucket.tokens == -1)
    }

    @Test func settleGivesBackWhatTheControllerRefused() {
        var b = buckets()
        let a = b.admit([6, 6], key: alice, rate: 10, strict: true, charge: true, now: 0)
        #expect(b.buckets[alice]?.bucket.tokens == -2)
        // The controller refused the second topic (it existed by then): only 6 were really created.
        let throttle = b.settle(charged: a.charged.reduce(0, +), actual: 6, key: alice, rate: 10, now: 0)
        #expect(b.buckets[alice]?.bucket.tokens == 4)
        #expect(throttle == 0)
        // A topic that cost more than priced is charged the difference.
        #expect(b.settle(charged: 0, actual: 9, key: alice, rate: 10, now: 0) == 500)
    }

    @Test func eachKeyHasItsOwnBucket() {
        var b = buckets()
        _ = b.admit([11], key: alice, rate: 10, strict: true, charge: true, now: 0)
        #expect(b.admit([1], key: alice, rate: 10, strict: true, charge: true, now: 0).throttled == [true])
        #expect(b.admit([1], key: bob, rate: 10, strict: true, charge: true, now: 0).throttled == [false])
    }

    @Test func fullBucketsArePrunedOnlyPastTheLimit() {
        var b = buckets()
        b.pruneAbove = 2
        _ = b.admit([1], key: alice, rate: 10, strict: true, charge: true, now: 0)
        _ = b.admit([1], key: bob, rate: 10, strict: true, charge: true, now: 0)
        #expect(b.buckets.count == 2)
        // At 1 s alice and bob are full again; the third key pushes past the limit and they go.
        let carol = QuotaBucketKey(user: "ANONYMOUS", clientID: "carol")
        _ = b.admit([1], key: carol, rate: 10, strict: true, charge: true, now: 1_000)
        #expect(Set(b.buckets.keys) == [carol])
    }
}

import KafkaController
import Testing

/// KIP-599's token bucket on a manual clock (milliseconds).
@Suite struct MutationTokenBucketTests {
    /// 10 mutations/s over 11 windows of 1 s: a burst of 110.
    let quota = MutationQuota(rate: 10, windowNum: 11, windowSizeSeconds: 1)

    /// Asks without refilling the caller's copy.
    private func exhausted(_ bucket: MutationTokenBucket, at now: Int64) -> Bool {
        var copy = bucket
        return copy.isExhausted(quota, now: now)
    }

    @Test func burstIsRateTimesWindowNumTimesWindowSize() {
        #expect(quota.burst == 110)
        #expect(MutationQuota(rate: 2.5, windowNum: 3, windowSizeSeconds: 4).burst == 30)
    }

    @Test func aNewBucketIsFullAndMayGoBelowZeroOnce() {
        var bucket = MutationTokenBucket(full: quota, now: 1_000)
        #expect(bucket.tokens == 110)
        #expect(!exhausted(bucket, at: 1_000))
        bucket.charge(100, quota, now: 1_000)
        #expect(bucket.tokens == 10)
        #expect(!exhausted(bucket, at: 1_000))
        // Not yet below zero, so this one goes ahead and takes the bucket to -40.
        bucket.charge(50, quota, now: 1_000)
        #expect(bucket.tokens == -40)
        #expect(exhausted(bucket, at: 1_000))
        #expect(bucket.throttleTimeMs(quota) == 4_000)
    }

    @Test func refillsAtTheRateUpToTheBurst() {
        var bucket = MutationTokenBucket(full: quota, now: 0)
        bucket.charge(150, quota, now: 0)
        bucket.refill(quota, now: 2_500)
        #expect(bucket.tokens == -15)
        #expect(bucket.throttleTimeMs(quota) == 1_500)
        #expect(exhausted(bucket, at: 3_999))
        #expect(!exhausted(bucket, at: 4_000))
        bucket.refill(quota, now: 1_000_000)
        #expect(bucket.tokens == 110)
        #expect(bucket.isFull(quota, now: 1_000_000))
    }

    @Test func throttleTimeRoundsUpAndIsZeroAtOrAboveZero() {
        var bucket = MutationTokenBucket(full: quota, now: 0)
        #expect(bucket.throttleTimeMs(quota) == 0)
        bucket.charge(110.25, quota, now: 0)
        #expect(bucket.throttleTimeMs(quota) == 25)
        // One token at 3/s is 333.3 ms: 334.
        let third = MutationQuota(rate: 3, windowNum: 11, windowSizeSeconds: 1)
        var slowish = MutationTokenBucket(full: third, now: 0)
        slowish.charge(34, third, now: 0)
        #expect(slowish.throttleTimeMs(third) == 334)
        let slow = MutationQuota(rate: 1e-9, windowNum: 1, windowSizeSeconds: 1)
        var stuck = MutationTokenBucket(full: slow, now: 0)
        stuck.charge(10_000, slow, now: 0)
        #expect(stuck.throttleTimeMs(slow) == Int32.max)
    }

    @Test func anEarlierClockRefillsNothing() {
        var bucket = MutationTokenBucket(full: quota, now: 10_000)
        bucket.charge(110, quota, now: 10_000)
        bucket.refill(quota, now: 5_000)
        #expect(bucket.tokens == 0)
        #expect(bucket.lastUpdateMs == 10_000)
        bucket.refill(quota, now: 10_100)
        #expect(bucket.tokens == 1)
    }

    @Test func givingBackNeverFillsPastTheBurst() {
        var bucket = MutationTokenBucket(full: quota, now: 0)
        bucket.charge(5, quota, now: 0)
        bucket.charge(-50, quota, now: 0)
        #expect(bucket.tokens == 110)
    }

    @Test func aLowerRateCapsWhatWasSavedUnderAHigherOne() {
        var bucket = MutationTokenBucket(full: quota, now: 0)
        let lower = MutationQuota(rate: 1, windowNum: 11, windowSizeSeconds: 1)
        bucket.refill(lower, now: 1)
        #expect(bucket.tokens == 11)
    }
}

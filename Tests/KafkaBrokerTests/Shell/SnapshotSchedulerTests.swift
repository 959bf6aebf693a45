@testable import KafkaBroker
import Testing

/// The snapshot schedule: Kafka's two triggers (bytes between snapshots, age once something was
/// committed), one build at a time, and a fresh count after a stored or installed snapshot.
@Suite struct SnapshotSchedulerTests {
    func start(_ s: inout SnapshotScheduler, _ now: Int64) -> Bool { s.startIfDue(now: now) }

    @Test func bytesOrAgeTriggerOneBuildAtATime() {
        var s = SnapshotScheduler(policy: SnapshotPolicy(maxBytesBetweenSnapshots: 100, maxIntervalMs: 1_000), now: 0)
        #expect(!start(&s, 5_000), "nothing committed: no snapshot however old the last one is")
        s.committed(payloadBytes: 99)
        #expect(!start(&s, 999))
        s.committed(payloadBytes: 1)
        #expect(start(&s, 999), "100 bytes reach the byte trigger")
        s.committed(payloadBytes: 500)
        #expect(!start(&s, 5_000), "one build at a time")
        s.buildEnded(stored: false, now: 6_000)
        #expect(s.bytesSinceSnapshot == 600, "a build that was not kept restarts nothing")
        #expect(start(&s, 6_000))
        s.buildEnded(stored: true, now: 7_000)
        #expect(s.bytesSinceSnapshot == 0 && s.lastSnapshotTime == 7_000)
        s.committed(payloadBytes: 1)
        #expect(!start(&s, 7_999))
        #expect(start(&s, 8_000), "the age trigger once anything was committed")
    }
}

/// When a node snapshots its metadata: Kafka's `metadata.log.max.record.bytes.between.snapshots`
/// (committed bytes since the last snapshot) and `metadata.log.max.snapshot.interval.ms` (age of the
/// last snapshot, once anything was committed since).
struct SnapshotPolicy: Sendable {
    var maxBytesBetweenSnapshots: Int64 = 20 << 20
    var maxIntervalMs: Int64 = 3_600_000
}

/// The snapshot schedule as a value: committed bytes and time since the last snapshot, and whether one
/// is being built. Pure: the driver feeds it commits and the time, and starts a build when it says so.
///
/// Invariant: at most one build at a time; a finished or installed snapshot restarts the count.
struct SnapshotScheduler: Sendable {
    let policy: SnapshotPolicy
    private(set) var bytesSinceSnapshot: Int64 = 0
    private(set) var lastSnapshotTime: Int64
    private(set) var building = false

    init(policy: SnapshotPolicy, now: Int64) {
        self.policy = policy
        lastSnapshotTime = now
    }

    mutating func committed(payloadBytes: Int64) {
        bytesSinceSnapshot += payloadBytes
    }

    /// Whether a build should start now; if so, it counts as started.
    mutating func startIfDue(now: Int64) -> Bool {
        guard !building else { return false }
        let due = bytesSinceSnapshot >= policy.maxBytesBetweenSnapshots
            || (bytesSinceSnapshot > 0 && now - lastSnapshotTime >= policy.maxIntervalMs)
        if due { building = true }
        return due
    }

    /// The build ended; `stored` when its snapshot was kept.
    mutating func buildEnded(stored: Bool, now: Int64) {
        building = false
        if stored { restart(now: now) }
    }

    /// A snapshot was stored or installed: the count starts again.
    mutating func restart(now: Int64) {
        bytesSinceSnapshot = 0
        lastSnapshotTime = now
    }
}

import KafkaRaft
import Testing

/// The memory bound of the in-memory log view: with snapshots taken by the quorum driver's byte policy
/// (a snapshot at the applied offset once the committed payload since the last one reaches a threshold),
/// the core holds only the entries since its latest snapshot and that one snapshot's bytes, however long
/// the history. `strom-metadata-bench --log-memory` shows the same at 1M records with RSS.
@Suite struct RaftLogMemoryTests {
    static let threshold = 4_096
    static let records = 20_000
    static let snapshotBytes = [UInt8](repeating: 7, count: 300)

    /// A single-voter leader driven as the driver drives it: flushes answered with `persisted`, committed
    /// entries counted, a snapshot created when the policy says so.
    struct Driver {
        var core = Core(localID: 1, voters: VoterSet([1]), quorumState: nil, log: MemoryRaftLog(), now: 0, seed: 3)
        var now: Int64 = 0
        var applied: Int64 = 0
        var bytesSinceSnapshot = 0
        var snapshots = 0
        /// The largest payload the log held, measured when a snapshot was due (its high point).
        var peakHeldBytes = 0
        var peakHeldEntries = 0
        let takesSnapshots: Bool

        init(takesSnapshots: Bool) {
            self.takesSnapshots = takesSnapshots
            perform(core.handle(.tick, now: 0))
            now = 2_000
            perform(core.handle(.tick, now: now))
        }

        mutating func perform(_ actions: [RaftAction]) {
            var inputs: [RaftInput] = []
            for action in actions {
                switch action {
                case .flushLog(let upTo): inputs.append(.persisted(upTo: upTo))
                case .committed(let hw) where hw > applied:
                    let entries = core.log.entries(from: applied, maxCount: Int(hw - applied))
                    applied += Int64(entries.count)
                    bytesSinceSnapshot += entries.reduce(0) { $0 + $1.payload.count }
                    let held = core.log.entries
                    peakHeldBytes = max(peakHeldBytes, RaftLogMemoryTests.payloadBytes(held))
                    peakHeldEntries = max(peakHeldEntries, held.count)
                    if takesSnapshots, bytesSinceSnapshot >= RaftLogMemoryTests.threshold, let epoch = core.log.epoch(at: applied - 1) {
                        bytesSinceSnapshot = 0
                        snapshots += 1
                        inputs.append(.createSnapshot(id: OffsetAndEpoch(offset: applied, epoch: epoch),
                                                      bytes: RaftLogMemoryTests.snapshotBytes))
                    }
                case .appendRejected(let error): Issue.record("append rejected: \(error)")
                case .snapshotRejected(let id, let reason): Issue.record("snapshot \(id) rejected: \(reason)")
                default: break
                }
            }
            for input in inputs { perform(core.handle(input, now: now)) }
        }
    }

    /// The payload bytes of `entries` (control entries have none).
    static func payloadBytes(_ entries: [RaftEntry]) -> Int {
        entries.reduce(0) { $0 + $1.payload.count }
    }

    /// The payload bytes of the whole history.
    static var totalBytes: Int {
        (0..<records).reduce(0) { (sum: Int, record: Int) in sum + 10 + (record * 13) % 91 }
    }

    /// Batch `n`'s payloads: 1 to 37 records of 10 to 100 bytes, a deterministic mix.
    static func batch(_ n: Int, from record: Int) -> [[UInt8]] {
        let count = min(1 + (n * 7) % 37, records - record)
        return (record..<record + count).map { (i: Int) -> [UInt8] in
            [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 10 + (i * 13) % 91)
        }
    }

    /// Appends the whole history, checking after every batch that it committed; returns the driver and
    /// the largest batch's payload bytes and entries.
    static func run(takesSnapshots: Bool, check: (Driver) -> Void = { _ in }) -> (Driver, maxBatchBytes: Int, maxBatchCount: Int) {
        var driver = Driver(takesSnapshots: takesSnapshots)
        #expect(driver.core.state.isLeader)
        var appended = 0
        var n = 0
        var maxBatchBytes = 0
        var maxBatchCount = 0
        while appended < records {
            let payloads = batch(n, from: appended)
            maxBatchBytes = max(maxBatchBytes, payloads.reduce(0) { $0 + $1.count })
            maxBatchCount = max(maxBatchCount, payloads.count)
            driver.now += 1
            driver.perform(driver.core.handle(.append(payloads), now: driver.now))
            #expect(driver.applied == driver.core.log.endOffset.offset, "batch \(n) committed")
            appended += payloads.count
            n += 1
            check(driver)
        }
        return (driver, maxBatchBytes, maxBatchCount)
    }

    @Test func entriesHeldStayWithinTheSnapshotPolicy() {
        let (driver, maxBatchBytes, maxBatchCount) = Self.run(takesSnapshots: true) { driver in
            let log = driver.core.log
            // Only the latest snapshot is kept, and the log starts right after it.
            #expect(log.snapshots.count <= 1)
            let snapshotEnd: Int64 = log.latestSnapshotID?.offset ?? 0
            #expect(log.logStartOffset == snapshotEnd)
            // What is held is what committed since that snapshot, under the threshold between batches.
            let heldBytes = Self.payloadBytes(log.entries)
            #expect(heldBytes == driver.bytesSinceSnapshot)
            #expect(driver.bytesSinceSnapshot < Self.threshold)
        }
        let byteBound = Self.threshold + maxBatchBytes
        #expect(driver.peakHeldBytes < byteBound)
        // Payloads are at least 10 bytes; the log's first batch also holds the leader's control entries.
        let entryBound = Self.threshold / 10 + maxBatchCount + 3
        #expect(driver.peakHeldEntries < entryBound)
        let fewestSnapshots = (Self.totalBytes - Self.threshold) / (Self.threshold + maxBatchBytes)
        #expect(driver.snapshots >= fewestSnapshots, "snapshots were taken all along")
        let latestSize: Int64? = driver.core.log.latestSnapshotID.flatMap { driver.core.log.snapshotSize($0) }
        #expect(latestSize == Int64(Self.snapshotBytes.count))
    }

    @Test func withoutSnapshotsTheWholeHistoryIsHeld() {
        let (driver, _, _) = Self.run(takesSnapshots: false)
        let held = driver.core.log.entries
        #expect(driver.core.log.logStartOffset == 0)
        let dataEntries = held.filter { !$0.isControl }.count
        #expect(dataEntries == Self.records)
        let heldBytes = Self.payloadBytes(held)
        #expect(heldBytes == Self.totalBytes)
    }
}

// strom-log-open-bench: how long opening a partition log takes after a clean shutdown, restoring
// producer state from the snapshot close wrote, next to replaying every batch header (what every open
// did before snapshots, and still does for a log without one), in the same run.
//
// Run: swift run -c release --scratch-path .build-bench strom-log-open-bench [MiB]   (default 512)
// A log of MiB bytes of idempotent batches (10 records of 100 B, 4 producers, timestamps increasing,
// 64 MiB segments) is written to /tmp once (not timed; it stays in the page cache). Then,
// alternately, 5 times each: open with its snapshot; open after removing the snapshots (a full
// replay). Each open is followed by a close, which writes the snapshot again. Medians are printed,
// and their ratio.

import KafkaLog
import KafkaRecords
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let mib = 1 << 20
let totalBytes = (CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 512) * mib
let config = LogConfig(segmentBytes: 64 * mib)
let clock = ContinuousClock()

var template = Array("/tmp/strom-log-open-bench-XXXXXX".utf8CString)
let root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }

func open() throws -> PartitionLog {
    try PartitionLog.open(logDirectory: root, topic: "bench", partition: 0, config: config, now: 1_000)
}

do {
    let log = try open()
    var sequences = [Int32](repeating: 0, count: 4)
    let value = [UInt8](repeating: 0x61, count: 100)
    var batches = 0
    while log.size < Int64(totalBytes) {
        let producer = batches % 4
        var builder = RecordBatchBuilder(producerId: Int64(1_000 + producer), producerEpoch: 0, baseSequence: sequences[producer])
        // Timestamps increase, as a producer's do (a segment's largest timestamp near its end).
        for _ in 0..<10 { builder.append(timestamp: 1_000_000 + Int64(batches), key: nil, value: value) }
        try log.append(try builder.build().bytes, leaderEpoch: 0, now: 1_000)
        sequences[producer] += 10
        batches += 1
    }
    let segments = log.segments.count
    try log.close()
    print("strom-log-open-bench: \(totalBytes / mib) MiB, \(batches) batches in \(segments) segments of \(config.segmentBytes / mib) MiB")

    let directory = root + "/bench-0"
    func removeSnapshots() throws {
        for name in try FileSystem.list(directory) where name.hasSuffix(LogFileNames.producerSnapshotSuffix) {
            try FileSystem.remove(directory + "/" + name)
        }
    }
    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
    var withSnapshot: [Double] = [], replaying: [Double] = []
    for _ in 0..<5 {
        for replay in [false, true] {
            if replay { try removeSnapshots() }
            let start = clock.now
            let reopened = try open()
            let took = seconds(clock.now - start)
            precondition(reopened.openReport.producerStateReplayedFrom == (replay ? 0 : reopened.logEndOffset))
            precondition(reopened.producerState.producers.count == 4)
            try reopened.close()
            if replay { replaying.append(took) } else { withSnapshot.append(took) }
        }
    }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    let a = median(withSnapshot), b = median(replaying)
    func rounded(_ x: Double, _ places: Double) -> String { String(Double(Int((x * places).rounded())) / places) }
    let ratio = a / b
    print("open with its snapshot: \(rounded(a * 1000, 10)) ms; open replaying every batch header: \(rounded(b * 1000, 10)) ms; "
        + "ratio \(rounded(ratio, 1000))")
    for name in try FileSystem.list(directory) { try FileSystem.remove(directory + "/" + name) }
    _ = rmdir(directory)
    _ = rmdir(root)
} catch {
    print("strom-log-open-bench failed: \(error)")
    exit(1)
}

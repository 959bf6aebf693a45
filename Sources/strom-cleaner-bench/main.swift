// strom-cleaner-bench: log cleaner throughput (Kafka's "MB/s of dirty log cleaned").
//
// Run: swift run -c release --scratch-path .build-bench strom-cleaner-bench [MiB]   (default 64)
// For each scenario a fresh compacted log of MiB bytes of keyed records is written to /tmp (not timed;
// it stays in the page cache), rolled so that all of it is closed and dirty, then one cleaning round
// is timed end to end: plan, key map, rewrite into .cleaned files (fsync'd), swap-in (renames,
// fsyncs, index rebuild by a full CRC scan). The rate is dirty bytes / round time; median of 3 logs.

import KafkaLog
import KafkaRecords
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Scenario {
    var name: String
    var keys: Int
    var valueBytes: Int
    var recordsPerBatch: Int
    var codec: CompressionCodec
}

let mib = 1 << 20
let dirtyBytes = (CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 64) * mib
let scenarios = [
    Scenario(name: "100k keys, 100 B values, 100/batch, none", keys: 100_000, valueBytes: 100, recordsPerBatch: 100, codec: .none),
    Scenario(name: "100k keys, 100 B values, 100/batch, lz4", keys: 100_000, valueBytes: 100, recordsPerBatch: 100, codec: .lz4),
    Scenario(name: "1k keys, 1 KiB values, 10/batch, none", keys: 1_000, valueBytes: 1024, recordsPerBatch: 10, codec: .none),
    Scenario(name: "offsets-like: 2k keys, 40 B values, 1/batch", keys: 2_000, valueBytes: 40, recordsPerBatch: 1, codec: .none),
]

func temporaryDirectory() -> String {
    var template = Array("/tmp/strom-cleaner-bench-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

func removeTree(_ path: String) {
    _ = system("rm -rf '\(path)'")
}

/// `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    guard digits > 0 else { return String(scaled) }
    let fraction = String(abs(scaled) % Int(scale))
    return "\(scaled / Int(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
}

/// Writes the log; returns it with everything closed and below the high watermark.
func writeLog(_ scenario: Scenario, in directory: String) throws -> PartitionLog {
    let config = LogConfig(segmentBytes: 16 * mib, cleanupPolicy: .compact, minCleanableDirtyRatio: 0)
    let log = try PartitionLog.open(logDirectory: directory, topic: "bench", partition: 0, config: config, now: 0)
    var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
    var value = [UInt8](repeating: 0, count: scenario.valueBytes)
    for i in value.indices { value[i] = UInt8(truncatingIfNeeded: i &* 31) }
    while log.size < Int64(dirtyBytes) {
        var builder = RecordBatchBuilder(compression: scenario.codec)
        for _ in 0..<scenario.recordsPerBatch {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let key = Array("key-\(Int(rng >> 33) % scenario.keys)".utf8)
            value[0] = UInt8(truncatingIfNeeded: rng)
            builder.append(timestamp: 1_000, key: key, value: value)
        }
        try log.append(try builder.build().bytes, leaderEpoch: 0, now: 0)
    }
    try log.roll(now: 0)
    log.updateHighWatermark(log.logEndOffset)
    return log
}

print("strom-cleaner-bench — \(dirtyBytes / mib) MiB of dirty log per round, segment.bytes 16 MiB, median of 3\n")
print("| scenario | dirty MiB | kept MiB | records kept / read | round | MB/s cleaned |")
print("| --- | --- | --- | --- | --- | --- |")
let clock = ContinuousClock()
for scenario in scenarios {
    var rows: [(seconds: Double, read: Int64, written: Int64, kept: Int, records: Int)] = []
    for _ in 0..<3 {
        let directory = temporaryDirectory()
        defer { removeTree(directory) }
        let log = try writeLog(scenario, in: directory)
        let start = clock.now
        guard let plan = try log.cleaningPlan(now: 10_000, byteBudget: .max) else { fatalError("nothing to clean") }
        let cleaned = try LogCleaner.clean(plan)
        guard try log.swapIn(cleaned) else { fatalError("swap refused") }
        let elapsed = clock.now - start
        let (s, atto) = elapsed.components
        rows.append((Double(s) + Double(atto) / 1e18, cleaned.stats.bytesRead, cleaned.stats.bytesWritten,
                     cleaned.stats.recordsRetained, cleaned.stats.recordsRead))
        try log.close()
    }
    let median = rows.sorted { $0.seconds < $1.seconds }[1]
    let rate = Double(median.read) / median.seconds / 1e6
    print("| \(scenario.name) | \(median.read / Int64(mib)) | \(fixed(Double(median.written) / Double(mib), 1)) | "
        + "\(median.kept) / \(median.records) | \(fixed(median.seconds, 2)) s | \(fixed(rate, 0)) |")
}

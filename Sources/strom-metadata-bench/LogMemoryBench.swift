import Foundation
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import KafkaRaftWire
import NIOCore

// Memory the metadata quorum's in-memory log view holds over a long history: a single-voter
// `RaftCore<MemoryRaftLog>` leader commits N metadata records (config and client-quota sets and removes
// on a few entities, so the image stays small while the history grows) in controller-sized batches,
// performed as the quorum driver performs them (flush, then `persisted`; committed entries replayed into
// the image), and snapshots with the driver's byte policy (by default 20 MiB of committed payload
// between snapshots, a real `.checkpoint` of the current image). The same history runs again without
// snapshots as the baseline; each run is a child process so that its RSS is its own.
//
//   strom-metadata-bench --log-memory [records] [--snapshot-bytes N]

/// What the log memory run prints every `reportEvery` records, and its last line.
struct LogMemorySample {
    var records: Int
    var entries: Int
    var payloadBytes: Int
    var snapshotBytes: Int64
    var snapshots: Int
    var rssKiB: Int
    var peakKiB: Int
}

enum LogMemoryBench {
    /// Kafka's `metadata.log.max.record.bytes.between.snapshots` default, as the driver's `SnapshotPolicy`.
    static let defaultBytesBetweenSnapshots: Int64 = 20 << 20
    /// Records per committed batch: a controller operation's worth.
    static let batchRecords = 20
    static let reportEvery = 100_000
    /// Partitions of the image the history churns over (topics of 100 partitions, as `image(partitions:)`).
    static let imagePartitions = 1_000

    /// Runs both modes as child processes and prints their tables and the ratio.
    static func runBoth(records: Int, bytesBetweenSnapshots: Int64) throws {
        print("Metadata log memory: \(records) records in batches of \(batchRecords), image of \(imagePartitions) partitions")
        print("")
        var last: [String: LogMemorySample] = [:]
        for mode in ["snapshots", "none"] {
            let title = mode == "snapshots"
                ? "with a snapshot every \(bytesBetweenSnapshots) bytes of committed payload"
                : "without snapshots (baseline)"
            print("### \(title)")
            print("")
            print("| records | entries held | payload bytes held | latest snapshot bytes | snapshots | RSS MiB | peak RSS MiB |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            process.arguments = ["--log-memory-child", String(records), mode == "snapshots" ? String(bytesBetweenSnapshots) : "0"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                print("the \(mode) run failed with status \(process.terminationStatus)")
                exit(1)
            }
            for line in output.split(separator: "\n") {
                let fields = line.split(separator: " ").compactMap { Int($0) }
                guard fields.count == 7 else { continue }
                let sample = LogMemorySample(records: fields[0], entries: fields[1], payloadBytes: fields[2],
                                             snapshotBytes: Int64(fields[3]), snapshots: fields[4], rssKiB: fields[5], peakKiB: fields[6])
                last[mode] = sample
                print(String(format: "| %d | %d | %d | %lld | %d | %.1f | %.1f |", sample.records, sample.entries, sample.payloadBytes,
                             sample.snapshotBytes, sample.snapshots, Double(sample.rssKiB) / 1024, Double(sample.peakKiB) / 1024))
            }
            print("")
        }
        if let with = last["snapshots"], let without = last["none"] {
            print(String(format: "At %d records: payload held with snapshots / without = %.3f; peak RSS with / without = %.3f",
                         with.records, Double(with.payloadBytes) / Double(max(1, without.payloadBytes)),
                         Double(with.peakKiB) / Double(max(1, without.peakKiB))))
        }
    }

    /// One mode, in this process (no snapshots when `bytesBetweenSnapshots` is 0): prints
    /// `records entries payload snapshot snapshots rssKiB peakKiB` lines.
    static func runChild(records: Int, bytesBetweenSnapshots: Int64) throws {
        var run = try LogMemoryRun(bytesBetweenSnapshots: bytesBetweenSnapshots)
        var appended = 0
        var nextReport = reportEvery
        while appended < records {
            let count = min(batchRecords, records - appended)
            try run.commitBatch((appended..<appended + count).map(LogMemoryRun.historyRecord))
            appended += count
            if appended >= nextReport || appended == records {
                let s = run.sample(records: appended)
                print("\(s.records) \(s.entries) \(s.payloadBytes) \(s.snapshotBytes) \(s.snapshots) \(s.rssKiB) \(s.peakKiB)")
                nextReport += reportEvery
            }
        }
        try? FileManager.default.removeItem(atPath: run.scratch)
    }

    /// `VmRSS` and `VmHWM` of this process, in KiB.
    static func residentKiB() -> (rss: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (-1, -1) }
        func field(_ name: String) -> Int {
            for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
                return Int(line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? -1
            }
            return -1
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}

/// A single-voter quorum leader and the image its committed entries build, driven as the quorum driver
/// drives its core.
struct LogMemoryRun {
    /// The policy's threshold; 0 takes no snapshots.
    let bytesBetweenSnapshots: Int64
    var core: RaftCore<MemoryRaftLog>
    var now: Int64 = 0
    var appliedOffset: Int64 = 0
    var applied: MetadataImage
    var delta: MetadataDelta
    var bytesSinceSnapshot: Int64 = 0
    var snapshotCount = 0
    let scratch = NSTemporaryDirectory() + "strom-log-memory-\(getpid())"

    init(bytesBetweenSnapshots: Int64) throws {
        self.bytesBetweenSnapshots = bytesBetweenSnapshots
        applied = try LogMemoryRun.baseImage()
        delta = MetadataDelta(base: applied)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        core = RaftCore(localID: 1, voters: VoterSet([1]), quorumState: nil, log: MemoryRaftLog(), now: 0, seed: 1)
        try perform(core.handle(.tick, now: now))
        now = 2_000
        try perform(core.handle(.tick, now: now))
        precondition(core.state.isLeader, "a single voter elects itself")
    }

    /// The image the history churns over: `image(partitions:)` of the load-time benchmark.
    static func baseImage() throws -> MetadataImage {
        try image(partitions: LogMemoryBench.imagePartitions)
    }

    /// Record `i` of the history: sets and removes of a topic config and a client quota, cycling over 10
    /// topics and 20 users, so the image never holds more than 30 of them.
    static func historyRecord(_ i: Int) -> [UInt8] {
        let record: any KafkaMetadataRecord
        switch i % 4 {
        case 0: record = ConfigRecord(resourceType: ConfigResource.topicType, resourceName: "topic-\((i / 4) % 10)",
                                      name: "retention.ms", value: String(86_400_000 + i))
        case 1: record = ClientQuotaRecord(entity: [.init(entityType: "user", entityName: "user-\((i / 4) % 20)")],
                                           key: "producer_byte_rate", value: Double(1_048_576 + i))
        case 2: record = ConfigRecord(resourceType: ConfigResource.topicType, resourceName: "topic-\((i / 4) % 10)",
                                      name: "retention.ms", value: nil)
        default: record = ClientQuotaRecord(entity: [.init(entityType: "user", entityName: "user-\((i / 4) % 20)")],
                                            key: "producer_byte_rate", remove: true)
        }
        // Both records have version 0 only; encoding them cannot fail.
        return Array(buffer: try! MetadataRecordSerde.encode(MetadataRecordAndVersion(record, version: 0)))
    }

    /// Appends `payloads` at the leader and performs what follows until they are committed and applied.
    mutating func commitBatch(_ payloads: [[UInt8]]) throws {
        now += 1
        try perform(core.handle(.append(payloads), now: now))
        precondition(appliedOffset == core.log.endOffset.offset, "the batch committed")
    }

    /// The driver's loop: a flush is followed by `persisted`; a commit applies the entries to the image
    /// and may start a snapshot.
    mutating func perform(_ actions: [RaftAction]) throws {
        var inputs: [RaftInput] = []
        for action in actions {
            switch action {
            case .flushLog(let upTo): inputs.append(.persisted(upTo: upTo))
            case .committed(let hw): try commit(upTo: hw, then: &inputs)
            case .appendRejected(let error): preconditionFailure("append rejected: \(error)")
            case .snapshotRejected(let id, let reason): preconditionFailure("snapshot \(id) rejected: \(reason)")
            default: break
            }
        }
        for input in inputs { try perform(core.handle(input, now: now)) }
    }

    mutating func commit(upTo hw: Int64, then inputs: inout [RaftInput]) throws {
        guard hw > appliedOffset else { return }
        let entries = core.log.entries(from: appliedOffset, maxCount: Int(hw - appliedOffset))
        for entry in entries where !entry.isControl {
            try delta.replay(MetadataRecordSerde.decode(ByteBuffer(bytes: entry.payload)).record)
        }
        appliedOffset += Int64(entries.count)
        bytesSinceSnapshot += entries.reduce(0) { $0 + Int64($1.payload.count) }
        guard bytesBetweenSnapshots > 0, bytesSinceSnapshot >= bytesBetweenSnapshots,
              let epoch = core.log.epoch(at: appliedOffset - 1) else { return }
        // The driver snapshots the applied image at the applied offset, with the voters in force there.
        applied = delta.apply(provenance: MetadataProvenance(offset: appliedOffset - 1, epoch: epoch))
        delta = MetadataDelta(base: applied)
        let id = OffsetAndEpoch(offset: appliedOffset, epoch: epoch)
        let controls = core.controlRecords.snapshotRecords(at: appliedOffset).map { RaftEntryBatches.kraftRecord(for: $0) }
        let values = try applied.snapshotRecords().map { Array(buffer: try MetadataRecordSerde.encode($0)) }
        let writer = try CheckpointWriter.create(directory: scratch, snapshotID: id, lastContainedLogTimestamp: now, now: now,
                                                 controlRecords: controls)
        try writer.append(values)
        let path = try writer.finish()
        let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        try FileManager.default.removeItem(atPath: path)
        bytesSinceSnapshot = 0
        snapshotCount += 1
        inputs.append(.createSnapshot(id: id, bytes: bytes))
    }

    func sample(records: Int) -> LogMemorySample {
        let memory = LogMemoryBench.residentKiB()
        return LogMemorySample(
            records: records, entries: core.log.entries.count, payloadBytes: core.log.entries.reduce(0) { $0 + $1.payload.count },
            snapshotBytes: core.log.latestSnapshotID.flatMap { core.log.snapshotSize($0) } ?? 0, snapshots: snapshotCount,
            rssKiB: memory.rss, peakKiB: memory.peak)
    }
}

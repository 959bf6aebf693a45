import Foundation
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import KafkaRaftWire
import NIOCore

// Metadata load time from a snapshot: builds an image of N partitions (topics of 100 partitions,
// three brokers, a config per tenth topic), writes it as a `.checkpoint` file, then times what a
// node does at start or after installing a snapshot: read the file, check every batch, decode and
// replay every record into an image. Prints the median of the runs.
//
//   swift run -c release strom-metadata-bench [partitions...] [--runs N]
//
// With `--log-memory [records] [--snapshot-bytes N]` (default 1,000,000 records, 20 MiB) it measures instead the memory the quorum's log view
// holds over a long metadata history (`LogMemoryBench.swift`).

var counts: [Int] = []
var runs = 5
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    if a == "--log-memory" {
        var records = 1_000_000
        var bytesBetweenSnapshots = LogMemoryBench.defaultBytesBetweenSnapshots
        while let option = args.popFirst() {
            if option == "--snapshot-bytes", let n = args.popFirst().flatMap(Int64.init) { bytesBetweenSnapshots = n }
            else if let n = Int(option) { records = n }
        }
        try LogMemoryBench.runBoth(records: records, bytesBetweenSnapshots: bytesBetweenSnapshots)
        exit(0)
    }
    if a == "--log-memory-child", let n = args.popFirst().flatMap(Int.init), let bytes = args.popFirst().flatMap(Int64.init) {
        try LogMemoryBench.runChild(records: n, bytesBetweenSnapshots: bytes)
        exit(0)
    }
    if a == "--runs", let n = args.popFirst().flatMap(Int.init) { runs = n } else if let n = Int(a) { counts.append(n) }
}
if counts.isEmpty { counts = [10_000, 100_000] }

func image(partitions: Int) throws -> MetadataImage {
    var delta = MetadataDelta(base: .empty)
    try delta.replay(FeatureLevelRecord(name: "metadata.version", featureLevel: 21))
    for b in Int32(1)...3 {
        try delta.replay(RegisterBrokerRecord(
            brokerID: b, incarnationID: KafkaUUID(mostSignificantBits: UInt64(b), leastSignificantBits: 7), brokerEpoch: Int64(b),
            endPoints: [.init(name: "PLAINTEXT", host: "127.0.0.1", port: UInt16(9092 + b), securityProtocol: 0)],
            features: [.init(name: "metadata.version", minSupportedVersion: 7, maxSupportedVersion: 21)], rack: nil, fenced: false))
    }
    let perTopic = 100
    for t in 0..<(partitions + perTopic - 1) / perTopic {
        let id = KafkaUUID(mostSignificantBits: UInt64(t + 1), leastSignificantBits: UInt64(t) &* 2654435761)
        try delta.replay(TopicRecord(name: "topic-\(t)", topicID: id))
        for p in 0..<min(perTopic, partitions - t * perTopic) {
            let leader = Int32(p % 3) + 1
            try delta.replay(PartitionRecord(partitionID: Int32(p), topicID: id, replicas: [leader], isr: [leader], leader: leader,
                                             leaderEpoch: 0, partitionEpoch: 0))
        }
        if t % 10 == 0 {
            try delta.replay(ConfigRecord(resourceType: ConfigResource.topicType, resourceName: "topic-\(t)", name: "retention.ms", value: "86400000"))
        }
    }
    return delta.apply(provenance: MetadataProvenance(offset: Int64(partitions) * 2, epoch: 3))
}

let directory = NSTemporaryDirectory() + "strom-metadata-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

print("| partitions | records | checkpoint bytes | write ms | load ms (median of \(runs)) | min | max |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for n in counts {
    let original = try image(partitions: n)
    let values = try original.snapshotRecords().map { Array(buffer: try MetadataRecordSerde.encode($0)) }
    let id = OffsetAndEpoch(offset: original.provenance.offset + 1, epoch: 3)
    let writeStart = DispatchTime.now().uptimeNanoseconds
    let writer = try CheckpointWriter.create(directory: directory, snapshotID: id, lastContainedLogTimestamp: 0, now: 0)
    try writer.append(values)
    let path = try writer.finish()
    let writeMs = Double(DispatchTime.now().uptimeNanoseconds - writeStart) / 1e6
    var times: [Double] = []
    var loaded = MetadataImage.empty
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        let bytes = FileManager.default.contents(atPath: path)!
        let reader = try CheckpointReader(bytes: ByteBuffer(bytes: bytes))
        var delta = MetadataDelta(base: .empty)
        for value in reader.values { try delta.replay(MetadataRecordSerde.decode(value).record) }
        loaded = delta.apply(provenance: original.provenance)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    precondition(loaded == original, "the loaded image differs from the one written")
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    times.sort()
    print(String(format: "| %d | %d | %d | %.1f | %.1f | %.1f | %.1f |", n, values.count, size, writeMs, times[times.count / 2], times.first!, times.last!))
    try FileManager.default.removeItem(atPath: path)
}

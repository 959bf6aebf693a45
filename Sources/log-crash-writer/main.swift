// Helper for KafkaLogTests' kill -9 test, not a tool: appends batches to partition 0 of `<topic>` under
// `<log directory>` forever, fsyncing after each, and writes "ACK <first offset> <last offset>\n" to
// stdout once a batch is durable. Record values are "m<offset>" so a reader can check every record.
// Small segments make it roll often. Run until killed.
//
//     log-crash-writer <log directory> <topic>
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaLog
import KafkaRecords
import NIOCore

func say(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + done, $0.count - done) }
        if n <= 0 { exit(3) }
        done += n
    }
}

func run(directory: String, topic: String) throws {
    let config = LogConfig(segmentBytes: 16 * 1024, indexIntervalBytes: 512)
    var clock: Int64 = 1_700_000_000_000
    let log = try PartitionLog.open(logDirectory: directory, topic: topic, partition: 0, config: config, now: clock)
    var next = log.logEndOffset
    let codecs: [CompressionCodec] = [.none, .lz4, .none, .zstd, .gzip]
    while true {
        clock += 1
        var builder = RecordBatchBuilder(compression: codecs[Int(next % Int64(codecs.count))])
        let count = Int(next % 7) + 1
        for i in 0..<count {
            builder.append(timestamp: clock, key: nil, value: Array("m\(next + Int64(i))".utf8))
        }
        let info = try log.append(try builder.build().bytes, leaderEpoch: 1, now: clock)
        try log.flush(now: clock)
        say("ACK \(info.firstOffset) \(info.lastOffset)")
        next = info.lastOffset + 1
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    say("usage: log-crash-writer <log directory> <topic>")
    exit(2)
}
do {
    try run(directory: arguments[1], topic: arguments[2])
} catch {
    say("ERROR \(error)")
    exit(1)
}

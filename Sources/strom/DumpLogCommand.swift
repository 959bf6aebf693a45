import ArgumentParser
import Foundation
import KafkaLogDump

/// `strom dump-log --files A,B [--print-data-log] [--offsets-decoder] [--cluster-metadata-decoder] [--deep-iteration]`: Kafka's
/// kafka-dump-log.sh for Strom's log directories (see ``DumpLog``). Each file is introduced by
/// "Dumping <path>"; an index is checked against the segment beside it when that can be read.
struct DumpLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-log",
        abstract: "Print the batches, records, index entries or checkpoint entries of log directory files, as kafka-dump-log.sh does."
    )

    @Option(name: .long, parsing: .upToNextOption,
            help: "The files to dump: .log, .index, .timeindex, leader-epoch-checkpoint, offset checkpoints (comma-separated or repeated).")
    var files: [String]

    @Flag(name: .long, help: "Print each record's key and value (UTF-8).")
    var printDataLog = false

    @Flag(name: .long, help: "Decode __consumer_offsets records as JSON.")
    var offsetsDecoder = false

    @Flag(name: .long, help: "Print a line per record (implied by --print-data-log).")
    var deepIteration = false

    @Flag(name: .long, help: "Decode __cluster_metadata records (log segments and .checkpoint snapshots) as JSON.")
    var clusterMetadataDecoder = false

    func run() throws {
        let options = DumpLog.Options(printDataLog: printDataLog, offsetsDecoder: offsetsDecoder, deepIteration: deepIteration,
                                       clusterMetadataDecoder: clusterMetadataDecoder)
        var failed = false
        for path in files.flatMap({ $0.split(separator: ",").map(String.init) }) where !path.isEmpty {
            print("Dumping \(path)")
            let url = URL(fileURLWithPath: path)
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("strom dump-log: cannot read \(path)\n".utf8))
                failed = true
                continue
            }
            let kind = DumpLog.FileKind(fileName: url.lastPathComponent)
            let segment = kind.segmentFileName.flatMap {
                FileManager.default.contents(atPath: url.deletingLastPathComponent().appendingPathComponent($0).path)
            }
            let out = DumpLog.dump(fileName: url.lastPathComponent, bytes: [UInt8](data), segment: segment.map { [UInt8]($0) }, options: options)
            for line in out.lines { print(line) }
            for line in out.errors { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        if failed { throw ExitCode(1) }
    }
}

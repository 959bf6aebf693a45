#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// A fresh directory under /tmp, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/strom-log-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!).map { String(cString: $0) } }
        guard let created else { throw LogError.io(operation: "mkdtemp", path: "/tmp", errno: errno) }
        path = created
    }

    func remove() { try? FileSystem.removeTree(path) }
}

enum Fixtures {
    static let topic = "events"

    /// Batch bytes with `count` records whose values are "m<n>" for n = `firstValue`..., timestamps
    /// `timestamp`, `timestamp + 1`, ... (or `timestamps` when given).
    static func batch(
        count: Int, firstValue: Int64, timestamp: Int64 = 1_000, timestamps: [Int64]? = nil,
        compression: CompressionCodec = .none, producerId: Int64 = -1, producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1, valuePadding: Int = 0
    ) -> ByteBuffer {
        var builder = RecordBatchBuilder(
            compression: compression, producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence
        )
        for i in 0..<count {
            let value = Array("m\(firstValue + Int64(i))".utf8) + [UInt8](repeating: 0x2E, count: valuePadding)
            builder.append(timestamp: timestamps?[i] ?? timestamp + Int64(i), key: nil, value: value)
        }
        return try! builder.build().bytes
    }

    static func open(
        _ directory: TemporaryDirectory, config: LogConfig = LogConfig(), now: Int64 = 1_000,
        policy: ProducerStateManager.UnknownProducerPolicy = .acceptAnySequence, fileCache: LogFileCache = .shared
    ) throws -> PartitionLog {
        try PartitionLog.open(logDirectory: directory.path, topic: topic, partition: 0, config: config, now: now, producerPolicy: policy, fileCache: fileCache)
    }

    static func partitionDirectory(_ directory: TemporaryDirectory) -> String {
        directory.path + "/\(topic)-0"
    }

    /// Appends `batches` batches of 1...`maxRecords` records (values = their offsets), cycling codecs.
    @discardableResult
    static func fill(_ log: PartitionLog, batches: Int, maxRecords: Int = 5, codecs: [CompressionCodec] = [.none, .lz4, .none, .gzip], padding: Int = 0, now: Int64 = 2_000) throws -> [AppendInfo] {
        var infos: [AppendInfo] = []
        for i in 0..<batches {
            let count = i % maxRecords + 1
            let bytes = batch(count: count, firstValue: log.logEndOffset, timestamp: now + Int64(i) * 10, compression: codecs[i % codecs.count], valuePadding: padding)
            infos.append(try log.append(bytes, leaderEpoch: 3, now: now))
        }
        return infos
    }

    /// Every record from `from` to the log end, by fetching, as (offset, value) pairs; checks each fetch
    /// starts with the batch containing the fetch offset.
    static func readAll(_ log: PartitionLog, from start: Int64? = nil, maxBytes: Int = 1 << 20) throws -> [(offset: Int64, value: String)] {
        var next = start ?? log.logStartOffset
        var out: [(Int64, String)] = []
        while next < log.logEndOffset {
            let data = try log.read(fetchOffset: next, maxBytes: maxBytes, minOneBatch: true)
            var reader = RecordBatchReader(try data.readRecords())
            let batches = try reader.readAll()
            #expect(reader.truncatedTailBytes == 0)
            guard let first = batches.first else {
                Issue.record("no batch at \(next)")
                return out
            }
            #expect(first.header.baseOffset <= next && first.header.lastOffset >= next, "fetch at \(next) starts at \(first.header.baseOffset)")
            for batch in batches {
                try batch.verifyCRC()
                for record in try batch.decodeRecords(decompressionLimit: 1 << 24) {
                    let offset = batch.header.baseOffset + Int64(record.offsetDelta)
                    if offset >= next { out.append((offset, String(decoding: record.value ?? [], as: UTF8.self))) }
                }
                next = batch.header.nextOffset
            }
        }
        return out
    }

    /// Checks records are exactly offsets `from..<to` with values "m<offset>".
    static func expectContiguous(_ records: [(offset: Int64, value: String)], from: Int64, to: Int64, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(records.map(\.offset) == Array(from..<to), sourceLocation: sourceLocation)
        for record in records where !record.value.hasPrefix("m\(record.offset)") {
            Issue.record("offset \(record.offset) holds \(record.value)", sourceLocation: sourceLocation)
            return
        }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        try FileSystem.readFile(path) ?? []
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let file = try LogFile.open(path, create: true)
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
    }

    static func segmentPath(_ directory: TemporaryDirectory, base: Int64, suffix: String = ".log") -> String {
        partitionDirectory(directory) + "/" + LogFileNames.segmentFileName(baseOffset: base, suffix: suffix)
    }

    /// Headers and positions of every batch in a segment file.
    static func batches(inFile path: String) throws -> [(position: Int, header: RecordBatchHeader)] {
        var buffer = ByteBuffer(bytes: try readFile(path))
        var out: [(Int, RecordBatchHeader)] = []
        var position = 0
        var reader = RecordBatchReader(buffer)
        while let batch = try reader.next() {
            out.append((position, batch.header))
            position += batch.header.totalSize
        }
        buffer.clear()
        return out
    }

    /// Producer state as a snapshot keeps it: per producer, its epoch, last batch, coordinator epoch
    /// and open transaction (a reload from a snapshot forgets the four batches before the last).
    static func lastBatches(_ state: ProducerStateManager) -> [Int64: String] {
        state.producers.mapValues { entry in
            let last = entry.batches.last.map { "\($0.firstSequence)-\($0.lastSequence)@\($0.firstOffset)-\($0.lastOffset)" } ?? "none"
            return "epoch \(entry.producerEpoch) last \(last) coordinator \(entry.coordinatorEpoch) txn \(entry.currentTransactionFirstOffset ?? -1)"
        }
    }
}

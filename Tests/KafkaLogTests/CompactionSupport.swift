import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// A keyed record as written or read back: offset, key, value (nil = tombstone).
struct KeyedRecord: Hashable, CustomStringConvertible {
    var offset: Int64
    var key: String?
    var value: String?
    var description: String { "\(offset):\(key ?? "∅")=\(value ?? "⊥")" }
}

enum Compaction {
    static func config(segmentBytes: Int = 600, deleteRetentionMs: Int64 = 1_000, minCompactionLagMs: Int64 = 0,
                       maxCompactionLagMs: Int64 = .max, policy: CleanupPolicy = .compact, ratio: Double = 0) -> LogConfig {
        LogConfig(segmentBytes: segmentBytes, indexIntervalBytes: 64, retentionMs: 1, cleanupPolicy: policy,
                  deleteRetentionMs: deleteRetentionMs, minCompactionLagMs: minCompactionLagMs,
                  maxCompactionLagMs: maxCompactionLagMs, minCleanableDirtyRatio: ratio)
    }

    /// One batch of `(key, value)` records (nil key = keyless, nil value = tombstone).
    static func batch(_ records: [(String?, String?)], timestamp: Int64 = 1_000, compression: CompressionCodec = .none,
                      producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1) -> ByteBuffer {
        var builder = RecordBatchBuilder(compression: compression, producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence)
        for (i, (key, value)) in records.enumerated() {
            builder.append(timestamp: timestamp + Int64(i), key: key.map { Array($0.utf8) }, value: value.map { Array($0.utf8) })
        }
        return try! builder.build().bytes
    }

    /// Appends `count` records cycling over `keys` keys, `perBatch` to a batch, values "v<offset>",
    /// cycling codecs; returns what was written.
    @discardableResult
    static func fill(_ log: PartitionLog, count: Int, keys: Int, perBatch: Int = 3, codecs: [CompressionCodec] = [.none],
                     timestamp: Int64 = 1_000, keyPrefix: String = "k") throws -> [KeyedRecord] {
        var written: [KeyedRecord] = []
        var i = 0
        var batchIndex = 0
        while i < count {
            let n = min(perBatch, count - i)
            let first = log.logEndOffset
            let pairs: [(String?, String?)] = (0..<n).map { j in ("\(keyPrefix)\((i + j) % keys)", "v\(first + Int64(j))") }
            try log.append(batch(pairs, timestamp: timestamp + Int64(i), compression: codecs[batchIndex % codecs.count]), leaderEpoch: 1, now: timestamp)
            for (j, pair) in pairs.enumerated() { written.append(KeyedRecord(offset: first + Int64(j), key: pair.0, value: pair.1)) }
            i += n
            batchIndex += 1
        }
        return written
    }

    /// One cleaning round: plan, clean, swap. Nil when the plan says there is nothing to do.
    @discardableResult
    static func clean(_ log: PartitionLog, now: Int64, budget: Int64 = 1 << 30) throws -> CleanedSegments? {
        guard let plan = try log.cleaningPlan(now: now, byteBudget: budget) else { return nil }
        let cleaned = try LogCleaner.clean(plan)
        #expect(try log.swapIn(cleaned))
        return cleaned
    }

    /// Every record from the log start to the log end, fetching batch runs from each next offset;
    /// checks CRCs and that each fetch starts with the batch holding (or first after) the fetch offset.
    static func readAll(_ log: PartitionLog, maxBytes: Int = 700) throws -> [KeyedRecord] {
        var next = log.logStartOffset
        var out: [KeyedRecord] = []
        while next < log.logEndOffset {
            let data = try log.read(fetchOffset: next, maxBytes: maxBytes, minOneBatch: true)
            var reader = RecordBatchReader(try data.readRecords())
            let batches = try reader.readAll()
            guard let first = batches.first else {
                Issue.record("no batch at \(next)")
                return out
            }
            #expect(first.header.lastOffset >= next, "fetch at \(next) returned a batch ending at \(first.header.lastOffset)")
            for batch in batches {
                try batch.verifyCRC()
                for record in try batch.decodeRecords(decompressionLimit: 1 << 24, offsets: .increasing) {
                    let offset = batch.header.baseOffset + Int64(record.offsetDelta)
                    guard offset >= next else { continue }
                    out.append(KeyedRecord(offset: offset, key: record.key.map { String(decoding: $0, as: UTF8.self) },
                                           value: record.value.map { String(decoding: $0, as: UTF8.self) }))
                }
                next = batch.header.nextOffset
            }
        }
        return out
    }

    /// The latest record of every key among `written` (tombstones included).
    static func latest(_ written: [KeyedRecord]) -> [String: KeyedRecord] {
        var latest: [String: KeyedRecord] = [:]
        for record in written { if let key = record.key { latest[key] = record } }
        return latest
    }

    /// Checks `read` is a compaction of `written`: offsets strictly increase, each record is the one
    /// written at its offset, and every key's latest value (not tombstones, which may be gone) is there.
    static func expectCompactionOf(_ written: [KeyedRecord], read: [KeyedRecord], sourceLocation: SourceLocation = #_sourceLocation) {
        let byOffset = Dictionary(uniqueKeysWithValues: written.map { ($0.offset, $0) })
        #expect(zip(read, read.dropFirst()).allSatisfy { $0.offset < $1.offset }, "offsets increase", sourceLocation: sourceLocation)
        for record in read where byOffset[record.offset] != record {
            Issue.record("read \(record), written \(byOffset[record.offset].map(\.description) ?? "nothing")", sourceLocation: sourceLocation)
        }
        let readOffsets = Set(read.map(\.offset))
        for (key, record) in latest(written) where record.value != nil && !readOffsets.contains(record.offset) {
            Issue.record("latest value of \(key) (\(record)) is gone", sourceLocation: sourceLocation)
        }
    }

    static func leftovers(_ directory: TemporaryDirectory) throws -> [String] {
        try FileSystem.list(Fixtures.partitionDirectory(directory)).filter {
            $0.hasSuffix(LogFileNames.cleanedSuffix) || $0.hasSuffix(LogFileNames.swapSuffix) || $0.hasSuffix(LogFileNames.deletedSuffix)
        }
    }
}

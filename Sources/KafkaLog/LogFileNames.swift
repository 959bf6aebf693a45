/// Kafka's file names inside a partition directory (`<topic>-<partition>/`):
///
///     00000000000000000000.log         record batches, back to back, as appended
///     00000000000000000000.index       offset index of that segment
///     00000000000000000000.timeindex   time index of that segment
///     00000000000000000000.txnindex    transactions aborted by markers in that segment (``TransactionIndex``)
///     00000000000000000000.snapshot    producer state as of that offset (``ProducerStateSnapshot``)
///     recovery-point-offset-checkpoint offsets below this are durable (written on roll and close by a
///                                      log whose caller does not checkpoint its log directory; else an
///                                      older version's file, read only when the directory's lacks the partition)
///     log-start-offset-checkpoint      the log start offset (written when DeleteRecords or a restart at an
///                                      offset moves it)
///     leader-epoch-checkpoint          where each leader epoch starts (``LeaderEpochCache``)
///     .kafka_cleanshutdown             present only between a clean close and the next open
///     cleaner-offset-checkpoint        the first offset the log cleaner has not cleaned yet (compacted logs)
///     <segment>.log.cleaned            a segment the cleaner is writing (discarded by recovery)
///     <segment>.log.swap               a cleaned segment being swapped in (recovery completes the swap)
///     <segment>.log.deleted            a replaced segment about to be removed (removed by recovery)
///
/// A segment is named by its base offset, zero-padded to 20 digits. Kafka keeps the recovery point, log
/// start offset and high watermark checkpoints, and the marker, once per log directory for all
/// partitions; Strom's broker does so for the checkpoints (``LogDirectoryCheckpoints``), while the marker,
/// the log start offset as DeleteRecords leaves it, and the metadata log's recovery point stay per
/// partition, in the same checkpoint format.
public enum LogFileNames {
    public static let logSuffix = ".log"
    public static let offsetIndexSuffix = ".index"
    public static let timeIndexSuffix = ".timeindex"
    public static let transactionIndexSuffix = ".txnindex"
    public static let producerSnapshotSuffix = ".snapshot"
    public static let recoveryPointCheckpoint = "recovery-point-offset-checkpoint"
    public static let logStartOffsetCheckpoint = "log-start-offset-checkpoint"
    public static let leaderEpochCheckpoint = "leader-epoch-checkpoint"
    public static let cleanShutdownMarker = ".kafka_cleanshutdown"
    public static let cleanerOffsetCheckpoint = "cleaner-offset-checkpoint"
    public static let cleanedSuffix = ".cleaned"
    public static let swapSuffix = ".swap"
    public static let deletedSuffix = ".deleted"

    /// `<topic>-<partition>`.
    public static func partitionDirectoryName(topic: String, partition: Int32) -> String {
        "\(topic)-\(partition)"
    }

    /// The base offset zero-padded to 20 digits, then `suffix`.
    public static func segmentFileName(baseOffset: Int64, suffix: String) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    /// The base offset of a `<20 digits><suffix>` name, or nil for any other name.
    public static func baseOffset(fromFileName name: String, suffix: String) -> Int64? {
        guard name.hasSuffix(suffix) else { return nil }
        let stem = name.dropLast(suffix.count)
        guard stem.count == 20, stem.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        return Int64(stem)
    }
}

/// Kafka's offset checkpoint file format (`OffsetCheckpointFile`), text lines:
///
///     0                      version
///     <count>                number of entries
///     <topic> <partition> <offset>   one line per entry
public struct OffsetCheckpoint: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64

        public init(topic: String, partition: Int32, offset: Int64) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public func encoded() -> [UInt8] {
        var text = "0\n\(entries.count)\n"
        for entry in entries { text += "\(entry.topic) \(entry.partition) \(entry.offset)\n" }
        return Array(text.utf8)
    }

    /// Parses the format; nil when the bytes are not a version-0 checkpoint with as many entries as declared.
    public init?(parsing bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard lines.count >= 2, lines[0] == "0", let count = Int(lines[1]), count >= 0, count <= lines.count - 2 else { return nil }
        var entries: [Entry] = []
        for line in lines[2..<(2 + count)] {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let partition = Int32(fields[1]), let offset = Int64(fields[2]) else { return nil }
            entries.append(Entry(topic: String(fields[0]), partition: partition, offset: offset))
        }
        guard lines[(2 + count)...].allSatisfy(\.isEmpty) else { return nil }
        self.entries = entries
    }

    /// The offset recorded for one partition.
    public func offset(topic: String, partition: Int32) -> Int64? {
        entries.first { $0.topic == topic && $0.partition == partition }?.offset
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\r" }).reversed().drop(while: { $0 == " " || $0 == "\r" }).reversed())
    }
}

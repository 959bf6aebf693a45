import KafkaLog

/// `strom dump-log`: what Kafka's `kafka-dump-log.sh` (DumpLogSegments) prints for one file of a log
/// directory, as lines for standard output and standard error. Pure: the caller reads the files.
///
/// By file name:
///
///     <20 digits>.log                     "Log starting offset: N", a line per batch, with
///                                         `--print-data-log` (or `--offsets-decoder`) a "| offset: ..."
///                                         line per record, then "Found N invalid bytes at the end of F"
///                                         when a partial or corrupt batch ends the file
///     <20 digits>.index                   "offset: O position: P" per entry; mismatches with the
///                                         segment (an entry not naming a batch's last offset) on stderr
///     <20 digits>.timeindex               "timestamp: T offset: O" per entry
///     <20 digits>.snapshot                "producerId: ... producerEpoch: ..." per producer (with its last
///                                         batch's sequences and offsets when it has one)
///     <20 digits>.txnindex                "version: 0 producerId: ... firstOffset: ... lastOffset: ...
///                                         lastStableOffset: ..." per aborted transaction
///     leader-epoch-checkpoint             (Strom's addition) "version: 0 entries: N", then
///                                         "epoch: E startOffset: O" per entry
///     <end offset>-<epoch>.checkpoint     a KRaft snapshot: "Snapshot end offset: O, epoch: E", then as a
///                                         segment (`--cluster-metadata-decoder` decodes its records)
///     replication-offset-checkpoint, recovery-point-offset-checkpoint, log-start-offset-checkpoint,
///     cleaner-offset-checkpoint           (Strom's addition) "version: 0 entries: N", then
///                                         "topic: T partition: P offset: O" per entry
///
/// Anything else is "Ignoring unknown file F" on stderr, as Kafka says it. The caller prints
/// "Dumping <path>" before each file, as Kafka does.
public enum DumpLog {
    public struct Options: Hashable, Sendable {
        /// `--print-data-log`: records with their keys and values (UTF-8, as Kafka's StringDecoder).
        public var printDataLog: Bool
        /// `--offsets-decoder`: records of `__consumer_offsets`, keys and values as JSON.
        public var offsetsDecoder: Bool
        /// `--deep-iteration`: a line per record without keys and values.
        public var deepIteration: Bool
        /// `--cluster-metadata-decoder`: records of `__cluster_metadata` (segments and `.checkpoint`
        /// snapshots) as `{"type":...,"version":...,"data":{...}}`.
        public var clusterMetadataDecoder: Bool

        public init(printDataLog: Bool = false, offsetsDecoder: Bool = false, deepIteration: Bool = false, clusterMetadataDecoder: Bool = false) {
            self.printDataLog = printDataLog
            self.offsetsDecoder = offsetsDecoder
            self.deepIteration = deepIteration
            self.clusterMetadataDecoder = clusterMetadataDecoder
        }

        /// Kafka iterates records when any of these is given.
        var recordLines: Bool { printDataLog || offsetsDecoder || deepIteration || clusterMetadataDecoder }
    }

    /// What one file dumps to: `lines` for standard output, `errors` for standard error.
    public struct Output: Hashable, Sendable {
        public var lines: [String] = []
        public var errors: [String] = []

        public init(lines: [String] = [], errors: [String] = []) {
            self.lines = lines
            self.errors = errors
        }
    }

    /// The kinds of file dump-log reads, by name.
    public enum FileKind: Hashable, Sendable {
        case segment(baseOffset: Int64)
        case offsetIndex(baseOffset: Int64)
        case timeIndex(baseOffset: Int64)
        case producerSnapshot
        case transactionIndex
        case leaderEpochCheckpoint
        case offsetCheckpoint
        /// A KRaft snapshot, `<20-digit end offset>-<10-digit epoch>.checkpoint`.
        case metadataSnapshot(endOffset: Int64, epoch: Int32)
        case unknown

        public init(fileName: String) {
            if let base = LogFileNames.baseOffset(fromFileName: fileName, suffix: LogFileNames.logSuffix) {
                self = .segment(baseOffset: base)
            } else if let base = LogFileNames.baseOffset(fromFileName: fileName, suffix: LogFileNames.offsetIndexSuffix) {
                self = .offsetIndex(baseOffset: base)
            } else if let base = LogFileNames.baseOffset(fromFileName: fileName, suffix: LogFileNames.timeIndexSuffix) {
                self = .timeIndex(baseOffset: base)
            } else if LogFileNames.baseOffset(fromFileName: fileName, suffix: LogFileNames.producerSnapshotSuffix) != nil {
                self = .producerSnapshot
            } else if LogFileNames.baseOffset(fromFileName: fileName, suffix: LogFileNames.transactionIndexSuffix) != nil {
                self = .transactionIndex
            } else if fileName == LogFileNames.leaderEpochCheckpoint {
                self = .leaderEpochCheckpoint
            } else if LogDirectoryCheckpoints.Kind(rawValue: fileName) != nil || fileName == LogFileNames.cleanerOffsetCheckpoint {
                self = .offsetCheckpoint
            } else if let (offset, epoch) = Self.snapshotID(fileName) {
                self = .metadataSnapshot(endOffset: offset, epoch: epoch)
            } else {
                self = .unknown
            }
        }

        static func snapshotID(_ fileName: String) -> (Int64, Int32)? {
            guard fileName.hasSuffix(".checkpoint") else { return nil }
            let parts = fileName.dropLast(".checkpoint".count).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].count == 20, parts[1].count == 10, let o = Int64(parts[0]), let e = Int32(parts[1]) else { return nil }
            return (o, e)
        }

        /// The segment whose bytes an index is checked against (same base offset, `.log`), if any.
        public var segmentFileName: String? {
            switch self {
            case .offsetIndex(let base), .timeIndex(let base): LogFileNames.segmentFileName(baseOffset: base, suffix: LogFileNames.logSuffix)
            default: nil
            }
        }
    }

    /// The dump of one file: `fileName` (its last path component) says what it is, `bytes` are its
    /// contents, `segment` the bytes of the segment beside an index (``FileKind/segmentFileName``), when
    /// the caller could read it.
    public static func dump(fileName: String, bytes: [UInt8], segment: [UInt8]? = nil, options: Options = Options()) -> Output {
        switch FileKind(fileName: fileName) {
        case .segment(let base):
            return dumpSegment(fileName: fileName, baseOffset: base, bytes: bytes, options: options)
        case .offsetIndex(let base):
            return dumpOffsetIndex(fileName: fileName, baseOffset: base, bytes: bytes, segment: segment)
        case .timeIndex(let base):
            return dumpTimeIndex(fileName: fileName, baseOffset: base, bytes: bytes, segment: segment)
        case .producerSnapshot:
            return dumpProducerSnapshot(fileName: fileName, bytes: bytes)
        case .transactionIndex:
            return dumpTransactionIndex(fileName: fileName, bytes: bytes)
        case .leaderEpochCheckpoint:
            return dumpLeaderEpochCheckpoint(fileName: fileName, bytes: bytes)
        case .offsetCheckpoint:
            return dumpOffsetCheckpoint(fileName: fileName, bytes: bytes)
        case let .metadataSnapshot(endOffset, epoch):
            var out = dumpSegment(fileName: fileName, baseOffset: 0, bytes: bytes, options: options)
            out.lines[0] = "Snapshot end offset: \(endOffset), epoch: \(epoch)"
            return out
        case .unknown:
            return Output(errors: ["Ignoring unknown file \(fileName)"])
        }
    }
}

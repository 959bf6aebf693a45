import KafkaProtocol
import KafkaRaft
import KafkaRecords
import NIOCore

/// A whole `.checkpoint` file, read and checked before anything of it is handed out.
///
/// Checks, batch by batch from byte 0: framing (length, magic 2, codec), CRC32C, records (count,
/// contiguous offset deltas, no trailing bytes), baseOffset = the previous batch's next offset starting
/// at 0; the first batch is a control batch whose first record is a SnapshotHeaderRecord; data batches
/// hold records with non-null values; the last batch is a control batch holding exactly one
/// SnapshotFooterRecord, and nothing follows it. Any failure is a ``CheckpointError``; nothing traps.
public struct CheckpointReader: Sendable {
    public let path: String
    /// The id in the file name; nil when read from bytes without a snapshot file name.
    public let snapshotID: OffsetAndEpoch?
    public let header: SnapshotHeaderRecord
    /// Control records other than the header and footer (KRaftVersionRecord, VotersRecord), in order.
    public let controlRecords: [KRaftControlRecord]
    /// The data records' values (metadata record frames), in offset order.
    public let values: [ByteBuffer]
    public let sizeInBytes: Int64
    /// The offset after the footer: the number of offsets the snapshot's batches use.
    public let nextOffset: Int64

    /// Largest decompressed records section accepted from one batch.
    public static let decompressionLimit = 64 * 1024 * 1024

    /// Reads and checks the file at `path`.
    public static func open(_ path: String) throws(CheckpointError) -> CheckpointReader {
        let file = try CheckpointFile.openForReading(path)
        return try CheckpointReader(bytes: try file.readAll(), path: path)
    }

    /// Reads and checks `<id>.checkpoint` in `directory`.
    public static func open(directory: String, snapshotID: OffsetAndEpoch) throws(CheckpointError) -> CheckpointReader {
        try open(CheckpointFileSystem.join(directory, CheckpointFileName.name(snapshotID)))
    }

    /// Checks `bytes` as a snapshot's content; `path` names it in errors and, when it is a snapshot file
    /// name, gives ``snapshotID``.
    public init(bytes: ByteBuffer, path: String = "<snapshot>") throws(CheckpointError) {
        self.path = path
        let name = path.split(separator: "/").last.map(String.init) ?? path
        self.snapshotID = CheckpointFileName.parse(name)?.id
        self.sizeInBytes = Int64(bytes.readableBytes)

        var reader = RecordBatchReader(bytes)
        var header: SnapshotHeaderRecord?
        var sawFooter = false
        var controls: [KRaftControlRecord] = []
        var values: [ByteBuffer] = []
        var expectedOffset: Int64 = 0
        while true {
            let position = Int64(bytes.readableBytes - reader.remainingBytes)
            func corrupt(_ reason: String) -> CheckpointError { .corrupt(path: path, position: position, reason: reason) }
            let next: RecordBatch?
            do { next = try reader.next() } catch { throw corrupt("\(error)") }
            guard let batch = next else {
                if reader.truncatedTailBytes > 0 { throw CheckpointError.truncated(path: path, position: position) }
                break
            }
            if sawFooter { throw CheckpointError.missingFooter(path: path) }
            do { try batch.verifyCRC() } catch { throw corrupt("\(error)") }
            guard batch.header.baseOffset == expectedOffset else {
                throw corrupt("baseOffset \(batch.header.baseOffset), expected \(expectedOffset)")
            }
            let records: [Record]
            do { records = try batch.decodeRecords(decompressionLimit: Self.decompressionLimit) } catch { throw corrupt("\(error)") }
            expectedOffset = batch.header.nextOffset

            guard batch.header.isControl else {
                guard header != nil else { throw CheckpointError.missingHeader(path: path) }
                for (i, record) in records.enumerated() {
                    guard let value = record.value else { throw corrupt("record \(i) has a null value") }
                    values.append(ByteBuffer(bytes: value))
                }
                continue
            }
            var parsed: [KRaftControlRecord] = []
            for (i, record) in records.enumerated() {
                do { parsed.append(try KRaftControlRecord(parsing: record)) } catch { throw corrupt("control record \(i): \(error)") }
            }
            if header == nil {
                guard case let .snapshotHeader(h)? = parsed.first else { throw CheckpointError.missingHeader(path: path) }
                header = h
                parsed.removeFirst()
            } else if parsed.contains(where: { $0.type == .snapshotFooter }) {
                guard parsed.count == 1 else { throw CheckpointError.missingFooter(path: path) }
                sawFooter = true
                continue
            }
            if parsed.contains(where: { $0.type == .snapshotHeader || $0.type == .snapshotFooter }) {
                throw corrupt("a second snapshot header, or a footer beside other records")
            }
            controls += parsed
        }
        guard let header else { throw CheckpointError.missingHeader(path: path) }
        guard sawFooter else { throw CheckpointError.missingFooter(path: path) }
        self.header = header
        self.controlRecords = controls
        self.values = values
        self.nextOffset = expectedOffset
    }
}

import Foundation
import KafkaMetadata
import KafkaRaft
import KafkaRaftWire

/// `bootstrap.checkpoint` in the metadata log's directory (the first of `log.dirs`), as Kafka's storage
/// tool writes it: a snapshot-format file of metadata records (here the UserScramCredentialRecords of
/// `strom format --add-scram`) that the active controller commits with the cluster's first records,
/// so SCRAM users exist before any client could create them.
public enum BootstrapCheckpoint {
    public static let fileName = "bootstrap.checkpoint"

    public static func path(logDirectory: String) -> String {
        (logDirectory as NSString).appendingPathComponent(fileName)
    }

    /// Writes `records` (synced, then renamed into place).
    public static func write(_ records: [MetadataRecordAndVersion], logDirectory: String, now: Int64) throws {
        let scratch = (logDirectory as NSString).appendingPathComponent("bootstrap.checkpoint.tmp-dir")
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let writer = try CheckpointWriter.create(directory: scratch, snapshotID: OffsetAndEpoch(offset: 0, epoch: 0),
                                                 lastContainedLogTimestamp: now, now: now)
        do {
            try writer.append(records.map { Array(buffer: try MetadataRecordSerde.encode($0)) })
        } catch {
            writer.abandon()
            throw error
        }
        let written = try writer.finish()
        let target = path(logDirectory: logDirectory)
        if rename(written, target) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target])
        }
        let fd = open(logDirectory, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// The records of `bootstrap.checkpoint`, or none when there is no such file.
    public static func read(logDirectory: String) throws -> [MetadataRecordAndVersion] {
        let file = path(logDirectory: logDirectory)
        guard FileManager.default.fileExists(atPath: file) else { return [] }
        return try CheckpointReader.open(file).values.map { try MetadataRecordSerde.decode($0) }
    }
}

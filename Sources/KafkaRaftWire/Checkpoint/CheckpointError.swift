/// Why a `.checkpoint` file could not be written or read.
///
/// Reading never traps on bad bytes: a damaged, truncated or mis-framed file is one of these.
public enum CheckpointError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// A name that is not `<20 digits>-<10 digits>.checkpoint`.
    case invalidName(String)
    /// A batch that fails its CRC, framing or record checks, or sits at the wrong offset.
    case corrupt(path: String, position: Int64, reason: String)
    /// The file ends inside a batch.
    case truncated(path: String, position: Int64)
    /// The first batch is not a control batch starting with a SnapshotHeaderRecord.
    case missingHeader(path: String)
    /// The last batch is not a control batch holding only a SnapshotFooterRecord, or something follows it.
    case missingFooter(path: String)
    /// A received snapshot whose size is not the one its sender announced.
    case sizeMismatch(path: String, expected: Int64, actual: Int64)
    /// The writer was used after ``CheckpointWriter/finish()`` or ``CheckpointWriter/abandon()``.
    case closed(path: String)

    public var description: String {
        switch self {
        case let .io(operation, path, errno): "\(operation) \(path): errno \(errno)"
        case let .invalidName(name): "not a snapshot file name: \(name)"
        case let .corrupt(path, position, reason): "\(path): corrupt batch at byte \(position): \(reason)"
        case let .truncated(path, position): "\(path): truncated inside the batch at byte \(position)"
        case let .missingHeader(path): "\(path): does not start with a SnapshotHeader control batch"
        case let .missingFooter(path): "\(path): does not end with a SnapshotFooter control batch"
        case let .sizeMismatch(path, expected, actual): "\(path): \(actual) bytes, expected \(expected)"
        case let .closed(path): "\(path): writer already finished or abandoned"
        }
    }
}

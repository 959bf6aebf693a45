import KafkaLog

/// A storage problem met while the node runs (or while it loads its metadata log at start): a file
/// of the metadata partition is missing, unreadable or not in the format Strom writes. Start-up
/// problems of configuration or ownership (unformatted directories, a directory locked by another
/// process) are `StromNode.StartupError`; partition logs report `LogError`.
public enum StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A file that must exist is gone.
    case missingFile(path: String)
    /// A file could not be read (the system call's error).
    case unreadableFile(path: String, LogError)
    /// `quorum-state` holds something other than the JSON Strom and Kafka write.
    case unparseableQuorumState(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(path): "\(path) is missing"
        case let .unreadableFile(path, error): "cannot read \(path): \(error)"
        case let .unparseableQuorumState(path, reason): "\(path) is not a quorum-state file Strom can read: \(reason)"
        }
    }
}

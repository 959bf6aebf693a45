import KafkaRaft

/// The snapshots of the metadata partition directory (`<log.dirs>/__cluster_metadata-0`).
///
/// Invariant: only `<id>.checkpoint` files count as snapshots; `.part` files are unfinished writes or
/// downloads and `.deleted` files are on their way out, both removed by ``removeLeftovers(in:)`` at
/// start-up as Kafka does. Deletion renames to `.deleted` first, so a crash never leaves a snapshot that
/// looks complete but is half removed.
public enum CheckpointDirectory {
    /// `__cluster_metadata-0`, the partition directory name under a log directory.
    public static let partitionDirectoryName = "__cluster_metadata-0"

    public static func partitionDirectory(logDirectory: String) -> String {
        CheckpointFileSystem.join(logDirectory, partitionDirectoryName)
    }

    public static func path(of id: OffsetAndEpoch, in directory: String) -> String {
        CheckpointFileSystem.join(directory, CheckpointFileName.name(id))
    }

    /// The complete snapshots in `directory`, oldest first (by Kafka's `OffsetAndEpoch` order).
    public static func snapshots(in directory: String) throws(CheckpointError) -> [OffsetAndEpoch] {
        try CheckpointFileSystem.list(directory).compactMap { name in
            guard let (id, kind) = CheckpointFileName.parse(name), kind == .complete else { return nil }
            return id
        }.sorted()
    }

    /// The newest complete snapshot, if any.
    public static func latest(in directory: String) throws(CheckpointError) -> OffsetAndEpoch? {
        try snapshots(in: directory).last
    }

    /// Deletes every complete snapshot ordered before `id` (rename to `.deleted`, sync the directory,
    /// unlink) and returns their ids.
    @discardableResult
    public static func deleteSnapshots(before id: OffsetAndEpoch, in directory: String) throws(CheckpointError) -> [OffsetAndEpoch] {
        let older = try snapshots(in: directory).filter { $0 < id }
        guard !older.isEmpty else { return [] }
        for old in older {
            try CheckpointFileSystem.rename(path(of: old, in: directory),
                                            to: CheckpointFileSystem.join(directory, CheckpointFileName.deletedName(old)))
        }
        try CheckpointFileSystem.syncDirectory(directory)
        for old in older { try CheckpointFileSystem.remove(CheckpointFileSystem.join(directory, CheckpointFileName.deletedName(old))) }
        return older
    }

    /// Removes `.checkpoint.part` and `.checkpoint.deleted` files; returns their names.
    @discardableResult
    public static func removeLeftovers(in directory: String) throws(CheckpointError) -> [String] {
        var removed: [String] = []
        for name in try CheckpointFileSystem.list(directory) {
            guard let (_, kind) = CheckpointFileName.parse(name), kind != .complete else { continue }
            try CheckpointFileSystem.remove(CheckpointFileSystem.join(directory, name))
            removed.append(name)
        }
        return removed.sorted()
    }
}

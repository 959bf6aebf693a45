import Foundation
import KafkaLog
import KafkaProtocol

/// DescribeLogDirs: what each of this node's log directories (`log.dirs`) holds, as Kafka's
/// `ReplicaManager.describeLogDirs` reports it.
extension ReplicaManager {
    /// One partition log's figures.
    struct LogDirectoryEntry: Sendable, Equatable {
        var topicPartition: TopicPartition
        /// The log directory as configured (one of `log.dirs`).
        var logDirectory: String
        /// The bytes of the log's segments.
        var size: Int64
        var logEndOffset: Int64
        var highWatermark: Int64
    }

    /// Every log directory in `log.dirs` order, each once, with its absolute path; per directory the
    /// partitions of `wanted` (every log when nil) it holds, by topic then partition, with their size, and
    /// offset lag max(0, high watermark - log end offset) (this node's logs are current replicas: none is
    /// a future log of AlterReplicaLogDirs, so `isFutureKey` is false); topics with no such partition are
    /// left out. A directory whose volume cannot be read (`space` throws: it is gone or unreachable) is
    /// offline: KAFKA_STORAGE_ERROR and nothing else. Otherwise the volume's total and usable bytes (v4+).
    static func describeLogDirs(directories: [String], logs: [LogDirectoryEntry], wanted: Set<TopicPartition>?,
                                space: (String) throws -> (totalBytes: Int64, usableBytes: Int64))
        -> [DescribeLogDirsResponse.DescribeLogDirsResult] {
        var seen = Set<String>()
        return directories.filter { seen.insert(absolutePath($0)).inserted }.map { directory in
            var result = DescribeLogDirsResponse.DescribeLogDirsResult(logDir: absolutePath(directory))
            guard let volume = try? space(directory) else {
                result.errorCode = ErrorCode.kafkaStorageError.rawValue
                return result
            }
            result.totalBytes = volume.totalBytes
            result.usableBytes = volume.usableBytes
            let held = logs.filter { absolutePath($0.logDirectory) == result.logDir && (wanted?.contains($0.topicPartition) ?? true) }
            let byTopic = Dictionary(grouping: held, by: \.topicPartition.topic)
            result.topics = byTopic.keys.sorted().map { topic in
                .init(name: topic, partitions: byTopic[topic]!.sorted { $0.topicPartition.partition < $1.topicPartition.partition }.map {
                    .init(partitionIndex: $0.topicPartition.partition, partitionSize: $0.size,
                          offsetLag: max(0, $0.highWatermark - $0.logEndOffset), isFutureKey: false)
                })
            }
            return result
        }
    }

    /// `path` made absolute against the working directory (as Java's `Path.toAbsolutePath`).
    static func absolutePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileSystem.join(FileManager.default.currentDirectoryPath, path)
    }

    /// DescribeLogDirs for `wanted` partitions (every partition when nil), read now; the volume figures
    /// come from statvfs on the blocking-I/O executor.
    func describeLogDirs(_ wanted: Set<TopicPartition>?) async -> [DescribeLogDirsResponse.DescribeLogDirsResult] {
        let directories = config.logDirs
        let logs = allReplicas.map { partition in
            partition.withLog { log in
                LogDirectoryEntry(topicPartition: partition.topicPartition, logDirectory: partition.logDirectory, size: log.size,
                                  logEndOffset: log.logEndOffset, highWatermark: log.highWatermark)
            }
        }
        let results = try? await io.run {
            Self.describeLogDirs(directories: directories, logs: logs, wanted: wanted, space: { try FileSystem.volumeSpace($0) })
        }
        // The executor refuses work only once the node is shutting down.
        return results ?? Self.describeLogDirs(directories: directories, logs: logs, wanted: wanted,
                                               space: { _ in throw LogError.closed })
    }
}

import KafkaLog
import KafkaMetadata
import KafkaProtocol
import NIOConcurrencyHelpers

/// This node's replica of one partition: its log, behind a lock, plus the topic settings the
/// request path needs. All log access goes through `withLog`, one caller at a time.
final class PartitionReplica: @unchecked Sendable {
    let topicPartition: TopicPartition
    let topicID: KafkaUUID
    /// The log directory (one of `log.dirs`) holding this partition.
    let logDirectory: String
    private let lock = NIOLock()
    private var log: PartitionLog
    private(set) var settings: Settings

    struct Settings: Sendable {
        var logAppendTime: Bool
        var flushBeforeAcksAll: Bool
        var maxMessageBytes: Int
        var timestampBeforeMaxMs: Int64
        var timestampAfterMaxMs: Int64
        /// `cleanup.policy` includes `compact`: producers must key every record.
        var compacted: Bool = false
    }

    init(topicPartition: TopicPartition, topicID: KafkaUUID, logDirectory: String, log: PartitionLog, settings: Settings) {
        self.topicPartition = topicPartition
        self.topicID = topicID
        self.logDirectory = logDirectory
        self.log = log
        self.settings = settings
    }

    func withLog<T>(_ body: (PartitionLog) throws -> T) rethrows -> T {
        try lock.withLock { try body(log) }
    }

    /// Swaps in a log reopened with new settings (topic configs changed).
    func replace(log newLog: (PartitionLog) throws -> PartitionLog, settings: Settings) rethrows {
        try lock.withLock {
            log = try newLog(log)
            self.settings = settings
        }
    }
}

import KafkaController
import KafkaLog
import StromConfig

/// A topic's effective settings as the log layer takes them: the topic's own values over the
/// broker's (Kafka's topic configs and their broker synonyms).
enum TopicLogConfig {
    static func make(overrides: [String: String], config: ServerConfig) -> LogConfig {
        func long(_ key: String) -> Int64 {
            DescribeTopicConfigs.value(key, topicOverrides: overrides, config: config).flatMap { Int64($0) } ?? 0
        }
        let value = { (key: String) in DescribeTopicConfigs.value(key, topicOverrides: overrides, config: config) }
        return LogConfig(
            segmentBytes: Int(long("segment.bytes")),
            segmentMs: long("segment.ms"),
            maxIndexBytes: Int(long("segment.index.bytes")),
            indexIntervalBytes: Int(long("index.interval.bytes")),
            retentionMs: long("retention.ms"),
            retentionBytes: long("retention.bytes"),
            maxMessageBytes: Int(long("max.message.bytes")),
            flushMessages: long("flush.messages"),
            flushMs: long("flush.ms"),
            cleanupPolicy: value("cleanup.policy").flatMap(CleanupPolicy.init(configValue:)) ?? .delete,
            deleteRetentionMs: long("delete.retention.ms"),
            minCompactionLagMs: long("min.compaction.lag.ms"),
            maxCompactionLagMs: long("max.compaction.lag.ms"),
            minCleanableDirtyRatio: value("min.cleanable.dirty.ratio").flatMap(Double.init) ?? 0.5
        )
    }

    static func usesLogAppendTime(overrides: [String: String], config: ServerConfig) -> Bool {
        DescribeTopicConfigs.value("message.timestamp.type", topicOverrides: overrides, config: config) == "LogAppendTime"
    }

    /// Whether acks=all produce requests are fsync'd before the answer: yes unless the operator set a
    /// flush policy for the topic or the broker (then that policy decides, as in Kafka).
    static func flushBeforeAcksAll(overrides: [String: String], config: ServerConfig) -> Bool {
        overrides["flush.messages"] == nil && overrides["flush.ms"] == nil
            && config.logFlushIntervalMessages == nil && config.logFlushIntervalMs == nil
            && config.dynamicValue("log.flush.interval.messages") == nil && config.dynamicValue("log.flush.interval.ms") == nil
    }
}

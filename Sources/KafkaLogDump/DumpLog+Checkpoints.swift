import KafkaLog

extension DumpLog {
    /// `leader-epoch-checkpoint` through ``LeaderEpochCache/init(parsing:)``.
    static func dumpLeaderEpochCheckpoint(fileName: String, bytes: [UInt8]) -> Output {
        guard let cache = LeaderEpochCache(parsing: bytes) else {
            return Output(errors: ["\(fileName) is not a valid leader epoch checkpoint"])
        }
        return Output(lines: ["version: 0 entries: \(cache.entries.count)"]
            + cache.entries.map { "epoch: \($0.epoch) startOffset: \($0.startOffset)" })
    }

    /// An offset checkpoint file (high watermarks, recovery points, log start offsets, the cleaner's)
    /// through ``OffsetCheckpoint/init(parsing:)``, in the file's order.
    static func dumpOffsetCheckpoint(fileName: String, bytes: [UInt8]) -> Output {
        guard let checkpoint = OffsetCheckpoint(parsing: bytes) else {
            return Output(errors: ["\(fileName) is not a valid offset checkpoint"])
        }
        return Output(lines: ["version: 0 entries: \(checkpoint.entries.count)"]
            + checkpoint.entries.map { "topic: \($0.topic) partition: \($0.partition) offset: \($0.offset)" })
    }
}

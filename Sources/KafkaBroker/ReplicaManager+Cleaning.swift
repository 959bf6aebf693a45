import Foundation
import KafkaLog
import Logging

extension ReplicaManager {
    /// What one cleaning pass did.
    public struct CleaningPassResult: Sendable {
        /// Rounds swapped in, one per partition at most.
        public var rounds = 0
        /// Bytes of segments read and rewritten.
        public var bytesCleaned: Int64 = 0
        public var bytesWritten: Int64 = 0
    }

    /// ``runCleaning(now:byteBudget:)`` on the blocking-I/O executor (as Kafka's cleaner thread), so that
    /// a pass of up to a second of CPU and disk work never holds one of Swift's few cooperative threads.
    /// A pass that could not run (the executor stopped) did nothing.
    public func runCleaningOffTheRequestPath(now: Int64, byteBudget: Int64) async -> CleaningPassResult {
        do {
            return try await io.run { self.runCleaning(now: now, byteBudget: byteBudget) }
        } catch is CancellationError {
            // Shutdown cancelled the maintenance loop while the pass waited for a thread.
            return CleaningPassResult()
        } catch {
            logger.warning("log cleaning pass did not run", metadata: ["reason": "\(error)"])
            return CleaningPassResult()
        }
    }

    /// Kafka's log cleaner thread, one pass: for each partition whose `cleanup.policy` includes
    /// `compact` and that is dirty enough (see ``KafkaLog/CleaningPlan``), dirtiest first, one round:
    /// planned under the partition's lock, the segments rewritten without it (appends and fetches go
    /// on meanwhile), then swapped in under the lock. The pass stops once it has rewritten
    /// `byteBudget` bytes; each round's key map covers at most what is left of the budget (at least one
    /// segment), so a pass never runs far past it. Failures are logged and leave the partition as it was.
    @discardableResult
    public func runCleaning(now: Int64, byteBudget: Int64) -> CleaningPassResult {
        var result = CleaningPassResult()
        var candidates: [(Partition, Double)] = []
        for replica in allReplicas {
            let ratio = replica.withLog { log -> Double? in
                guard log.config.cleanupPolicy.contains(.compact) else { return nil }
                return (try? log.cleaningPlan(now: now, byteBudget: byteBudget))??.cleanableRatio
            }
            if let ratio { candidates.append((replica, ratio)) }
        }
        for (replica, _) in candidates.sorted(by: { $0.1 > $1.1 }) {
            let remaining = byteBudget - result.bytesCleaned
            guard remaining > 0 else { break }
            do {
                guard let plan = try replica.withLog({ try $0.cleaningPlan(now: now, byteBudget: remaining) }) else { continue }
                let cleaned = try LogCleaner.clean(plan)
                guard try replica.withLog({ try $0.swapIn(cleaned) }) else { continue }
                result.rounds += 1
                result.bytesCleaned += cleaned.stats.bytesRead
                result.bytesWritten += cleaned.stats.bytesWritten
                logger.info("cleaned log", metadata: [
                    "kafka.partition": "\(replica.topicPartition)", "log.cleaned_to": "\(plan.endOffset)",
                    "log.bytes_read": "\(cleaned.stats.bytesRead)", "log.bytes_written": "\(cleaned.stats.bytesWritten)",
                    "log.records_retained": "\(cleaned.stats.recordsRetained)/\(cleaned.stats.recordsRead)",
                ])
            } catch {
                logger.error("log cleaning failed", metadata: ["kafka.partition": "\(replica.topicPartition)", "error": "\(error)"])
            }
        }
        return result
    }
}

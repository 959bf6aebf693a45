import KafkaLog
import KafkaProtocol

extension Partition {
    /// Writes a transaction marker as this partition's leader (Kafka's `appendRecordsToLeader` with
    /// origin COORDINATOR and acks=all): the same min.insync.replicas check as an acks=all produce
    /// (NOT_ENOUGH_REPLICAS), the producer-state checks of ``KafkaLog/PartitionLog/appendMarker(producerId:producerEpoch:coordinatorEpoch:isAbort:bumpedEpoch:leaderEpoch:now:)``
    /// (`bumpedEpoch` for a marker of transaction version 2),
    /// and, as a coordinator's append, a flush before the marker counts toward the high watermark.
    /// NOT_LEADER_OR_FOLLOWER when this node does not lead. Blocks on the write: call it on the
    /// blocking-I/O executor.
    func appendMarker(producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32, isAbort: Bool, bumpedEpoch: Bool = false,
                      now: Int64) -> Result<LeaderAppend, LogValidator.Failure> {
        do {
            let (append, effects) = try lock.withLock { () throws -> (LeaderAppend, [LeaderEffect]) in
                guard let leaderState else {
                    throw LogValidator.Failure(code: .notLeaderOrFollower, message: "This broker does not lead \(topicPartition)")
                }
                if let error = leaderState.minIsrCheck(requiredAcks: -1, minInsyncReplicas: _settings.minInsyncReplicas) {
                    throw LogValidator.Failure(code: ErrorCode(rawValue: error.code),
                                               message: "The ISR \(leaderState.isr.sorted()) of \(topicPartition) is below min.insync.replicas \(_settings.minInsyncReplicas)")
                }
                let info = try log.appendMarker(producerId: producerId, producerEpoch: producerEpoch, coordinatorEpoch: coordinatorEpoch,
                                                isAbort: isAbort, bumpedEpoch: bumpedEpoch, leaderEpoch: _leaderEpoch, now: now)
                // A verification that began before the transaction ended no longer holds (KIP-890),
                // except one of transaction version 2 at this marker's epoch: the previous
                // transaction's end bumped the epoch the next transaction is being verified with.
                if let verification = verificationGuards[producerId],
                   !(verification.supportsEpochBump && verification.producerEpoch == producerEpoch) {
                    verificationGuards[producerId] = nil
                }
                if let pending = try log.prepareFlush() {
                    return (LeaderAppend(info: info, pendingFlush: pending, leaderEpoch: _leaderEpoch), [])
                }
                return (LeaderAppend(info: info, pendingFlush: nil, leaderEpoch: _leaderEpoch), advanceLeaderEnd(log.logEndOffset, now: now))
            }
            perform(effects)
            return .success(append)
        } catch let failure as LogValidator.Failure {
            return .failure(failure)
        } catch let error as LogError {
            return .failure(LogValidator.Failure(error))
        } catch {
            return .failure(LogValidator.Failure(code: .unknownServerError, message: "\(error)"))
        }
    }
}

import KafkaLog
import KafkaProtocol

/// What a client append knows of KIP-890's verification: enforced (the broker's
/// `transaction.partition.verification.enable`), with the guard the producer's verification got, or
/// without one when none was needed (the producer had a transaction open here when asked).
struct TransactionVerification: Sendable, Hashable {
    var guardValue: UInt64?
}

extension Partition {
    /// Starts a verification for `producerID` (Kafka's `maybeStartTransactionVerification`): nil when the
    /// producer has a transaction open here (its batches need none); else a guard, which the append
    /// must present after the coordinator confirmed the partition is in the transaction. A marker for
    /// the producer (its transaction ended meanwhile) or a successful append clears it.
    func transactionVerificationGuard(producerID: Int64) -> UInt64? {
        lock.withLock {
            if log.producerState.entry(for: producerID)?.currentTransactionFirstOffset != nil { return nil }
            if let existing = verificationGuards[producerID] { return existing }
            lastVerificationGuard &+= 1
            verificationGuards[producerID] = lastVerificationGuard
            return lastVerificationGuard
        }
    }

    /// Forgets a verification that failed.
    func dropVerification(producerID: Int64, guardValue: UInt64) {
        lock.withLock {
            if verificationGuards[producerID] == guardValue { verificationGuards[producerID] = nil }
        }
    }

    /// Under the lock: a transactional batch that would open a transaction needs a current guard.
    func checkVerification(_ verification: TransactionVerification, _ validated: ValidatedRecords) throws {
        guard let header = validated.headers.first(where: { $0.isTransactional && $0.producerId >= 0 }) else { return }
        if log.producerState.entry(for: header.producerId)?.currentTransactionFirstOffset != nil { return }
        guard let guardValue = verification.guardValue, verificationGuards[header.producerId] == guardValue else {
            throw LogValidator.Failure(code: .invalidTxnState,
                                       message: "Producer \(header.producerId)'s transaction was not verified with its coordinator for \(topicPartition) (KIP-890)")
        }
    }
}

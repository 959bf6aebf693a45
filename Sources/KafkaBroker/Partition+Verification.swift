import KafkaLog
import KafkaProtocol

/// What a client append knows of KIP-890's verification: enforced (the broker's
/// `transaction.partition.verification.enable`, or a producer on transaction version 2), with the
/// guard the producer's verification got, or without one when none was needed (the producer had a
/// transaction open here at the batch's epoch when asked).
struct TransactionVerification: Sendable, Hashable {
    var guardValue: UInt64?
}

/// A verification in progress for one producer on one partition (Kafka's `VerificationStateEntry`):
/// the guard an append must present, the epoch it was started for, and whether the producer uses
/// transaction version 2 (its coordinator adds the partition rather than checking it).
struct VerificationGuard: Sendable, Hashable {
    var value: UInt64
    var producerEpoch: Int16
    var supportsEpochBump: Bool
}

extension Partition {
    /// Starts a verification for `producerID` at `producerEpoch` (Kafka's
    /// `maybeStartTransactionVerification`): nil when the producer has a transaction open here at that
    /// epoch (its batches need none); else a guard, which the append must present after the
    /// coordinator confirmed (or, for transaction version 2, added) the partition. A verification
    /// already in progress keeps its guard and how it began, and takes the higher epoch (as Kafka's
    /// `VerificationStateEntry`). A marker for the producer (its
    /// transaction ended meanwhile; for transaction version 2, at another epoch than the verification's)
    /// or a successful append clears it.
    func transactionVerificationGuard(producerID: Int64, producerEpoch: Int16, supportsEpochBump: Bool) -> UInt64? {
        lock.withLock {
            if let entry = log.producerState.entry(for: producerID), entry.currentTransactionFirstOffset != nil,
               entry.producerEpoch == producerEpoch {
                return nil
            }
            if var existing = verificationGuards[producerID] {
                existing.producerEpoch = max(existing.producerEpoch, producerEpoch)
                verificationGuards[producerID] = existing
                return existing.value
            }
            lastVerificationGuard &+= 1
            verificationGuards[producerID] = VerificationGuard(value: lastVerificationGuard, producerEpoch: producerEpoch,
                                                               supportsEpochBump: supportsEpochBump)
            return lastVerificationGuard
        }
    }

    /// Whether `producerID` has a transaction open here at `producerEpoch` (its batches need no
    /// verification; Kafka's `hasOngoingTransaction`).
    func hasOngoingTransaction(producerID: Int64, producerEpoch: Int16) -> Bool {
        lock.withLock {
            guard let entry = log.producerState.entry(for: producerID) else { return false }
            return entry.currentTransactionFirstOffset != nil && entry.producerEpoch == producerEpoch
        }
    }

    /// Forgets a verification that failed.
    func dropVerification(producerID: Int64, guardValue: UInt64) {
        lock.withLock {
            if verificationGuards[producerID]?.value == guardValue { verificationGuards[producerID] = nil }
        }
    }

    /// Under the lock: a transactional batch that would open a transaction (none is open for its
    /// producer at its epoch) needs a current guard.
    func checkVerification(_ verification: TransactionVerification, _ validated: ValidatedRecords) throws {
        guard let header = validated.headers.first(where: { $0.isTransactional && $0.producerId >= 0 }) else { return }
        if let entry = log.producerState.entry(for: header.producerId), entry.currentTransactionFirstOffset != nil,
           entry.producerEpoch == header.producerEpoch {
            return
        }
        guard let guardValue = verification.guardValue, verificationGuards[header.producerId]?.value == guardValue else {
            throw LogValidator.Failure(code: .invalidTxnState,
                                       message: "Producer \(header.producerId)'s transaction was not verified with its coordinator for \(topicPartition) (KIP-890)")
        }
    }
}

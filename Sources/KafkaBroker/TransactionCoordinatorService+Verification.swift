import KafkaMetadata
import KafkaProtocol

/// KIP-890 part 1, the partition leader's side (Kafka's `AddPartitionsToTxnManager`): before a
/// transactional producer's first batch of a transaction is written to a partition, its coordinator
/// is asked whether the partition is in the producer's ongoing transaction (AddPartitionsToTxn v4
/// with VerifyOnly, all partitions of one Produce request in one question). A batch that arrives late,
/// after its transaction ended, is refused instead of opening a transaction nobody will ever end
/// (which would hold the partition's last stable offset, and every read_committed consumer, forever).
///
/// KIP-890 part 2 (transaction version 2, Produce v12+ and TxnOffsetCommit v5): the producer no
/// longer sends AddPartitionsToTxn; the leader asks the coordinator to add the partitions
/// (AddPartitionsToTxn v5 without VerifyOnly), whatever `transaction.partition.verification.enable`
/// says. Until the previous transaction's markers are all written the coordinator answers
/// CONCURRENT_TRANSACTIONS; the leader asks again every `retryBackoffMs` for up to `retryMaxMs`
/// (Kafka's `add.partitions.to.txn.retry.backoff.ms` and `.max.ms`, 20 and 100), so the next
/// transaction's first batches cannot overtake the last one's markers.
///
/// The coordinator is this service when this node leads the id's `__transaction_state` partition,
/// else that partition's leader over its inter-broker listener (the markers' connections). Answers,
/// per partition, as Kafka's ReplicaManager gives them to producers: not in the transaction,
/// INVALID_TXN_STATE (TRANSACTION_ABORTABLE from Produce v11); a fenced epoch, INVALID_PRODUCER_EPOCH;
/// a coordinator that is loading, moving, unreachable or (before v12) finishing the previous
/// transaction, NOT_ENOUGH_REPLICAS, which every client retries without refreshing metadata; from
/// v12, a coordinator still finishing the previous transaction after the retries,
/// CONCURRENT_TRANSACTIONS (retriable too).
extension TransactionCoordinatorService {
    /// Each partition's answer, in the producer's terms for `produceVersion`.
    func verifyForProduce(transactionalID: String, producerID: Int64, producerEpoch: Int16, partitions: Set<TopicPartition>,
                          produceVersion: Int16) async -> [TopicPartition: ErrorCode] {
        let add = produceVersion >= Self.firstProduceVersionAddingPartitions
        var raw = await askCoordinator(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                                       partitions: partitions, add: add)
        if add {
            let giveUpAt = clock.nowMs() + min(Self.retryMaxMs, requestTimeoutMs)
            while raw.values.contains(.concurrentTransactions), clock.nowMs() + Self.retryBackoffMs <= giveUpAt {
                do { try await clock.sleep(forMs: Self.retryBackoffMs) } catch { break }
                raw = await askCoordinator(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                                           partitions: partitions, add: true)
            }
        }
        var out: [TopicPartition: ErrorCode] = [:]
        for tp in partitions { out[tp] = Self.producerError(raw[tp] ?? .networkException, produceVersion: produceVersion) }
        return out
    }

    /// Produce v12 is the first of transaction version 2.
    static let firstProduceVersionAddingPartitions: Int16 = 12
    /// Kafka's `add.partitions.to.txn.retry.backoff.ms` and `add.partitions.to.txn.retry.backoff.max.ms`.
    static let retryBackoffMs: Int64 = 20
    static let retryMaxMs: Int64 = 100

    /// Kafka's translation of the coordinator's answer for a producer.
    static func producerError(_ code: ErrorCode, produceVersion: Int16) -> ErrorCode {
        switch code {
        case .noError: .noError
        case .transactionAbortable, .invalidTxnState: produceVersion >= 11 ? .transactionAbortable : .invalidTxnState
        case .producerFenced, .invalidProducerEpoch, .invalidProducerIDMapping: .invalidProducerEpoch
        case .concurrentTransactions where produceVersion >= firstProduceVersionAddingPartitions: .concurrentTransactions
        case .concurrentTransactions, .networkException, .coordinatorLoadInProgress, .coordinatorNotAvailable, .notCoordinator,
             .requestTimedOut:
            .notEnoughReplicas
        default: code
        }
    }

    /// TxnOffsetCommit v0-4 with verification enabled (KIP-890 part 1, as Kafka 3.6+ verifies it):
    /// is the group's `__consumer_offsets` partition in the producer's ongoing transaction? Answers in
    /// the group coordinator's terms: not in it, INVALID_TXN_STATE (TRANSACTION_ABORTABLE from v4);
    /// a fenced epoch, INVALID_PRODUCER_EPOCH; an unreachable coordinator, COORDINATOR_LOAD_IN_PROGRESS
    /// or COORDINATOR_NOT_AVAILABLE (both retried by producers).
    func verifyOffsetsPartition(transactionalID: String, producerID: Int64, producerEpoch: Int16, partition: TopicPartition,
                                requestVersion: Int16) async -> ErrorCode {
        let code = await askCoordinator(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                                        partitions: [partition], add: false)[partition] ?? .networkException
        switch code {
        case .transactionAbortable, .invalidTxnState: return requestVersion >= 4 ? .transactionAbortable : .invalidTxnState
        default: return Self.groupCoordinatorError(code)
        }
    }

    /// How the group coordinator answers a failed add or verification (Kafka's
    /// `CoordinatorOperationExceptionHelper` after `AddPartitionsToTxnManager`).
    static func groupCoordinatorError(_ code: ErrorCode) -> ErrorCode {
        switch code {
        case .producerFenced: .invalidProducerEpoch
        case .networkException: .coordinatorLoadInProgress
        case .unknownTopicOrPartition, .notEnoughReplicas, .requestTimedOut: .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError: .notCoordinator
        default: code
        }
    }

    /// TxnOffsetCommit v5 (transaction version 2): the group's `__consumer_offsets` partition joins the
    /// producer's transaction, as AddOffsetsToTxn did (Kafka's `CoordinatorPartitionWriter`). No
    /// retries; the answer in the group coordinator's terms (`CoordinatorOperationExceptionHelper`):
    /// an unreachable coordinator is COORDINATOR_LOAD_IN_PROGRESS, a fenced epoch INVALID_PRODUCER_EPOCH,
    /// everything else as the coordinator said it (CONCURRENT_TRANSACTIONS too, which the producer retries).
    func addOffsetsPartition(transactionalID: String, producerID: Int64, producerEpoch: Int16, partition: TopicPartition) async -> ErrorCode {
        Self.groupCoordinatorError(await askCoordinator(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                                                        partitions: [partition], add: true)[partition] ?? .networkException)
    }

    /// The coordinator's own answer per partition: to a verification, or with `add` to adding them
    /// (for a producer on transaction version 2).
    private func askCoordinator(transactionalID: String, producerID: Int64, producerEpoch: Int16,
                                partitions: Set<TopicPartition>, add: Bool) async -> [TopicPartition: ErrorCode] {
        func all(_ code: ErrorCode) -> [TopicPartition: ErrorCode] { Dictionary(uniqueKeysWithValues: partitions.map { ($0, code) }) }
        let image = metadata.image
        guard let topic = image.topic(named: Self.topic), !topic.partitions.isEmpty else { return all(.coordinatorNotAvailable) }
        let index = CoordinatorPartitioner.partition(for: transactionalID, partitionCount: Int32(topic.partitions.count))
        guard let leader = topic.partitions[index]?.leader, leader >= 0 else { return all(.coordinatorNotAvailable) }
        if leader == nodeID {
            if add {
                return all(await addPartitions(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                                               partitions: partitions, transactionVersion: 2))
            }
            return verifyPartitions(transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                                    partitions: partitions)
        }
        guard let channel = channel(to: leader, image: image) else { return all(.coordinatorNotAvailable) }
        let request = AddPartitionsToTxnRequest(transactions: [.init(
            transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch, verifyOnly: !add,
            topics: Dictionary(grouping: partitions, by: \.topic).sorted { $0.key < $1.key }
                .map { .init(name: $0.key, partitions: $0.value.map(\.partition).sorted()) })])
        do {
            let response = try await channel.send(request, version: add ? 5 : 4, timeoutMs: requestTimeoutMs)
            if response.errorCode != 0 { return all(ErrorCode(rawValue: response.errorCode)) }
            var codes: [TopicPartition: ErrorCode] = [:]
            for result in response.resultsByTransaction where result.transactionalID == transactionalID {
                for topic in result.topicResults {
                    for p in topic.resultsByPartition { codes[TopicPartition(topic.name, p.partitionIndex)] = ErrorCode(rawValue: p.partitionErrorCode) }
                }
            }
            return codes
        } catch {
            logger.info("could not verify a transaction with its coordinator", metadata: [
                "transactional_id": "\(transactionalID)", "kafka.coordinator": "\(leader)", "error": "\(error)",
            ])
            return all(.networkException)
        }
    }
}

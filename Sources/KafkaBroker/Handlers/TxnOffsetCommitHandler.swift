import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// TxnOffsetCommit: a transactional producer commits a group's offsets within its transaction,
/// at the group's coordinator (see `GroupCoordinatorService.commitTransactional`); they become the
/// group's committed offsets when the transaction commits. Partitions not in the metadata get
/// UNKNOWN_TOPIC_OR_PARTITION, as in Kafka; the others are committed. Strings too long for a group
/// record are INVALID_REQUEST (`GroupRequestLimits`).
///
/// Before v5, with `transaction.partition.verification.enable` (KIP-890 part 1, as Kafka 3.6+), the
/// transaction coordinator is first asked whether the group's partition is in the producer's ongoing
/// transaction, unless the producer has one open there at its epoch: a commit that arrives after its
/// transaction ended would otherwise leave offsets pending that no marker ever completes (and
/// OffsetFetch with require_stable answering UNSTABLE_OFFSET_COMMIT for them for good). Not in it:
/// INVALID_TXN_STATE (TRANSACTION_ABORTABLE from v4). The check is not held to the append (Kafka
/// guards that window too): a producer would have to end its transaction while its own
/// TxnOffsetCommit is in flight.
///
/// v5 (the layout of v4) is transaction version 2: the producer sent no AddOffsetsToTxn, so the
/// group's `__consumer_offsets` partition is first added to its transaction here (see
/// `TransactionCoordinatorService.addOffsetsPartition`); a node that does not lead that partition
/// answers NOT_COORDINATOR, and an add that fails answers every partition with its error.
///
/// Authorization comes first, as in Kafka: WRITE on the transactional id (else every partition is
/// TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on the group (else GROUP_AUTHORIZATION_FAILED), READ on
/// each topic (else its partitions are TOPIC_AUTHORIZATION_FAILED).
struct TxnOffsetCommitHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let groups: GroupCoordinatorService
    let metadata: MetadataService
    let transactions: TransactionCoordinatorService
    let replicas: ReplicaManager
    /// `transaction.partition.verification.enable`: whether commits before v5 are verified.
    var verificationEnabled = true

    func handle(_ request: TxnOffsetCommitRequest, context: RequestContext) async -> TxnOffsetCommitResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return GroupCoordinator.txnCommitError(request, .invalidRequest).logged(problem, context: context)
        }
        guard context.authorize(.write, .transactionalId, request.transactionalID) else {
            return GroupCoordinator.txnCommitError(request, .transactionalIDAuthorizationFailed)
        }
        guard context.authorize(.read, .group, request.groupID) else {
            return GroupCoordinator.txnCommitError(request, .groupAuthorizationFailed)
        }
        let readable = context.authorizedNames(.read, .topic, request.topics.map(\.name))
        let image = metadata.image
        if context.apiVersion >= 5 {
            let code = await addOffsetsPartition(request, image: image)
            if code != .noError { return GroupCoordinator.txnCommitError(request, code) }
        } else if verificationEnabled {
            let code = await verifyOffsetsPartition(request, image: image, version: context.apiVersion)
            if code != .noError {
                context.logger.debug("transactional offset commit refused", metadata: [
                    "transactional_id": "\(request.transactionalID)", "kafka.group": "\(request.groupID)", "kafka.error": "\(code)",
                ])
                return GroupCoordinator.txnCommitError(request, code)
            }
        }
        var known = request
        var missing: [(TopicPartition, ErrorCode)] = []
        known.topics = request.topics.compactMap { topic in
            var t = topic
            t.partitions = topic.partitions.filter { p in
                guard readable.contains(topic.name) else {
                    missing.append((TopicPartition(topic.name, p.partitionIndex), .topicAuthorizationFailed))
                    return false
                }
                let exists = image.topic(named: topic.name)?.partitions[p.partitionIndex] != nil
                if !exists { missing.append((TopicPartition(topic.name, p.partitionIndex), .unknownTopicOrPartition)) }
                return exists
            }
            return t.partitions.isEmpty ? nil : t
        }
        var response = known.topics.isEmpty ? TxnOffsetCommitResponse() : await context.parked { await groups.commitTransactional(known) }
        for (tp, code) in missing {
            let result = TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic.TxnOffsetCommitResponsePartition(
                partitionIndex: tp.partition, errorCode: code.rawValue)
            if let i = response.topics.firstIndex(where: { $0.name == tp.topic }) {
                response.topics[i].partitions.append(result)
            } else {
                response.topics.append(.init(name: tp.topic, partitions: [result]))
            }
        }
        return response
    }

    /// The group's `__consumer_offsets` partition and its leader (-1 without one), nil before the
    /// topic exists.
    private static func offsetsPartition(of groupID: String, image: MetadataImage) -> (TopicPartition, leader: Int32)? {
        guard let offsets = image.topic(named: ConsumerOffsetsLog.topic), !offsets.partitions.isEmpty else { return nil }
        let index = CoordinatorPartitioner.partition(for: groupID, partitionCount: Int32(offsets.partitions.count))
        return (TopicPartition(ConsumerOffsetsLog.topic, index), offsets.partitions[index]?.leader ?? -1)
    }

    /// KIP-890 part 1 for the group's partition. Nothing to check when this node does not lead it
    /// (the group coordinator answers NOT_COORDINATOR) or the producer has a transaction open there.
    private func verifyOffsetsPartition(_ request: TxnOffsetCommitRequest, image: MetadataImage, version: Int16) async -> ErrorCode {
        guard let (tp, leader) = Self.offsetsPartition(of: request.groupID, image: image) else { return .noError }
        guard leader == metadata.nodeID, let replica = replicas.replica(tp),
              !replica.hasOngoingTransaction(producerID: request.producerID, producerEpoch: request.producerEpoch) else { return .noError }
        return await transactions.verifyOffsetsPartition(transactionalID: request.transactionalID, producerID: request.producerID,
                                                         producerEpoch: request.producerEpoch, partition: tp, requestVersion: version)
    }

    /// Transaction version 2's implicit AddOffsetsToTxn, at the leader of the group's partition.
    private func addOffsetsPartition(_ request: TxnOffsetCommitRequest, image: MetadataImage) async -> ErrorCode {
        guard let (tp, leader) = Self.offsetsPartition(of: request.groupID, image: image) else { return .coordinatorNotAvailable }
        guard leader == metadata.nodeID else { return .notCoordinator }
        return await transactions.addOffsetsPartition(transactionalID: request.transactionalID, producerID: request.producerID,
                                                      producerEpoch: request.producerEpoch, partition: tp)
    }
}

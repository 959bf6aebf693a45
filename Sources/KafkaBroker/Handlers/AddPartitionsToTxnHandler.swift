import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaTransactions

/// AddPartitionsToTxn: v0-3 from a producer, one transaction; v4-5 from partition leaders (KIP-890),
/// any number of transactions, each either added to (for a producer on transaction version 2, whose
/// Produce v12+ or TxnOffsetCommit v5 adds its partitions implicitly) or, with VerifyOnly, only
/// checked (is each partition in the producer's open transaction? TRANSACTION_ABORTABLE when not).
///
/// Partitions not in the metadata get UNKNOWN_TOPIC_OR_PARTITION and the transaction's other
/// partitions OPERATION_NOT_ATTEMPTED: nothing is added, as in Kafka. Otherwise one coordinator answer
/// goes to every partition (see `TransactionCoordinator.addPartitions`). Before v2, PRODUCER_FENCED
/// is INVALID_PRODUCER_EPOCH.
///
/// Authorization, as Kafka's: v4+ comes from brokers and needs CLUSTER_ACTION on the cluster (else a
/// top-level CLUSTER_AUTHORIZATION_FAILED). v0-3 needs WRITE on the transactional id (else every
/// partition is TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and WRITE on each topic, internal topics never
/// (else TOPIC_AUTHORIZATION_FAILED, the other partitions OPERATION_NOT_ATTEMPTED).
struct AddPartitionsToTxnHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...5

    let metadata: MetadataService
    let transactions: TransactionCoordinatorService

    private typealias TopicResult = AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult

    func handle(_ request: AddPartitionsToTxnRequest, context: RequestContext) async -> AddPartitionsToTxnResponse? {
        let image = metadata.image
        var response = AddPartitionsToTxnResponse()
        if context.apiVersion >= 4 && !context.authorizeCluster(.clusterAction) {
            response.errorCode = ErrorCode.clusterAuthorizationFailed.rawValue
            return response
        }
        if context.apiVersion < 4 {
            let partitions = request.v3AndBelowTopics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0) } }
            guard context.authorize(.write, .transactionalId, request.v3AndBelowTransactionalID) else {
                response.resultsByTopicV3AndBelow = Self.results(Dictionary(partitions.map { ($0, .transactionalIDAuthorizationFailed) },
                                                                            uniquingKeysWith: { a, _ in a }))
                return response
            }
            let writable = context.authorizedNames(.write, .topic, partitions.map(\.topic).filter { !TopicName.internalTopics.contains($0) })
            if partitions.contains(where: { !writable.contains($0.topic) }) {
                response.resultsByTopicV3AndBelow = Self.results(Dictionary(partitions.map {
                    ($0, writable.contains($0.topic) ? (image.topic(named: $0.topic)?.partitions[$0.partition] == nil
                        ? .unknownTopicOrPartition : .operationNotAttempted) : .topicAuthorizationFailed)
                }, uniquingKeysWith: { a, _ in a }))
                return response
            }
            let codes = await add(transactionalID: request.v3AndBelowTransactionalID, producerID: request.v3AndBelowProducerID,
                                  producerEpoch: request.v3AndBelowProducerEpoch, topics: request.v3AndBelowTopics, verifyOnly: false,
                                  image: image, version: context.apiVersion)
            response.resultsByTopicV3AndBelow = Self.results(codes)
            return response
        }
        for transaction in request.transactions {
            let codes = await add(transactionalID: transaction.transactionalID, producerID: transaction.producerID,
                                  producerEpoch: transaction.producerEpoch, topics: transaction.topics, verifyOnly: transaction.verifyOnly,
                                  image: image, version: context.apiVersion)
            response.resultsByTransaction.append(.init(transactionalID: transaction.transactionalID, topicResults: Self.results(codes)))
        }
        return response
    }

    private func add(transactionalID: String, producerID: Int64, producerEpoch: Int16,
                     topics: [AddPartitionsToTxnRequest.AddPartitionsToTxnTopic], verifyOnly: Bool,
                     image: MetadataImage, version: Int16) async -> [TopicPartition: ErrorCode] {
        let partitions = Set(topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0) } })
        let unknown = partitions.filter { image.topic(named: $0.topic)?.partitions[$0.partition] == nil }
        if !unknown.isEmpty {
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, unknown.contains($0) ? .unknownTopicOrPartition : .operationNotAttempted) })
        }
        if verifyOnly {
            return await transactions.verifyPartitions(transactionalID: transactionalID, producerID: producerID,
                                                       producerEpoch: producerEpoch, partitions: partitions)
        }
        // A leader's add (v4+ without VerifyOnly) is for a producer using transaction version 2.
        let code = await transactions.addPartitions(transactionalID: transactionalID, producerID: producerID,
                                                    producerEpoch: producerEpoch, partitions: partitions,
                                                    transactionVersion: version >= 4 ? 2 : 0)
        let answer = CoordinatorError.forClient(code, firstVersionWithProducerFenced: 2, version: version)
        return Dictionary(uniqueKeysWithValues: partitions.map { ($0, answer) })
    }

    private static func results(_ codes: [TopicPartition: ErrorCode]) -> [TopicResult] {
        Dictionary(grouping: codes.keys, by: \.topic).sorted { $0.key < $1.key }.map { topic, partitions in
            TopicResult(name: topic, resultsByPartition: partitions.sorted().map {
                .init(partitionIndex: $0.partition, partitionErrorCode: codes[$0]!.rawValue)
            })
        }
    }
}

import KafkaProtocol
import KafkaReplication
import Logging

/// Sends the ISR changes that partition leaders propose to the active controller (Kafka's
/// `AlterPartitionManager`): AlterPartition v3 (`NewIsrWithEpochs`), every pending proposal in one
/// request, one request in flight at a time, and hands each partition its answer.
///
/// Invariants: at most one proposal per partition is pending (a newer one replaces it: the leader state
/// proposes one at a time anyway); a proposal is answered exactly once, with the controller's result,
/// or with a retriable error when the request failed as a whole (the leader state proposes again).
actor AlterPartitionManager {
    struct Item: Sendable {
        var topicPartition: TopicPartition
        var topicID: KafkaUUID
        var proposal: AlterPartitionProposal
    }

    typealias Answer = @Sendable (TopicPartition, AlterPartitionProposal, Result<LeaderAndIsr, ReplicationError>) -> Void
    typealias Send = @Sendable (AlterPartitionRequest) async -> AlterPartitionResponse?

    static let version: Int16 = 3

    private let nodeID: Int32
    private let brokerEpoch: @Sendable () -> Int64
    private let send: Send
    private let answer: Answer
    private let clock: NodeClock
    private let logger: Logger
    /// How long a failed proposal waits before its partition hears of it (and may propose again).
    static let retryBackoffMs: Int64 = 100
    private var pending: [TopicPartition: Item] = [:]
    private var inFlight = false

    init(nodeID: Int32, brokerEpoch: @escaping @Sendable () -> Int64, send: @escaping Send, answer: @escaping Answer, clock: NodeClock, logger: Logger) {
        self.clock = clock
        self.nodeID = nodeID
        self.brokerEpoch = brokerEpoch
        self.send = send
        self.answer = answer
        self.logger = logger
    }

    /// Queues `item` and sends it (with whatever else is pending) unless a request is in flight.
    func submit(_ item: Item) {
        pending[item.topicPartition] = item
        guard !inFlight else { return }
        inFlight = true
        Task { await self.drain() }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending
            pending = [:]
            await exchange(Array(batch.values))
        }
        inFlight = false
    }

    private func exchange(_ items: [Item]) async {
        var request = AlterPartitionRequest()
        request.brokerID = nodeID
        request.brokerEpoch = brokerEpoch()
        var byTopic: [KafkaUUID: AlterPartitionRequest.TopicData] = [:]
        for item in items {
            var p = AlterPartitionRequest.TopicData.PartitionData()
            p.partitionIndex = item.topicPartition.partition
            p.leaderEpoch = item.proposal.leaderEpoch
            p.partitionEpoch = item.proposal.partitionEpoch
            p.newIsrWithEpochs = item.proposal.newIsrWithEpochs.map { .init(brokerID: $0.brokerId, brokerEpoch: $0.brokerEpoch) }
            p.leaderRecoveryState = 0
            byTopic[item.topicID, default: .init(topicName: item.topicPartition.topic, topicID: item.topicID)].partitions.append(p)
        }
        request.topics = Array(byTopic.values)
        logger.info("proposing ISR changes", metadata: [
            "kafka.partitions": "\(items.map { "\($0.topicPartition) isr=\($0.proposal.newIsr)" })",
        ])
        let response = await send(request)
        guard let response, response.errorCode == 0 else {
            let code = response.map { ErrorCode(rawValue: $0.errorCode) }
            logger.info("AlterPartition failed as a whole", metadata: ["kafka.error": "\(code.map { "\($0)" } ?? "no answer")"])
            let error = ReplicationError(code: response?.errorCode ?? ErrorCode.requestTimedOut.rawValue)
            try? await clock.sleep(forMs: Self.retryBackoffMs)
            for item in items { answer(item.topicPartition, item.proposal, .failure(error)) }
            return
        }
        if response.topics.contains(where: { $0.partitions.contains { $0.errorCode != 0 } }) {
            try? await clock.sleep(forMs: Self.retryBackoffMs)
        }
        var answered = Set<TopicPartition>()
        for topic in response.topics {
            for p in topic.partitions {
                guard let item = items.first(where: {
                    $0.topicPartition.partition == p.partitionIndex && ($0.topicID == topic.topicID || $0.topicPartition.topic == topic.topicName)
                }) else { continue }
                answered.insert(item.topicPartition)
                if p.errorCode != 0 {
                    answer(item.topicPartition, item.proposal, .failure(ReplicationError(code: p.errorCode)))
                } else {
                    answer(item.topicPartition, item.proposal, .success(LeaderAndIsr(
                        leader: p.leaderID, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: p.isr)))
                }
            }
        }
        for item in items where !answered.contains(item.topicPartition) {
            answer(item.topicPartition, item.proposal, .failure(.unknownTopicOrPartition))
        }
    }
}

import KafkaClient
import KafkaMetadata
import KafkaProtocol
import KafkaTransactions

/// Sending a transaction's markers (Kafka's `TransactionMarkerChannelManager`): one WriteTxnMarkers
/// per leader, all at once; this node's own partitions are written directly.
extension TransactionCoordinatorService {
    /// Each partition's outcome: a partition whose topic is gone is deleted; one without a leader,
    /// or whose leader cannot be reached or answered with a retriable error, is retried.
    func send(_ markers: TransactionMarkers) async -> [TopicPartition: MarkerOutcome] {
        let image = metadata.image
        var outcomes: [TopicPartition: MarkerOutcome] = [:]
        var byLeader: [Int32: [TopicPartition]] = [:]
        for tp in markers.partitions.sorted() {
            guard let registration = image.topic(named: tp.topic)?.partitions[tp.partition] else {
                outcomes[tp] = .partitionDeleted
                continue
            }
            guard registration.leader >= 0 else {
                outcomes[tp] = .retry(.leaderNotAvailable)
                continue
            }
            byLeader[registration.leader, default: []].append(tp)
        }
        let results = await withTaskGroup(of: [TopicPartition: ErrorCode].self) { group in
            for (leader, partitions) in byLeader {
                let marker = TransactionMarkerWriter.Marker(
                    producerID: markers.producerID, producerEpoch: markers.producerEpoch, coordinatorEpoch: markers.coordinatorEpoch,
                    commit: markers.result.committed, partitions: partitions)
                if leader == nodeID {
                    let writer = self.writer, timeout = requestTimeoutMs
                    group.addTask { await writer.write([marker], image: image, timeoutMs: timeout).first ?? [:] }
                } else {
                    let channel = self.channel(to: leader, image: image), timeout = requestTimeoutMs
                    group.addTask { await Self.sendRemote(marker, over: channel, timeoutMs: timeout) }
                }
            }
            var all: [TopicPartition: ErrorCode] = [:]
            for await codes in group { all.merge(codes) { $1 } }
            return all
        }
        for (tp, code) in results {
            outcomes[tp] = MarkerOutcome(code, topicExists: image.topic(named: tp.topic) != nil)
        }
        // A partition nobody answered for (no endpoint for its leader) is retried.
        for tp in markers.partitions where outcomes[tp] == nil { outcomes[tp] = .retry(.networkException) }
        return outcomes
    }

    /// The connection to `broker`'s inter-broker listener, opened on first use; nil when the broker
    /// has no such endpoint in the image.
    func channel(to broker: Int32, image: MetadataImage) -> KafkaChannel? {
        guard let endpoint = image.brokers[broker]?.endpoint(named: interBrokerListener) else { return nil }
        if let existing = channels[broker], existing.host == endpoint.host, existing.port == Int(endpoint.port) { return existing }
        let channel = KafkaChannel(host: endpoint.host, port: Int(endpoint.port), clientID: "strom-txn-markers-\(nodeID)", logger: logger,
                                        security: interBrokerSecurity)
        channels[broker] = channel
        return channel
    }

    private static func sendRemote(_ marker: TransactionMarkerWriter.Marker, over channel: KafkaChannel?,
                                   timeoutMs: Int64) async -> [TopicPartition: ErrorCode] {
        guard let channel else { return [:] }
        let request = WriteTxnMarkersRequest(markers: [.init(
            producerID: marker.producerID, producerEpoch: marker.producerEpoch, transactionResult: marker.commit,
            topics: Dictionary(grouping: marker.partitions, by: \.topic).map { .init(name: $0.key, partitionIndexes: $0.value.map(\.partition)) },
            coordinatorEpoch: marker.coordinatorEpoch)])
        do {
            // The leader answers within its own request timeout; allow for the round trip.
            let response = try await channel.send(request, version: 1, timeoutMs: timeoutMs + 5_000)
            var codes: [TopicPartition: ErrorCode] = [:]
            for topic in response.markers.first?.topics ?? [] {
                for p in topic.partitions { codes[TopicPartition(topic.name, p.partitionIndex)] = ErrorCode(rawValue: p.errorCode) }
            }
            return codes
        } catch {
            return Dictionary(uniqueKeysWithValues: marker.partitions.map { ($0, .networkException) })
        }
    }
}

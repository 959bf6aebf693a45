import BrokerTestKit
@testable import KafkaBroker
import KafkaProtocol
import KafkaTestKit
import Testing

extension TestBroker {
    /// Asks FindCoordinator for transactional id `key` until `__transaction_state` exists with a
    /// leader for every partition, as a client keeps asking: each ask may start the topic's
    /// creation (an attempt that fails is only retried by the next ask), and between asks the wait
    /// is for the metadata that shows the topic, at most a second. Then waits until this node has
    /// loaded `key`'s partition.
    func waitForTransactionCoordinator(_ client: TestKafkaClient, key: String) async throws {
        let ready: @Sendable (MetadataPublication.View) -> Bool = { view in
            view.image.topic(named: TransactionCoordinatorService.topic)?.partitions.values.allSatisfy { $0.leader >= 0 } == true
        }
        var asks = 0
        while !ready(metadata.publication.view) {
            asks += 1
            guard asks <= 300 else {
                Issue.record("__transaction_state was not created after \(asks) FindCoordinator requests")
                return
            }
            _ = try await client.send(FindCoordinatorRequest(key: key, keyType: 1), version: 3)
            _ = await metadata.publication.wait(until: ready, deadlineMs: metadata.clock.nowMs() + 1_000)
        }
        await node.transactions.waitUntil { $0.ownedPartitions[$0.partition(for: key)] != nil }
    }
}

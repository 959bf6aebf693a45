import KafkaReplication
import Testing

/// The simulation's adapter to the real controller: each call reaches KafkaController and the answers come
/// from the replayed image.
@Suite struct KafkaControllerModelTests {
    /// Brokers 1-3 registered (incarnation 0), then unfenced in id order: broker 1 leads.
    private func cluster() -> (KafkaControllerModel, [Int32: Int64]) {
        var controller = KafkaControllerModel(replicas: [1, 2, 3])
        var epochs: [Int32: Int64] = [:]
        for id: Int32 in 1...3 { epochs[id] = controller.registerBroker(id, incarnation: 0, cleanShutdown: true) }
        for id: Int32 in 1...3 { _ = controller.unfenceBroker(id) }
        return (controller, epochs)
    }

    @Test func registrationFencesAtTheRecordsOffsetAndUnfencingElects() {
        var controller = KafkaControllerModel(replicas: [1, 2, 3])
        let epoch = controller.registerBroker(2, incarnation: 0, cleanShutdown: true)
        #expect(epoch == controller.image.provenance.offset, "the broker epoch is the registration record's offset")
        #expect(controller.brokerStatus(2) == FollowerBrokerStatus(aliveBrokerEpoch: epoch, isFenced: true))
        #expect(controller.brokerStatus(1) == FollowerBrokerStatus(aliveBrokerEpoch: nil, isFenced: true))
        let retried = controller.registerBroker(2, incarnation: 0, cleanShutdown: true)
        #expect(retried == epoch, "a retried registration keeps its epoch")
        let unfenced = controller.unfenceBroker(2), again = controller.unfenceBroker(2)
        #expect(unfenced && !again, "unfenced once; then nothing changes")
        #expect(controller.registration == LeaderAndIsr(leader: 2, leaderEpoch: 1, partitionEpoch: 1, isr: [1, 2, 3], replicas: [1, 2, 3]))
    }

    @Test func fencingMovesTheLeadershipAndKeepsTheLastMember() {
        var (controller, _) = cluster()
        #expect(controller.registration.leader == 1)
        let fenced = controller.fenceBroker(1)
        #expect(fenced)
        #expect(controller.registration == LeaderAndIsr(leader: 2, leaderEpoch: 2, partitionEpoch: 2, isr: [2, 3], replicas: [1, 2, 3]))
        _ = controller.fenceBroker(2)
        _ = controller.fenceBroker(3)
        let again = controller.fenceBroker(3)
        #expect(!again, "already fenced")
        #expect(controller.registration.leader == -1 && controller.registration.isr == [3])
    }

    /// Kafka 3.9's behaviour, unlike the modeled controller's KIP-966 rule: the last member back from an
    /// unclean shutdown keeps its place and leads again.
    @Test func theLastMemberBackFromAnUncleanShutdownLeadsAgain() {
        var (real, _) = cluster()
        var modeled = ModeledController(replicas: [1, 2, 3])
        for id: Int32 in 1...3 { _ = modeled.registerBroker(id, incarnation: 0, cleanShutdown: true) }
        for id: Int32 in 1...3 { _ = modeled.unfenceBroker(id) }
        for id: Int32 in [2, 3, 1] {
            _ = real.fenceBroker(id)
            _ = modeled.fenceBroker(id)
        }
        #expect(real.registration.isr == [1] && modeled.registration.isr == [3])
        _ = real.registerBroker(1, incarnation: 1, cleanShutdown: false)
        _ = real.unfenceBroker(1)
        #expect(real.registration.leader == 1 && real.registration.isr == [1])
        _ = modeled.registerBroker(3, incarnation: 1, cleanShutdown: false)
        #expect(modeled.registration.leader == -1 && modeled.registration.isr.isEmpty)
        #expect(!real.removesUncleanLastIsrMember && modeled.removesUncleanLastIsrMember)
    }

    @Test func alterPartitionAnswersFromTheCommittedImage() {
        var (controller, epochs) = cluster()
        let leaderEpoch = controller.registration.leaderEpoch, partitionEpoch = controller.registration.partitionEpoch
        func proposal(_ isr: [Int32], partitionEpoch: Int32) -> AlterPartitionProposal {
            AlterPartitionProposal(leader: 1, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch,
                                   newIsrWithEpochs: isr.map { BrokerState(brokerId: $0, brokerEpoch: epochs[$0]!) })
        }
        let stale = controller.alterPartition(proposal([1, 2], partitionEpoch: partitionEpoch), brokerEpoch: epochs[1]! + 1)
        #expect(stale == .failure(.other(code: 77)), "STALE_BROKER_EPOCH for the sender")
        let shrunk = controller.alterPartition(proposal([1, 2], partitionEpoch: partitionEpoch), brokerEpoch: epochs[1]!)
        #expect(shrunk == .success(LeaderAndIsr(leader: 1, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch + 1, isr: [1, 2])))
        #expect(controller.registration.isr == [1, 2] && controller.registration.partitionEpoch == partitionEpoch + 1)
        let outdated = controller.alterPartition(proposal([1], partitionEpoch: partitionEpoch), brokerEpoch: epochs[1]!)
        #expect(outdated == .failure(.invalidUpdateVersion))
        _ = controller.fenceBroker(3)
        let ineligible = controller.alterPartition(proposal([1, 2, 3], partitionEpoch: controller.registration.partitionEpoch),
                                                   brokerEpoch: epochs[1]!)
        #expect(ineligible == .failure(.ineligibleReplica), "a fenced broker may not join")
    }
}

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

    @Test func fencingMovesTheLeadershipAndTheLastMemberGoesToTheELR() {
        var (controller, _) = cluster()
        #expect(controller.registration.leader == 1)
        let fenced = controller.fenceBroker(1)
        #expect(fenced)
        #expect(controller.registration == LeaderAndIsr(leader: 2, leaderEpoch: 2, partitionEpoch: 2, isr: [2, 3], replicas: [1, 2, 3]))
        _ = controller.fenceBroker(2)
        _ = controller.fenceBroker(3)
        let again = controller.fenceBroker(3)
        #expect(!again, "already fenced")
        #expect(controller.registration.leader == -1 && controller.registration.isr.isEmpty)
        #expect(controller.eligibleLeaderReplicas == [3] && !controller.isOfflineForGood, "min.insync.replicas 1: the last member")
    }

    /// The ISR's last member back from a clean shutdown stays eligible and leads again; back from an unclean
    /// one it leaves the ELR (KIP-966) and comes back only as the last known leader, by an unclean election.
    /// The modeled controller has no ELR: the partition stays offline.
    @Test func theLastMemberBackFromAnUncleanShutdownLeadsOnlyUncleanly() {
        for cleanShutdown in [true, false] {
            var (real, _) = cluster()
            var modeled = ModeledController(replicas: [1, 2, 3])
            for id: Int32 in 1...3 { _ = modeled.registerBroker(id, incarnation: 0, cleanShutdown: true) }
            for id: Int32 in 1...3 { _ = modeled.unfenceBroker(id) }
            for id: Int32 in [2, 3, 1] {
                _ = real.fenceBroker(id)
                _ = modeled.fenceBroker(id)
            }
            #expect(real.registration.isr.isEmpty && real.eligibleLeaderReplicas == [1] && modeled.registration.isr == [3])
            _ = real.registerBroker(1, incarnation: 1, cleanShutdown: cleanShutdown)
            #expect(real.eligibleLeaderReplicas == (cleanShutdown ? [1] : []))
            _ = real.unfenceBroker(1)
            #expect(real.registration.leader == 1 && real.registration.isr == [1])
            #expect(real.electedUncleanly == !cleanShutdown)
            _ = modeled.registerBroker(3, incarnation: 1, cleanShutdown: cleanShutdown)
            #expect(modeled.registration.isr == (cleanShutdown ? [3] : []) && modeled.isOfflineForGood == !cleanShutdown)
        }
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

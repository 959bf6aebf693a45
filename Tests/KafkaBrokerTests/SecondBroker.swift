import BrokerTestKit
import KafkaProtocol
import Testing

extension TestBroker {
    /// Registers broker 2 by hand over `controller` (a client of this node's controller listener), with one
    /// PLAINTEXT listener where nothing listens, and heartbeats until the controller unfenced it; returns its
    /// broker epoch. The broker serves nothing: tests play its part with requests of their own.
    func registerSecondBroker(controller: TestKafkaClient) async throws -> Int64 {
        var registration = BrokerRegistrationRequest()
        registration.brokerID = 2
        registration.clusterID = metadata.clusterID
        registration.incarnationID = KafkaUUID(mostSignificantBits: 2, leastSignificantBits: 2)
        registration.listeners = [.init(name: "PLAINTEXT", host: "127.0.0.1", port: 1, securityProtocol: 0)]
        registration.features = [.init(name: "metadata.version", minSupportedVersion: 7, maxSupportedVersion: 21),
                                 .init(name: "transaction.version", minSupportedVersion: 0, maxSupportedVersion: 2)]
        let registered = try await controller.send(registration, version: 4)
        #expect(registered.errorCode == 0)
        let unfenced = try await controller.send(BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: registered.brokerEpoch,
                                                                        currentMetadataOffset: metadata.image.provenance.offset),
                                                 version: 1)
        #expect(unfenced.errorCode == 0 && !unfenced.isFenced)
        return registered.brokerEpoch
    }
}

import BrokerTestKit
import Foundation
@testable import KafkaBroker
import KafkaMetadata
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import StromConfig
import Testing

/// What operators read: JSON log lines a parser takes, the start-up configuration with its secrets
/// hidden, progress counts written as people write them.
@Suite struct OperatorLogTests {
    @Test func jsonLinesParseAndCarryTheMetadata() throws {
        let lines = NIOLockedValueBox<[String]>([])
        var handler = JSONLogHandler(label: "strom", write: { line in lines.withLockedValue { $0.append(line) } })
        handler.logLevel = .debug
        handler[metadataKey: "net.listener"] = "PLAINTEXT"
        let logger = Logger(label: "strom", factory: { _ in handler })
        logger.info("a \"quoted\" message\nwith a newline and a tab\t", metadata: [
            "kafka.topic": "orders", "nested": ["a": "1", "list": ["x", "y"]], "control": "\u{01}",
        ])
        logger.trace("below the level")
        let written = lines.withLockedValue { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.hasSuffix("}\n") && !line.dropLast().contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["logger"] as? String == "strom")
        #expect(object["message"] as? String == "a \"quoted\" message\nwith a newline and a tab\t")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["kafka.topic"] as? String == "orders")
        #expect(metadata["net.listener"] as? String == "PLAINTEXT")
        #expect(metadata["control"] as? String == "\u{01}")
        #expect((metadata["nested"] as? [String: Any])?["list"] as? [String] == ["x", "y"])
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.count == 24 && timestamp.hasSuffix("Z"))
        // 2023-11-14T22:13:20.123Z is 1,700,000,000,123 ms after the epoch.
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_700_000_000.123)) == "2023-11-14T22:13:20.123Z")
    }

    @Test func startUpConfigurationHidesPasswords() throws {
        let layers = try ConfigLayers(file: [
            "ssl.keystore.password": "p1", "listener.name.client.ssl.key.password": "p2",
            "listener.name.client.plain.sasl.jaas.config": "… password=\"p3\";", "ssl.keystore.key": "-----BEGIN…",
            "ssl.truststore.location": "/etc/ca.pem", "node.id": "1",
        ], environment: [:], overrides: [])
        let masked = layers.maskedProperties
        #expect(masked["ssl.keystore.password"] == "[hidden]")
        #expect(masked["listener.name.client.ssl.key.password"] == "[hidden]")
        #expect(masked["listener.name.client.plain.sasl.jaas.config"] == "[hidden]")
        #expect(masked["ssl.keystore.key"] == "[hidden]")
        #expect(masked["ssl.truststore.location"] == "/etc/ca.pem")
        #expect(masked["node.id"] == "1")
    }

    /// A logger whose JSON lines (info and above) are kept, and a way to read them back.
    static func capturingLogger() -> (Logger, @Sendable () -> [(message: String, metadata: [String: String])]) {
        let lines = NIOLockedValueBox<[String]>([])
        var handler = JSONLogHandler(label: "strom", write: { line in lines.withLockedValue { $0.append(line) } })
        handler.logLevel = .info
        let logger = Logger(label: "strom", factory: { _ in handler })
        return (logger, {
            lines.withLockedValue { $0 }.compactMap { line -> (message: String, metadata: [String: String])? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let message = object["message"] as? String else { return nil }
                return (message, (object["metadata"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String })
            }
        })
    }

    /// One line per state change, from the node that applies it: each broker unfenced once however many
    /// heartbeats follow, a controlled shutdown entered and the fencing that ends it (with the active
    /// controller's reason), and the ISR change it makes. A second broker is registered by hand over
    /// the controller listener and only heartbeats (see `registerSecondBroker`).
    @Test func stateChangesAreLoggedOnceEachAsTheyAreApplied() async throws {
        let (logger, logged) = Self.capturingLogger()
        let broker = try await TestBroker(overrides: ["broker.heartbeat.interval.ms": "100"], logger: logger)
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let epoch = try await broker.registerSecondBroker(controller: controller)
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "r", numPartitions: -1, replicationFactor: -1, assignments: [
            .init(partitionIndex: 0, brokerIDs: [1, 2]),
        ])]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        await client.close()
        // Heartbeats that change nothing log nothing.
        for _ in 0..<3 {
            let beat = try await controller.send(BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: epoch,
                                                                        currentMetadataOffset: broker.metadata.image.provenance.offset), version: 1)
            #expect(beat.errorCode == 0 && !beat.isFenced)
        }

        // Broker 1 shuts down: controlled shutdown moves r-0 to broker 2 (out of the ISR goes broker 1),
        // and once broker 2 has replayed that, broker 1 is fenced.
        let stopping = Task { await broker.shutdown() }
        let publication = broker.metadata.publication
        let moved = await publication.wait(until: { $0.image.topic(named: "r")?.partitions[0]?.leader == 2 },
                                           deadlineMs: broker.metadata.clock.nowMs() + 20_000)
        #expect(moved)
        _ = try await controller.send(BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: epoch,
                                                             currentMetadataOffset: publication.image.provenance.offset), version: 1)
        await stopping.value
        await controller.close()

        let lines = logged()
        func count(_ message: String, broker id: Int32) -> Int {
            lines.filter { $0.message == message && $0.metadata["kafka.broker"] == "\(id)" }.count
        }
        #expect(count("broker registered", broker: 1) == 1 && count("broker registered", broker: 2) == 1)
        #expect(count("broker unfenced", broker: 1) == 1 && count("broker unfenced", broker: 2) == 1)
        #expect(count("broker entered controlled shutdown", broker: 1) == 1)
        #expect(count("broker fenced at the end of its controlled shutdown", broker: 1) == 1)
        #expect(count("broker fenced", broker: 1) == 0 && count("broker fenced", broker: 2) == 0)
        #expect(count("fenced a broker whose controlled shutdown is complete", broker: 1) == 1)
        let fenced = try #require(lines.first { $0.message == "broker fenced at the end of its controlled shutdown" })
        #expect(fenced.metadata["kafka.broker_state"] == "FENCED" && fenced.metadata["kafka.broker_state_was"] == "CONTROLLED_SHUTDOWN")
        let unfenced = try #require(lines.first { $0.message == "broker unfenced" && $0.metadata["kafka.broker"] == "2" })
        #expect(unfenced.metadata["kafka.broker_epoch"] == "\(epoch)" && unfenced.metadata["kafka.broker_state_was"] == "FENCED")
        let isr = lines.filter { $0.message == "ISR changed" && $0.metadata["kafka.partitions"]?.contains("r-0 [1, 2] -> [2]") == true }
        #expect(isr.count == 1)
    }

    /// A node started again replays its log from nothing: that load is not a change, so its first
    /// broker line is its new registration's, from the state its last shutdown left.
    @Test func loadingTheLogAtStartIsNotAStateChange() async throws {
        let broker = try await TestBroker()
        await broker.shutdown(keepData: true)
        let (logger, logged) = Self.capturingLogger()
        let restarted = try await TestBroker(directory: broker.directory, logger: logger)
        await restarted.shutdown()
        let lines = logged().filter { $0.message.hasPrefix("broker ") }
        #expect(lines.map(\.message) == ["broker registered again", "broker unfenced", "broker entered controlled shutdown",
                                         "broker fenced at the end of its controlled shutdown"])
        #expect(lines.first?.metadata["kafka.broker_state_was"] == "FENCED")
    }

    /// The transitions the image shows, named once each; a replayed record that changes nothing is no change.
    @Test func brokerChangesFollowTheImage() throws {
        var current = MetadataImage.empty
        func step(_ base: MetadataImage, _ records: [any KafkaMetadataRecord]) throws -> [String] {
            var delta = MetadataDelta(base: base)
            for r in records { try delta.replay(r) }
            let image = delta.apply(provenance: MetadataProvenance(offset: base.provenance.offset + 1, epoch: 1))
            current = image
            return StateChangeLog.brokerChanges(delta, image).map(StateChangeLog.message)
        }
        let first = BrokerRegistration(id: 2, incarnationID: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 1), epoch: 10, endpoints: [])
        #expect(try step(current, [first.record]) == ["broker registered"])
        #expect(try step(current, [BrokerRegistrationChangeRecord(brokerID: 2, brokerEpoch: 10, fenced: -1)]) == ["broker unfenced"])
        #expect(try step(current, [BrokerRegistrationChangeRecord(brokerID: 2, brokerEpoch: 10, fenced: -1)]) == [])
        #expect(try step(current, [BrokerRegistrationChangeRecord(brokerID: 2, brokerEpoch: 10, fenced: 1)]) == ["broker fenced"])
        var again = first
        again.epoch = 20
        #expect(try step(current, [again.record]) == ["broker registered again"])
        #expect(try step(current, [UnregisterBrokerRecord(brokerID: 2, brokerEpoch: 20)]) == ["broker unregistered"])
    }

    @Test func progressCountsAreGroupedByThousands() {
        #expect(ReplicaManager.grouped(0) == "0")
        #expect(ReplicaManager.grouped(999) == "999")
        #expect(ReplicaManager.grouped(1_200) == "1,200")
        #expect(ReplicaManager.grouped(50_000) == "50,000")
        #expect(ReplicaManager.grouped(1_234_567) == "1,234,567")
    }
}

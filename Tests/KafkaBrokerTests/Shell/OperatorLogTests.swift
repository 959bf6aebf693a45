import Foundation
@testable import KafkaBroker
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

    @Test func progressCountsAreGroupedByThousands() {
        #expect(ReplicaManager.grouped(0) == "0")
        #expect(ReplicaManager.grouped(999) == "999")
        #expect(ReplicaManager.grouped(1_200) == "1,200")
        #expect(ReplicaManager.grouped(50_000) == "50,000")
        #expect(ReplicaManager.grouped(1_234_567) == "1,234,567")
    }
}

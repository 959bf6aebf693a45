import Foundation
import StromConfig
import Testing

/// docker/compose.yaml's node settings, read the way scripts/cluster.sh reads them (one
/// `KEY: value` per line under a service's `environment:`), must make a valid three-node cluster
/// whose ports differ from node to node, so that the same settings also run on one host.
@Suite struct ComposeFileTests {
    private static let composePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docker/compose.yaml").path

    /// service name → its `environment:` lines as a dictionary.
    private func environments() throws -> [String: [String: String]] {
        let text = try String(contentsOfFile: Self.composePath, encoding: .utf8)
        var out: [String: [String: String]] = [:]
        var service: String?
        var inEnvironment = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("  "), !line.hasPrefix("   "), line.hasSuffix(":"), !line.contains("#") {
                service = String(line.dropFirst(2).dropLast())
                inEnvironment = false
            } else if line == "    environment:" {
                inEnvironment = true
            } else if inEnvironment, line.hasPrefix("      "), let colon = line.firstIndex(of: ":"), let service {
                let key = line[..<colon].trimmingCharacters(in: .whitespaces)
                var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
                out[service, default: [:]][key] = value
            } else if !line.hasPrefix("      ") {
                inEnvironment = false
            }
        }
        return out
    }

    @Test func threeValidNodesOfOneQuorum() throws {
        let envs = try environments()
        #expect(envs.keys.sorted() == ["strom-1", "strom-2", "strom-3"])
        var configs: [ServerConfig] = []
        for name in envs.keys.sorted() {
            let env = envs[name]!
            let layers = try ConfigLayers(file: nil, environment: env, overrides: [])
            #expect(layers.base == .environment)
            let config = try ServerConfig.parse(layers.properties)
            #expect("strom-\(config.nodeID)" == name)
            #expect(config.isCombined)
            #expect(EnvironmentConfig.clusterID(env) == "c3Ryb20tY2x1c3Rlci0xMQ")
            #expect(config.interBrokerListenerName == "INTERNAL")
            #expect(config.offsetsTopicReplicationFactor == 3, "group offsets survive the loss of a node")
            #expect(config.clientListeners.contains(Listener(name: "INTERNAL", host: name, port: config.listener(named: "INTERNAL")!.port)))
            // Host clients reach each node through the port published under the same number.
            let plaintext = try #require(config.clientListeners.first { $0.name == "PLAINTEXT" })
            #expect(plaintext.host == "localhost")
            #expect(plaintext.port == config.listener(named: "PLAINTEXT")!.port)
            let controller = try #require(config.listener(named: "CONTROLLER"))
            #expect(config.quorumVoters.first { $0.id == config.nodeID } == QuorumVoter(id: config.nodeID, host: name, port: controller.port))
            configs.append(config)
        }
        #expect(Set(configs.map(\.quorumVoters)).count == 1)
        let ports = configs.flatMap { $0.listeners.map(\.port) }
        #expect(Set(ports).count == ports.count, "every listener of every node needs its own port to run on one host")
        #expect(configs.map { $0.listener(named: "PLAINTEXT")!.port } == [9092, 19092, 29092])
    }

    @Test func publishedPortsMatchTheClientListeners() throws {
        let text = try String(contentsOfFile: Self.composePath, encoding: .utf8)
        for port in [9092, 19092, 29092] {
            #expect(text.contains("- \"\(port):\(port)\""), "port \(port) published")
            #expect(text.contains("/dev/tcp/127.0.0.1/\(port)"), "health check on \(port)")
        }
    }
}

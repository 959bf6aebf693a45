import KafkaClient
import KafkaProtocol
import Logging

/// The admin tools' client: a connection to the first bootstrap server that answers, one per node it
/// learns of from Metadata (or DescribeCluster), and for each connection the versions its ApiVersions
/// advertised. A request goes at the highest version both sides know, where the tools read its answer as
/// Kafka 3.9's tools do (`version(of:on:)`, `highestVersions`).
///
/// Invariant: every request is sent over `KafkaChannel` (one at a time per connection, responses
/// matched by correlation id); a node's channel is used only for that node.
public actor AdminClient {
    public struct Node: Hashable, Sendable {
        public var id: Int32
        public var host: String
        public var port: Int
        public var rack: String?

        public init(id: Int32, host: String, port: Int, rack: String? = nil) {
            self.id = id
            self.host = host
            self.port = port
            self.rack = rack
        }

        /// Kafka's `Node.idString`-style `host:port  (id: N rack: R)` is printed by the tools themselves.
        public var address: String { HostPort(host: host, port: port).description }
    }

    /// Where a request goes.
    public enum Target: Hashable, Sendable {
        /// The bootstrap connection (Kafka's "least loaded node").
        case any
        case node(Int32)
        /// The controller Metadata names (in KRaft a broker, which forwards), else any.
        case controller
    }

    public enum Failure: Error, CustomStringConvertible {
        case unreachable([HostPort], String)
        case unsupportedVersion(api: String, at: String)
        case unknownNode(Int32)

        public var description: String {
            switch self {
            case let .unreachable(servers, why):
                "Could not connect to any of the bootstrap servers \(servers.map(\.description).joined(separator: ",")): \(why)"
            case let .unsupportedVersion(api, at): "The broker at \(at) does not support \(api)"
            case let .unknownNode(id): "Node \(id) is not known to the cluster"
            }
        }
    }

    public let bootstrap: [HostPort]
    public let properties: ClientProperties
    private let security: ChannelSecurity
    private let logger: Logger
    private var bootstrapChannel: KafkaChannel?
    private var channels: [Int32: KafkaChannel] = [:]
    private var versions: [ObjectIdentifier: [Int16: ClosedRange<Int16>]] = [:]
    public private(set) var nodes: [Int32: Node] = [:]
    public private(set) var controllerID: Int32 = -1

    public init(bootstrap: [HostPort], properties: ClientProperties, security: ChannelSecurity, logger: Logger = Logger(label: "strom.admin")) {
        self.bootstrap = bootstrap
        self.properties = properties
        self.security = security
        self.logger = logger
    }

    public var timeoutMs: Int64 { properties.requestTimeoutMs }

    /// Sends a request built for the negotiated version and decodes the response.
    public func send<R: KafkaRequestMessage>(to target: Target = .any, _ build: (Int16) throws -> R) async throws -> R.Response {
        let channel = try await channel(for: target)
        let version = try await version(of: R.self, on: channel)
        return try await channel.send(try build(version), version: version, timeoutMs: timeoutMs)
    }

    public func send<R: KafkaRequestMessage>(_ request: R, to target: Target = .any) async throws -> R.Response {
        try await send(to: target) { _ in request }
    }

    /// The version `R` goes at over `channel`: the highest both this client and the peer know, up to
    /// `highestVersions`.
    public func version<R: KafkaRequestMessage>(of type: R.Type, on channel: KafkaChannel) async throws -> Int16 {
        let advertised = try await apiVersions(of: channel)
        let at = "\(channel.host):\(channel.port)"
        let api = R.apiKey.name ?? "API \(R.apiKey.rawValue)"
        guard let theirs = advertised[R.apiKey.rawValue] else { throw Failure.unsupportedVersion(api: api, at: at) }
        let high = min(theirs.upperBound, R.validVersions.upperBound, Self.highestVersions[R.apiKey] ?? .max)
        guard high >= max(theirs.lowerBound, R.validVersions.lowerBound) else { throw Failure.unsupportedVersion(api: api, at: at) }
        return high
    }

    /// The tools speak Kafka 3.9's admin client, whose requests name topics and whose answers they read
    /// as 3.9's: the Kafka 4.x versions that change either stay unused. OffsetCommit and OffsetFetch
    /// v10 name topics by id; DescribeGroups v6 answers a group it cannot describe with an error where
    /// v5 says Dead, which the tools print as "does not exist".
    static let highestVersions: [APIKey: Int16] = [.offsetCommit: 9, .offsetFetch: 9, .describeGroups: 5]

    /// Whether the peer of `target` advertises `R` at all.
    public func supports<R: KafkaRequestMessage>(_ type: R.Type, at target: Target = .any) async throws -> Bool {
        let channel = try await channel(for: target)
        return try await apiVersions(of: channel)[R.apiKey.rawValue] != nil
    }

    public func channel(for target: Target) async throws -> KafkaChannel {
        switch target {
        case .any:
            return try await bootstrapConnection()
        case let .node(id):
            if let c = channels[id] { return c }
            if nodes[id] == nil { _ = try await refreshNodes() }
            guard let node = nodes[id] else { throw Failure.unknownNode(id) }
            let c = KafkaChannel(host: node.host, port: node.port, clientID: properties.clientID, logger: logger, security: security)
            channels[id] = c
            return c
        case .controller:
            if controllerID < 0 { _ = try await refreshNodes() }
            if controllerID >= 0, nodes[controllerID] != nil { return try await channel(for: .node(controllerID)) }
            return try await bootstrapConnection()
        }
    }

    private func bootstrapConnection() async throws -> KafkaChannel {
        if let c = bootstrapChannel { return c }
        var why = ""
        for server in bootstrap {
            let c = KafkaChannel(host: server.host, port: server.port, clientID: properties.clientID, logger: logger, security: security)
            do {
                _ = try await apiVersions(of: c)
                bootstrapChannel = c
                return c
            } catch {
                why = "\(error)"
                await c.disconnect()
            }
        }
        throw Failure.unreachable(bootstrap, why)
    }

    /// ApiVersions v3 (v0 when the peer answers an older form), once per connection.
    private func apiVersions(of channel: KafkaChannel) async throws -> [Int16: ClosedRange<Int16>] {
        let key = ObjectIdentifier(channel)
        if let known = versions[key] { return known }
        var response: ApiVersionsResponse
        do {
            response = try await channel.send(ApiVersionsRequest(clientSoftwareName: "strom-admin", clientSoftwareVersion: "1.0"), version: 3,
                                               timeoutMs: timeoutMs)
        } catch is ProtocolError {
            response = try await channel.send(ApiVersionsRequest(), version: 0, timeoutMs: timeoutMs)
        }
        if response.errorCode == ErrorCode.unsupportedVersion.rawValue {
            response = try await channel.send(ApiVersionsRequest(), version: 0, timeoutMs: timeoutMs)
        }
        guard response.errorCode == 0 else {
            throw KafkaFailure(code: ErrorCode(rawValue: response.errorCode), message: nil)
        }
        var table: [Int16: ClosedRange<Int16>] = [:]
        for api in response.apiKeys where api.minVersion <= api.maxVersion { table[api.apiKey] = api.minVersion...api.maxVersion }
        versions[key] = table
        return table
    }

    /// The brokers, the controller and the cluster id, from Metadata (no topics).
    @discardableResult
    public func refreshNodes() async throws -> MetadataResponse {
        let response = try await send(to: .any) { v in MetadataRequest(topics: [], allowAutoTopicCreation: v < 4) }
        learn(response.brokers)
        controllerID = response.controllerID
        return response
    }

    /// Metadata for `topics` (nil: every topic), remembering the brokers.
    public func metadata(topics: [String]?) async throws -> MetadataResponse {
        let response = try await send(to: .any) { v in
            MetadataRequest(topics: topics.map { $0.map { .init(name: $0) } } ?? (v == 0 ? [] : nil), allowAutoTopicCreation: v < 4)
        }
        learn(response.brokers)
        controllerID = response.controllerID
        return response
    }

    func learn(_ node: Node) { nodes[node.id] = node }

    private func learn(_ brokers: [MetadataResponse.MetadataResponseBroker]) {
        for b in brokers { nodes[b.nodeID] = Node(id: b.nodeID, host: b.host, port: Int(b.port), rack: b.rack) }
    }

    public func close() async {
        await bootstrapChannel?.disconnect()
        for c in channels.values { await c.disconnect() }
        bootstrapChannel = nil
        channels = [:]
    }
}

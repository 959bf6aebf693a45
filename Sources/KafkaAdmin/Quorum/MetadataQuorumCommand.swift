import Foundation
import KafkaProtocol

/// `strom metadata-quorum [--bootstrap-server S | --bootstrap-controller C] [--command-config F]
/// describe --status | --replication [--human-readable]`: Kafka's MetadataQuorumCommand (DescribeQuorum
/// of `__cluster_metadata`-0; the cluster id from DescribeCluster). `add-controller` and
/// `remove-controller` are refused (not implemented here).
public enum MetadataQuorumCommand {
    public static let options: [ToolOption] = [
        ToolOption("bootstrap-server", .required, help: "A comma-separated list of host:port pairs to use for establishing the connection to the Kafka cluster."),
        ToolOption("bootstrap-controller", .required, help: "A comma-separated list of host:port pairs to use for establishing the connection to the Kafka controllers."),
        ToolOption("command-config", .required, help: "Property file containing configs to be passed to Admin Client."),
        ToolOption("status", help: "A short summary of the quorum status and the other provides detailed information about the status of replication."),
        ToolOption("replication", help: "Detailed information about the status of replication"),
        ToolOption("human-readable", help: "Human-readable output"),
        ToolOption("help", help: "Print usage information."),
    ]

    public static func main(arguments: [String], console: Console, nowMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) async -> Int32 {
        await AdminTool.run(console: console, options: options) {
            let a = try ToolArguments(parsing: arguments, options: options)
            if a.has("help") { throw ToolUsageError("This tool describes kraft metadata quorum status.") }
            let connect = a.given(["bootstrap-server", "bootstrap-controller"])
            guard connect.count == 1 else {
                throw ToolUsageError(connect.isEmpty ? "one of the arguments --bootstrap-server --bootstrap-controller is required"
                                     : "argument --bootstrap-controller: not allowed with argument --bootstrap-server")
            }
            guard let command = a.positionals.first else { throw ToolUsageError("too few arguments") }
            guard command == "describe" else {
                if command == "add-controller" || command == "remove-controller" { throw ToolFailure("\(command) is not supported by strom's metadata-quorum") }
                throw ToolUsageError("invalid choice: '\(command)' (choose from 'describe', 'add-controller', 'remove-controller')")
            }
            let status = a.has("status"), replication = a.has("replication"), human = a.has("human-readable")
            if status && replication { throw ToolFailure("Only one of --status or --replication should be specified with describe sub-command") }
            if !status && !replication { throw ToolFailure("One of --status or --replication must be specified with describe sub-command") }
            if status && human { throw ToolFailure("The option --human-readable is only supported along with --replication") }
            let client = try AdminTool.client(bootstrap: a.value(connect[0])!, commandConfig: a.value("command-config"))
            do {
                let quorum = try await describeQuorum(client, toController: connect[0] == "bootstrap-controller")
                if status {
                    let clusterID = try await clusterID(client, controller: connect[0] == "bootstrap-controller")
                    console.line(QuorumFormat.status(clusterID: clusterID, quorum))
                } else {
                    console.write(try QuorumFormat.replication(quorum, humanReadable: human, nowMs: nowMs()))
                }
                await client.close()
                return 0
            } catch {
                await client.close()
                throw ToolFailure(AdminTool.message(error))
            }
        }
    }

    static func describeQuorum(_ client: AdminClient, toController: Bool) async throws -> QuorumInfo {
        let r = try await client.send(DescribeQuorumRequest(topics: [.init(topicName: "__cluster_metadata", partitions: [.init(partitionIndex: 0)])]))
        if let f = KafkaFailure(code: r.errorCode, message: r.errorMessage) { throw f }
        guard let p = r.topics.first?.partitions.first else { throw ToolFailure("DescribeQuorum returned no partition") }
        if let f = KafkaFailure(code: p.errorCode, message: p.errorMessage) { throw f }
        func replica(_ s: DescribeQuorumResponse.ReplicaState) -> QuorumInfo.Replica {
            .init(id: s.replicaID, directoryID: s.replicaDirectoryID, logEndOffset: s.logEndOffset,
                  lastFetchTimestamp: s.lastFetchTimestamp < 0 ? nil : s.lastFetchTimestamp,
                  lastCaughtUpTimestamp: s.lastCaughtUpTimestamp < 0 ? nil : s.lastCaughtUpTimestamp)
        }
        var endpoints: [Int32: [String]] = [:]
        for n in r.nodes {
            endpoints[n.nodeID] = n.listeners.map { "\($0.name)://\($0.host.contains(":") ? "[\($0.host)]" : $0.host):\($0.port)" }
        }
        return QuorumInfo(leaderID: p.leaderID, leaderEpoch: p.leaderEpoch, highWatermark: p.highWatermark,
                          voters: p.currentVoters.map(replica), observers: p.observers.map(replica), endpoints: endpoints)
    }

    static func clusterID(_ client: AdminClient, controller: Bool) async throws -> String {
        let r = try await client.send { _ in DescribeClusterRequest(endpointType: controller ? 2 : 1) }
        if let f = KafkaFailure(code: r.errorCode, message: r.errorMessage) { throw f }
        return r.clusterID
    }
}

/// What DescribeQuorum says, as Kafka's `QuorumInfo`.
public struct QuorumInfo: Hashable, Sendable {
    public struct Replica: Hashable, Sendable {
        public var id: Int32
        public var directoryID: KafkaUUID
        public var logEndOffset: Int64
        public var lastFetchTimestamp: Int64?
        public var lastCaughtUpTimestamp: Int64?

        public init(id: Int32, directoryID: KafkaUUID = .zero, logEndOffset: Int64, lastFetchTimestamp: Int64? = nil, lastCaughtUpTimestamp: Int64? = nil) {
            self.id = id
            self.directoryID = directoryID
            self.logEndOffset = logEndOffset
            self.lastFetchTimestamp = lastFetchTimestamp
            self.lastCaughtUpTimestamp = lastCaughtUpTimestamp
        }
    }

    public var leaderID: Int32
    public var leaderEpoch: Int32
    public var highWatermark: Int64
    public var voters: [Replica]
    public var observers: [Replica]
    /// `NAME://host:port` per node (DescribeQuorum v2's nodes).
    public var endpoints: [Int32: [String]]

    public init(leaderID: Int32, leaderEpoch: Int32, highWatermark: Int64, voters: [Replica], observers: [Replica], endpoints: [Int32: [String]] = [:]) {
        self.leaderID = leaderID
        self.leaderEpoch = leaderEpoch
        self.highWatermark = highWatermark
        self.voters = voters
        self.observers = observers
        self.endpoints = endpoints
    }
}

/// kafka-metadata-quorum.sh's output. Pure.
public enum QuorumFormat {
    public static func status(clusterID: String, _ q: QuorumInfo) -> String {
        let leader = q.voters.first { $0.id == q.leaderID }
        let maxLagFollower = q.voters.min { $0.logEndOffset < $1.logEndOffset }
        let maxLag = (leader?.logEndOffset ?? 0) - (maxLagFollower?.logEndOffset ?? 0)
        let lagTime: Int64
        if leader == maxLagFollower {
            lagTime = 0
        } else if let l = leader?.lastCaughtUpTimestamp, let f = maxLagFollower?.lastCaughtUpTimestamp {
            lagTime = l - f
        } else {
            lagTime = -1
        }
        return "ClusterId:              \(clusterID)"
            + "\nLeaderId:               \(q.leaderID)"
            + "\nLeaderEpoch:            \(q.leaderEpoch)"
            + "\nHighWatermark:          \(q.highWatermark)"
            + "\nMaxFollowerLag:         \(maxLag)"
            + "\nMaxFollowerLagTimeMs:   \(lagTime)"
            + "\nCurrentVoters:          \(replicas(q.voters, q))"
            + "\nCurrentObservers:       \(replicas(q.observers, q))"
    }

    /// `[{"id": 1, "directoryId": "...", "endpoints": ["CONTROLLER://host:port"]}, ...]`; a zero
    /// directory id is `null`, no endpoints no key.
    static func replicas(_ list: [QuorumInfo.Replica], _ q: QuorumInfo) -> String {
        "[" + list.map { r in
            var s = "{\"id\": \(r.id), \"directoryId\": " + (r.directoryID == .zero ? "null" : "\"\(r.directoryID)\"")
            if let e = q.endpoints[r.id], !e.isEmpty { s += ", \"endpoints\": [" + e.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
            return s + "}"
        }.joined(separator: ", ") + "]"
    }

    /// The `--replication` table (Kafka's `prettyPrintTable`: columns padded to the widest cell, each
    /// followed by a tab): the leader, the other voters, then the observers.
    public static func replication(_ q: QuorumInfo, humanReadable: Bool, nowMs: Int64) throws -> String {
        guard let leader = q.voters.first(where: { $0.id == q.leaderID }) else { throw ToolFailure("No value present") }
        func time(_ t: Int64?, _ what: String) throws -> String {
            guard let t else { return "-1" }
            guard humanReadable else { return "\(t)" }
            guard t > 0, t <= nowMs else {
                throw ToolFailure("Error while computing relative time, possible drift in system clock.\nCurrent timestamp is \(nowMs), \(what) timestamp is \(t)")
            }
            return "\(nowMs - t) ms ago"
        }
        var rows: [[String]] = []
        func add(_ r: QuorumInfo.Replica, _ status: String) throws {
            rows.append(["\(r.id)", "\(r.directoryID)", "\(r.logEndOffset)", "\(leader.logEndOffset - r.logEndOffset)",
                         try time(r.lastFetchTimestamp, "last fetch"), try time(r.lastCaughtUpTimestamp, "last caught up"), status])
        }
        try add(leader, "Leader")
        for v in q.voters where v.id != q.leaderID { try add(v, "Follower") }
        for o in q.observers { try add(o, "Observer") }
        return table(["NodeId", "DirectoryId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"], rows)
    }

    public static func table(_ headers: [String], _ rows: [[String]]) -> String {
        var widths = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) + "\t" }.joined() + "\n"
        }
        return line(headers) + rows.map(line).joined()
    }
}

/// `strom cluster-id --bootstrap-server S` (or `--bootstrap-controller`, `--config`): kafka-cluster.sh's
/// cluster-id command, "Cluster ID: <id>" from DescribeCluster.
public enum ClusterIDCommand {
    public static let options: [ToolOption] = [
        ToolOption("bootstrap-server", .required, help: "A list of host/port pairs to use for establishing the connection to the Kafka cluster."),
        ToolOption("bootstrap-controller", .required, help: "A list of host/port pairs to use for establishing the connection to the KRaft controllers."),
        ToolOption("config", .required, help: "A property file containing configurations for the Admin client."),
        ToolOption("help", help: "Print usage information."),
    ]

    public static func main(arguments: [String], console: Console) async -> Int32 {
        await AdminTool.run(console: console, options: options) {
            var args = arguments
            for (short, long) in [("-b", "--bootstrap-server"), ("-C", "--bootstrap-controller"), ("-c", "--config")] {
                args = args.map { $0 == short ? long : $0 }
            }
            let a = try ToolArguments(parsing: args, options: options)
            if a.has("help") { throw ToolUsageError("Get information about the ID of a cluster.") }
            let connect = a.given(["bootstrap-server", "bootstrap-controller"])
            guard connect.count == 1 else {
                throw ToolUsageError(connect.isEmpty ? "one of the arguments --bootstrap-server --bootstrap-controller is required"
                                     : "argument --bootstrap-controller: not allowed with argument --bootstrap-server")
            }
            let client = try AdminTool.client(bootstrap: a.value(connect[0])!, commandConfig: a.value("config"))
            do {
                let id = try await MetadataQuorumCommand.clusterID(client, controller: connect[0] == "bootstrap-controller")
                console.line(id.isEmpty ? "No cluster ID found. The Kafka version is probably too old." : "Cluster ID: \(id)")
                await client.close()
                return 0
            } catch {
                await client.close()
                throw ToolFailure(AdminTool.message(error))
            }
        }
    }
}

import Foundation
import KafkaLog
import KafkaRaft
import KafkaProtocol
import StromConfig

/// `meta.properties`, the file `kafka-storage.sh format` writes in every log directory:
/// `version=1`, `cluster.id`, `node.id`, `directory.id`. A directory without one is unformatted;
/// one whose cluster or node id differs from the others or from the configuration is refused.
public struct MetaProperties: Hashable, Sendable {
    public static let fileName = "meta.properties"

    public var clusterID: String
    public var nodeID: Int32
    public var directoryID: KafkaUUID

    public init(clusterID: String, nodeID: Int32, directoryID: KafkaUUID) {
        self.clusterID = clusterID
        self.nodeID = nodeID
        self.directoryID = directoryID
    }

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// A new random cluster id: a UUID in Kafka's base64 form.
    public static func randomClusterID() -> String { KafkaUUID.random().description }

    public static func read(directory: String) throws -> MetaProperties? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let entries = Dictionary(JavaProperties.parse(text).map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        guard entries["version"] == "1" else { throw Problem(description: "\(path): only version=1 (KRaft) is supported") }
        guard let cluster = entries["cluster.id"], KafkaUUID(cluster) != nil else {
            throw Problem(description: "\(path): missing or invalid cluster.id")
        }
        guard let node = entries["node.id"].flatMap({ Int32($0) }) else { throw Problem(description: "\(path): missing node.id") }
        let dir = entries["directory.id"].flatMap { KafkaUUID($0) } ?? .zero
        return MetaProperties(clusterID: cluster, nodeID: node, directoryID: dir)
    }

    /// Writes durably and atomically (`AtomicFile`).
    public func write(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = """
        #
        #\(Date())
        node.id=\(nodeID)
        directory.id=\(directoryID)
        version=1
        cluster.id=\(clusterID)

        """
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        try AtomicFile.write(text, to: path)
    }

    /// Formats every log directory that is not yet formatted, with `clusterID`.
    /// Already-formatted directories must agree with it and with the node id.
    @discardableResult
    public static func format(config: ServerConfig, clusterID: String) throws -> [String] {
        guard KafkaUUID(clusterID) != nil else {
            throw Problem(description: "cluster id `\(clusterID)` is not a base64 UUID (22 characters, as kafka-storage.sh random-uuid prints)")
        }
        var written: [String] = []
        for dir in config.logDirs {
            if let existing = try read(directory: dir) {
                guard existing.clusterID == clusterID else {
                    throw Problem(description: "\(dir) is already formatted for cluster \(existing.clusterID)")
                }
                guard existing.nodeID == config.nodeID else {
                    throw Problem(description: "\(dir) is already formatted for node \(existing.nodeID), not \(config.nodeID)")
                }
                continue
            }
            try MetaProperties(clusterID: clusterID, nodeID: config.nodeID, directoryID: .random()).write(directory: dir)
            written.append(dir)
        }
        return written
    }

    /// The cluster id all log directories agree on, or nil when none is formatted.
    public static func clusterID(config: ServerConfig) throws -> String? {
        var found: MetaProperties?
        for dir in config.logDirs {
            guard let m = try read(directory: dir) else { continue }
            if let f = found, f.clusterID != m.clusterID {
                throw Problem(description: "log directories disagree on the cluster id (\(f.clusterID) and \(m.clusterID))")
            }
            guard m.nodeID == config.nodeID else {
                throw Problem(description: "\(dir) belongs to node \(m.nodeID), but node.id is \(config.nodeID)")
            }
            found = m
        }
        return found?.clusterID
    }

    /// The `directory.id` of the metadata log's directory (the first of `log.dirs`), which identifies
    /// this node's replica of `__cluster_metadata` to the quorum (KIP-853).
    public static func metadataDirectoryID(config: ServerConfig) throws -> DirectoryID {
        let id = try read(directory: config.logDirs[0])?.directoryID ?? .zero
        return DirectoryID(mostSignificantBits: id.mostSignificantBits, leastSignificantBits: id.leastSignificantBits)
    }
}

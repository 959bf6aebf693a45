import Foundation

/// Folders of this repository, found from this file's path, and of `../shared` beside it.
enum RepositoryPaths {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let protocolDirectory = root.appendingPathComponent("Protocol")
    static let upstream = root.deletingLastPathComponent().appendingPathComponent("shared/kafka-protocol")
    /// franz-go's definitions of Kafka 4.x (`definitions/NN_name`), for versions Kafka 3.9 lacks.
    static let upstream4x = root.deletingLastPathComponent().appendingPathComponent("shared/kafka-protocol-4x/definitions")
    static var upstream4xPresent: Bool {
        upstreamPresent && FileManager.default.fileExists(atPath: upstream4x.appendingPathComponent("52_vote").path)
    }
    static var upstreamPresent: Bool {
        FileManager.default.fileExists(atPath: upstream.appendingPathComponent("message/FetchRequest.json").path)
    }
}

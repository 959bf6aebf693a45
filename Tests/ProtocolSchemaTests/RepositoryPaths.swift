import Foundation

/// Folders of this repository, found from this file's path, and of `../shared` beside it.
enum RepositoryPaths {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let protocolDirectory = root.appendingPathComponent("Protocol")
    static let upstream = root.deletingLastPathComponent().appendingPathComponent("shared/kafka-protocol")
    static var upstreamPresent: Bool {
        FileManager.default.fileExists(atPath: upstream.appendingPathComponent("message/FetchRequest.json").path)
    }
}

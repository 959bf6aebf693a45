import Foundation
import KafkaRaft

/// `__cluster_metadata-0/quorum-state`: the replica's election state in Kafka's JSON format
/// (`QuorumStateData+JSON`), one line.
///
/// Invariant: a write is durable before `write` returns; it goes to `quorum-state.tmp`, is fsync'd,
/// renamed over the file and the directory is fsync'd, so a crash leaves the old or the new state.
struct QuorumStateFile: Sendable {
    let path: String

    init(partitionDirectory: String) {
        path = (partitionDirectory as NSString).appendingPathComponent("quorum-state")
    }

    /// The stored state, nil when there is no file yet.
    func read() throws -> QuorumStateData? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        do {
            return try QuorumStateData.decode(json: text).state
        } catch {
            throw StromNode.StartupError(description: "\(path) is not a quorum-state file Strom can read: \(error)")
        }
    }

    func write(_ state: QuorumStateData) throws {
        let tmp = path + ".tmp"
        let text = state.encodedJSON(version: 1) + "\n"
        let fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY, 0o644)
        guard fd >= 0 else { throw posixError("open \(tmp)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw posixError("write \(tmp)") }
        guard fsync(fd) == 0 else { throw posixError("fsync \(tmp)") }
        guard rename(tmp, path) == 0 else { throw posixError("rename \(tmp)") }
        let dir = open((path as NSString).deletingLastPathComponent, O_RDONLY)
        if dir >= 0 { _ = fsync(dir); close(dir) }
    }

    private func posixError(_ what: String) -> Error {
        StromNode.StartupError(description: "\(what): \(String(cString: strerror(errno)))")
    }
}

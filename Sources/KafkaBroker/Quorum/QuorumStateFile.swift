import Foundation
import KafkaLog
import KafkaRaft

/// `__cluster_metadata-0/quorum-state`: the replica's election state in Kafka's JSON format
/// (`QuorumStateData+JSON`), one line.
///
/// Invariant: a write is durable before `write` returns, and a crash leaves the old or the new state
/// (`AtomicFile`).
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
        try AtomicFile.write(state.encodedJSON(version: 1) + "\n", to: path)
    }
}

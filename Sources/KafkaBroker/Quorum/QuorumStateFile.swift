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
        let bytes: [UInt8]?
        do throws(LogError) { bytes = try FileSystem.readFile(path) } catch { throw StorageError.unreadableFile(path: path, error) }
        guard let bytes else { return nil }
        do {
            return try QuorumStateData.decode(json: String(decoding: bytes, as: UTF8.self)).state
        } catch {
            throw StorageError.unparseableQuorumState(path: path, reason: "\(error)")
        }
    }

    func write(_ state: QuorumStateData) throws {
        try AtomicFile.write(state.encodedJSON(version: 1) + "\n", to: path)
    }
}

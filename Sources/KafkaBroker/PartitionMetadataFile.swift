import Foundation
import KafkaLog
import KafkaProtocol

/// Kafka's `partition.metadata`, in each partition directory:
///
///     version: 0
///     topic_id: <the topic id, URL-safe base64 without padding>
///
/// It ties the directory to one topic id. A directory of a topic deleted while this node was down (or
/// whose deletion did not finish) then shows itself when a topic of the same name is created again: it
/// is a stray, removed before the new topic's log opens, not adopted with its old records.
///
/// Written once, when this node first opens the log, without fsync (a partition's creation costs no
/// extra sync): a crash may lose it, and a directory without a readable file is adopted and given one,
/// as Kafka adopts logs written before the file existed.
enum PartitionMetadataFile {
    static let name = "partition.metadata"

    static func path(inPartitionDirectory directory: String) -> String { FileSystem.join(directory, name) }

    /// The topic id the file in `directory` names; nil when there is no file or it cannot be read.
    static func topicID(inPartitionDirectory directory: String) -> KafkaUUID? {
        guard let bytes = try? FileSystem.readFile(path(inPartitionDirectory: directory)) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count >= 2, lines[0] == "version: 0", lines[1].hasPrefix("topic_id: ") else { return nil }
        return KafkaUUID(String(lines[1].dropFirst("topic_id: ".count)))
    }

    static func write(_ topicID: KafkaUUID, inPartitionDirectory directory: String) throws(LogError) {
        try AtomicFile.writeUnsynced(Array("version: 0\ntopic_id: \(topicID)\n".utf8), to: path(inPartitionDirectory: directory))
    }
}

import Foundation
import KafkaLog
import Logging

/// Kafka's clean-shutdown file at the top of each log directory (`<log.dir>/.kafka_cleanshutdown`, its
/// `CleanShutdownFileHandler`), carrying the broker epoch for KIP-966:
///
///     {"version":0,"brokerEpoch":<the broker epoch the node had when it stopped>}
///
/// Written at a clean shutdown, after every partition log was flushed and closed; read and removed at
/// the next start, before the node registers. The epoch goes out as the registration's
/// PreviousBrokerEpoch, which tells the controller that the logs lost nothing (a broker back from an
/// unclean shutdown leaves the ISRs and eligible leader replicas). As Kafka, a start sends -1 unless every
/// log directory held a readable file with the same epoch. (Strom's per-partition `.kafka_cleanshutdown`
/// markers, inside the partition directories, are another matter: they spare log recovery.)
enum CleanShutdownFile {
    static let name = LogFileNames.cleanShutdownMarker
    static let version = 0

    private struct Content: Codable {
        var version: Int
        var brokerEpoch: Int64?
    }

    /// The file's text for `brokerEpoch`, as Kafka writes it.
    static func encode(brokerEpoch: Int64) -> String {
        "{\"version\":\(version),\"brokerEpoch\":\(brokerEpoch)}"
    }

    /// The broker epoch in a file's text; nil when it is not a JSON object with a numeric `brokerEpoch`
    /// (other keys are ignored, as Kafka ignores them).
    static func decode(_ bytes: [UInt8]) -> Int64? {
        (try? JSONDecoder().decode(Content.self, from: Data(bytes)))?.brokerEpoch
    }

    /// The epoch every directory's file holds (-1 when one lacks it or they differ); the files are removed,
    /// so a crash from now on finds none.
    static func takePreviousBrokerEpoch(logDirs: [String], logger: Logger) -> Int64 {
        var epochs: Set<Int64?> = []
        for directory in Set(logDirs) {
            let path = FileSystem.join(directory, name)
            var epoch: Int64?
            do {
                epoch = try FileSystem.readFile(path).flatMap(decode)
                try FileSystem.remove(path)
            } catch {
                logger.warning("could not take the clean-shutdown file", metadata: ["log.file": "\(path)", "error": "\(error)"])
                epoch = nil
            }
            epochs.insert(epoch)
        }
        guard epochs.count == 1, let only = epochs.first, let epoch = only else { return -1 }
        return epoch
    }

    /// Writes the file into every directory of `logDirs`, durably.
    static func write(brokerEpoch: Int64, logDirs: [String]) throws(LogError) {
        for directory in Set(logDirs) {
            try AtomicFile.write(encode(brokerEpoch: brokerEpoch), to: FileSystem.join(directory, name))
        }
    }
}

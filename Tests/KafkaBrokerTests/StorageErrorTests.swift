import Foundation
import KafkaLog
import KafkaRaft
import Testing
@testable import KafkaBroker

/// Storage problems met at run time are `StorageError`s that name the file and what is wrong with it.
@Suite struct StorageErrorTests {
    private func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strom-storage-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aQuorumStateFileThatIsNotJSONIsUnparseable() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = QuorumStateFile(partitionDirectory: dir)
        #expect(try file.read() == nil)
        try AtomicFile.write("not json\n", to: file.path)
        #expect {
            try file.read()
        } throws: { error in
            guard case .unparseableQuorumState(let path, _)? = error as? StorageError else { return false }
            return path == file.path && "\(error)".hasPrefix("\(file.path) is not a quorum-state file")
        }
    }

    @Test func aQuorumStateFileThatIsADirectoryIsUnreadable() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = QuorumStateFile(partitionDirectory: dir)
        try FileManager.default.createDirectory(atPath: file.path, withIntermediateDirectories: false)
        #expect {
            try file.read()
        } throws: { error in
            guard case .unreadableFile(let path, _)? = error as? StorageError else { return false }
            return path == file.path && "\(error)".hasPrefix("cannot read \(file.path): ")
        }
    }

    @Test func aMissingSnapshotFileIsNamed() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/00000000000000000042-0000000001.checkpoint"
        #expect(throws: StorageError.missingFile(path: path)) { try MetadataRaftLog.readWholeFile(path) }
        #expect("\(StorageError.missingFile(path: path))" == "\(path) is missing")
        try AtomicFile.write([1, 2, 3], to: path)
        #expect(try MetadataRaftLog.readWholeFile(path) == [1, 2, 3])
    }
}

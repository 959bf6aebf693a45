import Testing
@testable import KafkaLog

@Suite struct AtomicFileTests {
    @Test func writesTheWholeContentAndLeavesNoTemporaryFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = FileSystem.join(dir.path, "quorum-state")
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try AtomicFile.write(bytes, to: path)
        #expect(try FileSystem.readFile(path) == bytes)
        #expect(try FileSystem.list(dir.path) == ["quorum-state"])
    }

    @Test func replacesLongerContentWhole() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = FileSystem.join(dir.path, "meta.properties")
        try AtomicFile.write(String(repeating: "x", count: 5_000), to: path)
        try AtomicFile.write("version=1\n", to: path)
        #expect(try FileSystem.readFile(path) == Array("version=1\n".utf8))
        #expect(try FileSystem.list(dir.path) == ["meta.properties"])
    }

    /// The rename fails (a non-empty directory stands at the path): the error says so, and the
    /// temporary file written before it is gone.
    @Test func aFailedRenameRemovesTheTemporaryFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = FileSystem.join(dir.path, "checkpoint")
        try FileSystem.createDirectory(path)
        try AtomicFile.write("inside", to: FileSystem.join(path, "other"))
        #expect {
            try AtomicFile.write("new", to: path)
        } throws: { error in
            if case .io(operation: "rename", path: _, errno: _) = error as? LogError { true } else { false }
        }
        #expect(!FileSystem.exists(AtomicFile.temporaryPath(for: path)))
        #expect(try FileSystem.list(dir.path) == ["checkpoint"])
        #expect(try FileSystem.readFile(FileSystem.join(path, "other")) == Array("inside".utf8))
    }

    /// The temporary file cannot be created: the old content stays as it was.
    @Test func aFailedWriteKeepsTheOldContent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = FileSystem.join(dir.path, "quorum-state")
        try AtomicFile.write("old", to: path)
        try FileSystem.createDirectory(AtomicFile.temporaryPath(for: path))
        #expect {
            try AtomicFile.write("new", to: path)
        } throws: { error in
            if case .io(operation: "open", path: _, errno: _) = error as? LogError { true } else { false }
        }
        #expect(try FileSystem.readFile(path) == Array("old".utf8))
    }

    @Test func aMissingDirectoryIsAnErrorAndCreatesNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = FileSystem.join(FileSystem.join(dir.path, "absent"), "quorum-state")
        #expect(throws: LogError.self) { try AtomicFile.write("x", to: path) }
        #expect(try FileSystem.list(dir.path).isEmpty)
    }

    /// The directory synced after the rename is the one holding the file.
    @Test func theSyncedDirectoryIsTheFilesParent() {
        #expect(AtomicFile.directory(of: "/var/lib/strom/quorum-state") == "/var/lib/strom")
        #expect(AtomicFile.directory(of: "/quorum-state") == "/")
        #expect(AtomicFile.directory(of: "quorum-state") == ".")
        #expect(AtomicFile.directory(of: "data/meta.properties") == "data")
    }
}

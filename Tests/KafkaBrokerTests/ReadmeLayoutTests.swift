import Foundation
import Testing

/// The README's layout table names every source target and every top-level folder, so a new one
/// cannot go unexplained.
@Suite struct ReadmeLayoutTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theLayoutTableNamesEveryTargetAndTopLevelFolder() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `") }.joined(separator: "\n")
        let fm = FileManager.default
        let targets = try fm.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Sources").path)
        #expect(targets.count > 15)
        for target in targets {
            #expect(rows.contains("`Sources/\(target)`"), "Sources/\(target) is not in the README's layout table")
        }
        // Hidden folders are tools' caches (.build, .venv, ...) except `.ci`; `venv` and `strom-data` are
        // ignored by git too.
        let folders = try fm.contentsOfDirectory(atPath: Self.root.path).filter { name in
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: Self.root.appendingPathComponent(name).path, isDirectory: &isDirectory) && isDirectory.boolValue
                && !name.hasPrefix(".") && !["Sources", "venv", "strom-data"].contains(name)
        } + [".ci"]
        #expect(folders.contains("Tests"))
        for folder in folders {
            #expect(rows.contains("`\(folder)/"), "\(folder)/ is not in the README's layout table")
        }
    }
}

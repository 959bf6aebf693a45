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
        let folders = try fm.contentsOfDirectory(atPath: Self.root.path).filter { name in
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: Self.root.appendingPathComponent(name).path, isDirectory: &isDirectory) && isDirectory.boolValue
                && name != "Sources" && name != ".git" && !name.hasPrefix(".build") && !name.hasPrefix(".swiftpm")
                && !name.hasPrefix(".venv") && name != "venv" && name != "strom-data" && name != ".cluster"
        }
        #expect(folders.contains("Tests"))
        for folder in folders {
            #expect(rows.contains("`\(folder)/"), "\(folder)/ is not in the README's layout table")
        }
    }
}

import Foundation

/// The `Protocol/` folder: one `.def` file per schema, in folders named as upstream's.
public enum ProtocolDirectory {
    public static let fileExtension = "def"

    /// Every definition under `root`, keyed by `folder/Name`.
    public static func readAll(root: URL) throws -> [String: MessageSpec] {
        var out: [String: MessageSpec] = [:]
        let fm = FileManager.default
        for folder in UpstreamSchemaReader.folders {
            let dir = root.appendingPathComponent(folder)
            guard let names = try? fm.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names.sorted() where name.hasSuffix("." + fileExtension) {
                let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
                do {
                    out["\(folder)/\(name.dropLast(fileExtension.count + 1))"] = try DefinitionFormat.parse(text)
                } catch {
                    throw DefinitionFormat.ParseError(line: (error as? DefinitionFormat.ParseError)?.line ?? 0,
                                                      message: "\(folder)/\(name): \(error)")
                }
            }
        }
        return out
    }

    public static func write(_ specs: [String: MessageSpec], root: URL) throws {
        let fm = FileManager.default
        for (key, spec) in specs {
            let url = root.appendingPathComponent(key + "." + fileExtension)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try DefinitionFormat.print(spec).write(to: url, atomically: true, encoding: .utf8)
        }
    }
}

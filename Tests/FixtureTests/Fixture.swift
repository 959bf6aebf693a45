import Foundation
import KafkaProtocol
import NIOCore

/// One captured request: a frame payload (request header then body, without the size prefix)
/// exactly as a real client sent it, named `<client>/<Api>-v<version>-<scenario>.bin`.
struct Fixture: Sendable, CustomStringConvertible {
    var path: String
    var client: String
    var bytes: ByteBuffer

    var description: String { path }

    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/requests")

    /// Every `.bin` under `Fixtures/requests`, sorted by path.
    static let all: [Fixture] = {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { return [] }
        var out: [Fixture] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".bin"), let data = fm.contents(atPath: root.appendingPathComponent(relative).path) else { continue }
            let client = String(relative.split(separator: "/").first ?? "")
            out.append(Fixture(path: relative, client: client, bytes: ByteBuffer(bytes: data)))
        }
        return out.sorted { $0.path < $1.path }
    }()

    /// `MANIFEST.tsv` rows: file, client, client version, api key, api name, api version, scenario.
    static let manifest: [[String]] = {
        guard let text = try? String(contentsOf: root.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }()

    /// API name and version from the file name (`Produce-v9-…`).
    var nameAndVersion: (String, Int16)? {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        let parts = file.split(separator: "-")
        guard parts.count >= 2, parts[1].hasPrefix("v"), let v = Int16(parts[1].dropFirst()) else { return nil }
        return (String(parts[0]), v)
    }
}

import Foundation

/// Kafka's error codes: `Protocol/error-codes.def`, one `CODE NAME retriable|nonretriable` line each.
public struct ErrorCodeEntry: Hashable, Sendable {
    public var code: Int
    public var name: String
    public var retriable: Bool

    public init(code: Int, name: String, retriable: Bool) {
        self.code = code
        self.name = name
        self.retriable = retriable
    }
}

public enum ErrorCodeTable {
    public static let fileName = "error-codes.def"

    public static func read(url: URL) throws -> [ErrorCodeEntry] {
        try parse(String(contentsOf: url, encoding: .utf8))
    }

    public static func parse(_ text: String) throws -> [ErrorCodeEntry] {
        var out: [ErrorCodeEntry] = []
        for (i, line) in text.split(separator: "\n").enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty || t.hasPrefix("#") { continue }
            let parts = t.split(separator: " ")
            guard parts.count == 3, let code = Int(parts[0]), parts[2] == "retriable" || parts[2] == "nonretriable" else {
                throw DefinitionFormat.ParseError(line: i + 1, message: "\(fileName): expected `CODE NAME retriable|nonretriable`")
            }
            out.append(ErrorCodeEntry(code: code, name: String(parts[1]), retriable: parts[2] == "retriable"))
        }
        return out
    }

    /// Upstream's `error-codes.tsv`: a header line, then `code<TAB>name<TAB>yes|no`.
    public static func readUpstream(url: URL) throws -> [ErrorCodeEntry] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            // The retriable column is empty for a few codes; Kafka's classes for those are not retriable.
            let p = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard p.count >= 2, let code = Int(p[0]) else { return nil }
            return ErrorCodeEntry(code: code, name: String(p[1]), retriable: p.count > 2 && p[2] == "yes")
        }
    }

    public static func write(_ entries: [ErrorCodeEntry], url: URL) throws {
        let lines = entries.map { "\($0.code) \($0.name) \($0.retriable ? "retriable" : "nonretriable")" }
        try ("# Kafka error codes: CODE NAME retriable|nonretriable\n" + lines.joined(separator: "\n") + "\n")
            .write(to: url, atomically: true, encoding: .utf8)
    }
}

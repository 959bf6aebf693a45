import Foundation

/// Reads franz-go's message definitions (`../shared/kafka-protocol-4x/definitions/NN_name`), the
/// reference for Kafka 4.x versions that Kafka 3.9's JSON lacks, far enough to know each version's
/// wire layout.
///
/// The format, as read here: one file per API key. A message starts at column 0 with
/// `Name => key K, max version V, flexible vN+[, …]` (the request), `NameResponse =>` (its response,
/// same versions) or `Name => not top level, no encoding, flexible vN+` (a struct other fields name).
/// Fields follow, two spaces deeper per nesting level: `Name: TYPE [// vN+ | // vN-vM] [// tag N]`,
/// or a bare `ThrottleMillis` / `TimeoutMillis` (an int32, optionally with a parenthesised number).
/// TYPE is a primitive (`int32`, `string`, `uuid`, …) with an optional `(default)`, `nullable-string`
/// or `nullable-bytes` (optionally `-vN+`: nullable from vN), `[T]`, `nullable[T]`,
/// `nullable-vN+[T]`, `=>` or `nullable=>` (a struct whose fields follow), `[=>]` or `[=>Name]` (an
/// array of one), or the name of a not-top-level struct. Whole-line `//` comments are prose and
/// skipped. Field names are franz-go's own (`ClusterID`, `Topic`), so only the layout compares.
/// Enums (`enum-…`) are not read: a message using one fails to read rather than compare wrongly.
public enum FranzDefinitionReader {
    public struct ReadError: Error, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public indirect enum FieldType: Hashable, Sendable {
        /// `int32`, `string`, `bytes`, `uuid`, …; nullable from the version given, if any.
        case primitive(String, nullableFrom: Int16?)
        case array(FieldType, nullableFrom: Int16?)
        case structure([Field], nullableFrom: Int16?)
    }

    public struct Field: Hashable, Sendable {
        public var name: String
        public var type: FieldType
        public var versions: Versions
        public var tag: Int?
    }

    public struct Message: Hashable, Sendable {
        public var name: String
        public var apiKey: Int?
        public var maxVersion: Int16
        public var flexibleFrom: Int16
        public var fields: [Field]

        public var validVersions: Versions { .range(lowest: 0, highest: maxVersion) }
        public var flexibleVersions: Versions { .range(lowest: flexibleFrom, highest: nil) }
    }

    /// The definitions file for `apiKey` under `root` (the `definitions` folder).
    public static func file(apiKey: Int, root: URL) throws -> URL? {
        let prefix = String(format: "%02d_", apiKey)
        return try FileManager.default.contentsOfDirectory(atPath: root.path)
            .first { $0.hasPrefix(prefix) }
            .map { root.appendingPathComponent($0) }
    }

    /// The request and response of one API's file.
    public static func read(url: URL) throws -> (request: Message, response: Message) {
        let messages = try read(text: String(contentsOf: url, encoding: .utf8), file: url.lastPathComponent)
        guard let request = messages.first(where: { $0.apiKey != nil }),
              let response = messages.first(where: { $0.name == request.name.replacingOccurrences(of: "Request", with: "Response") })
        else { throw ReadError(file: url.lastPathComponent, line: 0, message: "no request and response") }
        return (request, response)
    }

    /// Every top-level message of a file (requests and responses), in file order.
    public static func read(text: String, file: String) throws -> [Message] {
        var lines: [(number: Int, depth: Int, text: String)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("//") { continue }
            let spaces = raw.prefix { $0 == " " }.count
            guard spaces % 2 == 0 else { throw ReadError(file: file, line: i + 1, message: "odd indentation") }
            lines.append((i + 1, spaces / 2, trimmed))
        }
        var structs: [String: [Field]] = [:]
        var messages: [Message] = []
        var lastRequest: Message?
        var index = 0
        // Takes the line number rather than reading `index`, which `readFields` holds inout.
        func fail(_ line: Int, _ message: String) -> ReadError { ReadError(file: file, line: line, message: message) }
        while index < lines.count {
            let header = lines[index]
            guard header.depth == 0, let arrow = header.text.range(of: " =>") else { throw fail(header.number, "expected `Name => …`") }
            let name = String(header.text[..<arrow.lowerBound])
            let attributes = header.text[arrow.upperBound...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            index += 1
            let fields = try readFields(&index, lines, depth: 1, structs: structs, fail: fail)
            if attributes.contains("not top level") {
                structs[name] = fields
                continue
            }
            var key: Int?
            var max: Int16?
            var flexible: Int16?
            for a in attributes {
                if a.hasPrefix("key ") { key = Int(a.dropFirst(4)) }
                if a.hasPrefix("max version ") { max = Int16(a.dropFirst(12)) }
                if a.hasPrefix("flexible v"), a.hasSuffix("+") { flexible = Int16(a.dropFirst(10).dropLast()) }
            }
            if key != nil {
                guard let max, let flexible else { throw fail(header.number, "\(name): needs max version and flexible") }
                let m = Message(name: name, apiKey: key, maxVersion: max, flexibleFrom: flexible, fields: fields)
                messages.append(m)
                lastRequest = m
            } else {
                guard let request = lastRequest, attributes.allSatisfy(\.isEmpty) else { throw fail(header.number, "\(name): a response follows its request") }
                messages.append(Message(name: name, apiKey: nil, maxVersion: request.maxVersion,
                                        flexibleFrom: request.flexibleFrom, fields: fields))
            }
        }
        return messages
    }

    private static func readFields(
        _ index: inout Int, _ lines: [(number: Int, depth: Int, text: String)], depth: Int,
        structs: [String: [Field]], fail: (Int, String) -> ReadError
    ) throws -> [Field] {
        var fields: [Field] = []
        while index < lines.count, lines[index].depth >= depth {
            let line = lines[index]
            guard line.depth == depth else { throw fail(line.number, "unexpected indentation") }
            index += 1
            var body = line.text
            var versions = Versions.range(lowest: 0, highest: nil)
            var tag: Int?
            if let comment = body.range(of: "//") {
                for marker in body[comment.lowerBound...].components(separatedBy: "//").map({ $0.trimmingCharacters(in: .whitespaces) }) where !marker.isEmpty {
                    if marker.hasPrefix("tag "), let n = Int(marker.dropFirst(4)) {
                        tag = n
                    } else if let v = Versions(marker.replacingOccurrences(of: "v", with: "")) {
                        versions = v
                    } else {
                        throw fail(line.number, "unknown field marker `\(marker)`")
                    }
                }
                body = body[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            guard let colon = body.firstIndex(of: ":") else {
                // ThrottleMillis, TimeoutMillis (optionally with a parenthesised version or default).
                let bare = body.prefix { $0 != "(" }
                guard bare == "ThrottleMillis" || bare == "TimeoutMillis" else { throw fail(line.number, "expected `Name: type`") }
                fields.append(Field(name: String(bare), type: .primitive("int32", nullableFrom: nil), versions: versions, tag: tag))
                continue
            }
            let name = String(body[..<colon])
            let typeText = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            let type = try parseType(typeText, structs: structs, fail: { fail(line.number, $0) }) { () throws -> [Field] in
                try readFields(&index, lines, depth: depth + 1, structs: structs, fail: fail)
            }
            fields.append(Field(name: name, type: type, versions: versions, tag: tag))
        }
        return fields
    }

    private static let primitives: Set = ["bool", "int8", "int16", "int32", "int64", "uint16", "float64", "string", "bytes", "uuid"]

    private static func parseType(
        _ text: String, structs: [String: [Field]], fail: (String) -> ReadError, inline: () throws -> [Field]
    ) throws -> FieldType {
        var t = Substring(text)
        var nullableFrom: Int16?
        if t.hasPrefix("nullable") {
            t = t.dropFirst("nullable".count)
            nullableFrom = 0
            // `nullable-string`, `nullable-bytes`, optionally `-vN+`; `nullable-vN+[…]`.
            if t.hasPrefix("-string") || t.hasPrefix("-bytes") {
                let primitive = t.hasPrefix("-string") ? "string" : "bytes"
                t = t.dropFirst(primitive.count + 1)
                if t.hasPrefix("-v"), let plus = t.firstIndex(of: "+"), let n = Int16(t[t.index(t.startIndex, offsetBy: 2)..<plus]) {
                    nullableFrom = n
                    t = t[t.index(after: plus)...]
                }
                guard t.isEmpty || t.hasPrefix("(") else { throw fail("bad type `\(text)`") }
                return .primitive(primitive, nullableFrom: nullableFrom)
            }
            if t.hasPrefix("-v"), let plus = t.firstIndex(of: "+"), let n = Int16(t[t.index(t.startIndex, offsetBy: 2)..<plus]) {
                nullableFrom = n
                t = t[t.index(after: plus)...]
            }
        }
        if t.hasPrefix("=>") { return .structure(try inline(), nullableFrom: nullableFrom) }
        if t.hasPrefix("["), t.hasSuffix("]") {
            let element = t.dropFirst().dropLast()
            let elementType: FieldType = element.hasPrefix("=>")
                ? .structure(try inline(), nullableFrom: nil)
                : try parseType(String(element), structs: structs, fail: fail, inline: inline)
            return .array(elementType, nullableFrom: nullableFrom)
        }
        guard nullableFrom == nil else { throw fail("bad type `\(text)`") }
        let base = String(t.prefix { $0 != "(" })
        if primitives.contains(base) { return .primitive(base, nullableFrom: nil) }
        if let fields = structs[base] { return .structure(fields, nullableFrom: nil) }
        throw fail("type `\(text)` is not read (enums and unknown structs are not supported)")
    }
}

import Foundation

/// Reads Apache Kafka's JSON message schemas (with their `//` line comments) into `MessageSpec`s.
///
/// Used by the check that compares `Protocol/` with the upstream schemas, and by the one-off import
/// that wrote the first definitions. Upstream prose (`about`) is not read.
public enum UpstreamSchemaReader {
    public struct ReadError: Error, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    /// The schema folders read, relative to the upstream root; `Protocol/` mirrors them.
    public static let folders = ["message", "metadata", "raft", "group-coordinator", "transaction-coordinator"]

    /// Every schema under `root`, keyed by `folder/Name` (the file name without `.json`).
    public static func readAll(root: URL) throws -> [String: MessageSpec] {
        var out: [String: MessageSpec] = [:]
        let fm = FileManager.default
        for folder in folders {
            let dir = root.appendingPathComponent(folder)
            guard let names = try? fm.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names where name.hasSuffix(".json") {
                let url = dir.appendingPathComponent(name)
                out["\(folder)/\(name.dropLast(5))"] = try read(url: url)
            }
        }
        return out
    }

    public static func read(url: URL) throws -> MessageSpec {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try read(text: text, file: url.lastPathComponent)
    }

    public static func read(text: String, file: String) throws -> MessageSpec {
        let stripped = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            .joined(separator: "\n")
        let object: JSONValue
        do {
            object = try JSONDecoder().decode(JSONValue.self, from: Data(stripped.utf8))
        } catch {
            throw ReadError(file: file, message: "not JSON after removing comments: \(error)")
        }
        guard case let .object(o) = object else { throw ReadError(file: file, message: "top level is not an object") }
        func versions(_ key: String, in o: [String: JSONValue]) throws -> Versions? {
            guard let v = o[key] else { return nil }
            guard case let .string(s) = v, let parsed = Versions(s) else {
                throw ReadError(file: file, message: "bad \(key)")
            }
            return parsed
        }
        guard case let .string(kindText)? = o["type"], let kind = MessageSpec.Kind(rawValue: kindText),
              case let .string(name)? = o["name"],
              let valid = try versions("validVersions", in: o),
              let flexible = try versions("flexibleVersions", in: o)
        else { throw ReadError(file: file, message: "missing type, name, validVersions or flexibleVersions") }

        func fields(_ value: JSONValue?) throws -> [FieldSpec] {
            guard let value else { return [] }
            guard case let .array(items) = value else { throw ReadError(file: file, message: "fields is not an array") }
            return try items.map { item in
                guard case let .object(f) = item, case let .string(fname)? = f["name"], case let .string(ftype)? = f["type"],
                      let fversions = try versions("versions", in: f)
                else { throw ReadError(file: file, message: "field without name, type or versions") }
                // Tags are numbers, but a few schemas write them as strings ("tag": "0").
                let tag = f["tag"]?.intValue
                if f["tag"] != nil && tag == nil { throw ReadError(file: file, message: "\(fname): tag is not a number") }
                if f["taggedVersions"] != nil && tag == nil {
                    throw ReadError(file: file, message: "\(fname): taggedVersions without a tag")
                }
                var entity: String?
                if case let .string(e)? = f["entityType"] { entity = e }
                return FieldSpec(
                    name: fname, type: ftype, versions: fversions,
                    nullableVersions: try versions("nullableVersions", in: f),
                    taggedVersions: try versions("taggedVersions", in: f),
                    tag: tag, defaultValue: f["default"]?.defaultText,
                    ignorable: f["ignorable"]?.boolValue ?? false,
                    entityType: entity,
                    mapKey: f["mapKey"]?.boolValue ?? false,
                    zeroCopy: f["zeroCopy"]?.boolValue ?? false,
                    flexibleVersions: try versions("flexibleVersions", in: f),
                    fields: f["fields"] == nil ? nil : try fields(f["fields"])
                )
            }
        }

        let apiKey = o["apiKey"]?.intValue
        if o["apiKey"] != nil && apiKey == nil { throw ReadError(file: file, message: "apiKey is not a number") }
        var listeners: [String]?
        if case let .array(ls)? = o["listeners"] {
            listeners = ls.compactMap { if case let .string(s) = $0 { return s } else { return nil } }
        }
        var commons: [StructSpec] = []
        if case let .array(cs)? = o["commonStructs"] {
            for c in cs {
                guard case let .object(co) = c, case let .string(cname)? = co["name"],
                      let cv = try versions("versions", in: co)
                else { throw ReadError(file: file, message: "bad commonStructs entry") }
                commons.append(StructSpec(name: cname, versions: cv, fields: try fields(co["fields"])))
            }
        }
        return MessageSpec(
            kind: kind, name: name, apiKey: apiKey, validVersions: valid, flexibleVersions: flexible,
            deprecatedVersions: try versions("deprecatedVersions", in: o), listeners: listeners,
            latestVersionUnstable: o["latestVersionUnstable"]?.boolValue ?? false,
            fields: try fields(o["fields"]), commonStructs: commons
        )
    }
}

/// Just enough JSON to read the schemas, keeping booleans apart from numbers.
enum JSONValue: Decodable {
    case object([String: JSONValue]), array([JSONValue]), string(String), number(Double), bool(Bool), null

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// A whole number written as a JSON number or as a string of digits.
    var intValue: Int? {
        switch self {
        case let .number(n): return n == n.rounded() ? Int(n) : nil
        case let .string(s): return Int(s)
        default: return nil
        }
    }

    var boolValue: Bool? {
        switch self {
        case let .bool(b): return b
        case let .string(s): return s == "true" ? true : (s == "false" ? false : nil)
        default: return nil
        }
    }

    /// A default as text: strings as written, numbers without a fraction, booleans as words.
    /// JSON `null` means no default, as Kafka's generator reads it.
    var defaultText: String? {
        switch self {
        case let .string(s): return s
        case let .number(n): return n == n.rounded() ? String(Int64(n)) : String(n)
        case let .bool(b): return b ? "true" : "false"
        default: return nil
        }
    }
}

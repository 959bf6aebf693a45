import Foundation

/// A field value for the golden interpreter: what a Kafka schema type holds, independent of any
/// generated Swift type. Structs are objects keyed by the schema's field names; a key left out means
/// the field's default.
indirect enum GoldenValue: Equatable, CustomStringConvertible {
    case bool(Bool)
    /// int8, int16, uint16, int32, int64 (range checked on encoding).
    case int(Int64)
    case float(Double)
    case string(String)
    /// bytes and records.
    case bytes([UInt8])
    case uuid([UInt8])
    case array([GoldenValue])
    case object([String: GoldenValue])
    case null

    var description: String {
        switch self {
        case let .bool(b): "\(b)"
        case let .int(i): "\(i)"
        case let .float(d): "\(d)"
        case let .string(s): "\"\(s)\""
        case let .bytes(b): "bytes(\(b.count))\(b.prefix(8))"
        case let .uuid(u): "uuid\(u)"
        case let .array(a): "[" + a.map(\.description).joined(separator: ", ") + "]"
        case let .object(o): "{" + o.keys.sorted().map { "\($0): \(o[$0]!)" }.joined(separator: ", ") + "}"
        case .null: "null"
        }
    }
}

extension GoldenField {
    /// Kafka's default for the field: the schema's `default` when given (`null` for a nullable field),
    /// else zero, false, the empty string, empty bytes, the zero UUID, an empty array, or a struct of
    /// its fields' defaults.
    var defaultValue: GoldenValue {
        if defaultText == "null" { return .null }
        if isArray { return .array([]) }
        if let fields { return .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.defaultValue) })) }
        switch type {
        case "bool": return .bool(defaultText == "true")
        case "int8", "int16", "uint16", "int32", "int64": return .int(Self.parseInteger(defaultText) ?? 0)
        case "float64": return .float(defaultText.flatMap(Double.init) ?? 0)
        case "string": return .string(defaultText ?? "")
        case "uuid": return .uuid([UInt8](repeating: 0, count: 16))
        case "records": return nullableVersions == .none ? .bytes([]) : .null
        default: return .bytes([])
        }
    }

    static func parseInteger(_ text: String?) -> Int64? {
        guard let text else { return nil }
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return Int64(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("-0x") { return Int64(text.dropFirst(3), radix: 16).map { -$0 } }
        return Int64(text)
    }

    /// The value with every missing key of every struct filled with its default.
    func completed(_ value: GoldenValue) -> GoldenValue {
        guard let fields else { return value }
        switch value {
        case let .array(items) where isArray:
            return .array(items.map { Self.completeObject($0, fields: fields) })
        case .object where !isArray:
            return Self.completeObject(value, fields: fields)
        default:
            return value
        }
    }

    static func completeObject(_ value: GoldenValue, fields: [GoldenField]) -> GoldenValue {
        guard case let .object(values) = value else { return value }
        var out: [String: GoldenValue] = [:]
        for f in fields { out[f.name] = f.completed(values[f.name] ?? f.defaultValue) }
        return .object(out)
    }
}

extension GoldenSchema {
    /// `values` with every field the schema has, present in `version` or not, filled in: what a decoder
    /// of `version` must produce (fields outside the version keep their defaults).
    func expectedDecoding(of values: [String: GoldenValue], version: Int16) -> GoldenValue {
        GoldenField.completeObject(.object(Self.restricted(values, fields: fields, version: version)), fields: fields)
    }

    /// Drops the keys of fields not in `version`, at every depth.
    static func restricted(_ values: [String: GoldenValue], fields: [GoldenField], version: Int16) -> [String: GoldenValue] {
        var out: [String: GoldenValue] = [:]
        for f in fields where f.versions.contains(version) {
            guard let v = values[f.name] else { continue }
            guard let children = f.fields else { out[f.name] = v; continue }
            switch v {
            case let .object(o): out[f.name] = .object(restricted(o, fields: children, version: version))
            case let .array(items):
                out[f.name] = .array(items.map { item in
                    guard case let .object(o) = item else { return item }
                    return .object(restricted(o, fields: children, version: version))
                })
            default: out[f.name] = v
            }
        }
        return out
    }
}

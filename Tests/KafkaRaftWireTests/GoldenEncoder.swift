import Foundation

/// Encodes a message from a schema and field values, by Kafka's protocol rules alone:
///
/// - integers big-endian in their width; bool one byte; float64 IEEE-754 big-endian; uuid 16 bytes.
/// - non-flexible versions: string = int16 length (-1 null) + UTF-8; bytes/records = int32 length
///   (-1 null); array = int32 count (-1 null).
/// - flexible versions: the same with an unsigned varint of length + 1 (0 = null), and after every
///   struct's fields a tagged-field section: uvarint count, then per field in ascending tag order uvarint
///   tag, uvarint size, the value encoded as in the body. A tagged field is written only when it differs
///   from its default.
/// - a field outside the version is skipped when it holds its default or is ignorable, and is an error
///   otherwise; null is an error outside the field's nullable versions.
struct GoldenEncoder {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let schema: GoldenSchema
    let version: Int16
    var flexible: Bool { schema.isFlexible(version) }

    static func encode(_ schema: GoldenSchema, _ values: [String: GoldenValue], version: Int16) throws -> [UInt8] {
        guard schema.validVersions.contains(version) else {
            throw Failure(description: "\(schema.name) has no version \(version)")
        }
        var out: [UInt8] = []
        try GoldenEncoder(schema: schema, version: version).writeStruct(schema.fields, values, path: schema.name, into: &out)
        return out
    }

    func writeStruct(_ fields: [GoldenField], _ values: [String: GoldenValue], path: String, into out: inout [UInt8]) throws {
        for key in values.keys where !fields.contains(where: { $0.name == key }) {
            throw Failure(description: "\(path) has no field \(key)")
        }
        var tagged: [(tag: Int, bytes: [UInt8])] = []
        for field in fields {
            let value = values[field.name] ?? field.defaultValue
            let isDefault = field.completed(value) == field.completed(field.defaultValue)
            guard field.versions.contains(version) else {
                if !isDefault && !field.ignorable {
                    throw Failure(description: "\(path).\(field.name) holds a value but is not in version \(version)")
                }
                continue
            }
            if flexible, field.taggedVersions.contains(version) {
                guard let tag = field.tag else { throw Failure(description: "\(path).\(field.name) is tagged without a tag") }
                if !isDefault {
                    var payload: [UInt8] = []
                    try writeField(field, value, path: path, into: &payload)
                    tagged.append((tag, payload))
                }
                continue
            }
            try writeField(field, value, path: path, into: &out)
        }
        if flexible {
            tagged.sort { $0.tag < $1.tag }
            Self.writeUnsignedVarint(UInt64(tagged.count), into: &out)
            for (tag, payload) in tagged {
                Self.writeUnsignedVarint(UInt64(tag), into: &out)
                Self.writeUnsignedVarint(UInt64(payload.count), into: &out)
                out += payload
            }
        }
    }

    func writeField(_ field: GoldenField, _ value: GoldenValue, path: String, into out: inout [UInt8]) throws {
        let here = "\(path).\(field.name)"
        if value == .null {
            guard field.nullableVersions.contains(version) else { throw Failure(description: "\(here) is null in version \(version)") }
            switch field.isArray ? "array" : field.type {
            case "array", "bytes", "records": writeLength(nil, wide: true, into: &out)
            case "string": writeLength(nil, wide: false, into: &out)
            default: throw Failure(description: "\(here): type \(field.type) cannot be null")
            }
            return
        }
        if field.isArray {
            guard case let .array(items) = value else { throw Failure(description: "\(here): expected an array, got \(value)") }
            writeLength(items.count, wide: true, into: &out)
            for (i, item) in items.enumerated() {
                if let children = field.fields {
                    guard case let .object(o) = item else { throw Failure(description: "\(here)[\(i)]: expected a struct") }
                    try writeStruct(children, o, path: "\(here)[\(i)]", into: &out)
                } else {
                    try writePrimitive(field.elementType, item, path: "\(here)[\(i)]", into: &out)
                }
            }
        } else if let children = field.fields {
            guard case let .object(o) = value else { throw Failure(description: "\(here): expected a struct, got \(value)") }
            try writeStruct(children, o, path: here, into: &out)
        } else {
            try writePrimitive(field.type, value, path: here, into: &out)
        }
    }

    func writePrimitive(_ type: String, _ value: GoldenValue, path: String, into out: inout [UInt8]) throws {
        switch (type, value) {
        case let ("bool", .bool(b)): out.append(b ? 1 : 0)
        case let ("int8", .int(i)): try Self.appendBigEndian(i, width: 1, signed: true, path: path, into: &out)
        case let ("int16", .int(i)): try Self.appendBigEndian(i, width: 2, signed: true, path: path, into: &out)
        case let ("uint16", .int(i)): try Self.appendBigEndian(i, width: 2, signed: false, path: path, into: &out)
        case let ("int32", .int(i)): try Self.appendBigEndian(i, width: 4, signed: true, path: path, into: &out)
        case let ("int64", .int(i)): try Self.appendBigEndian(i, width: 8, signed: true, path: path, into: &out)
        case let ("float64", .float(d)): try Self.appendBigEndian(Int64(bitPattern: d.bitPattern), width: 8, signed: true, path: path, into: &out)
        case let ("uuid", .uuid(u)) where u.count == 16: out += u
        case let ("string", .string(s)):
            let utf8 = Array(s.utf8)
            writeLength(utf8.count, wide: false, into: &out)
            out += utf8
        case let ("bytes", .bytes(b)), let ("records", .bytes(b)):
            writeLength(b.count, wide: true, into: &out)
            out += b
        default:
            throw Failure(description: "\(path): \(value) is not a \(type)")
        }
    }

    /// A length or count; nil is null. Non-flexible: int16 (strings) or int32, -1 for null.
    /// Flexible: unsigned varint of n + 1, 0 for null.
    func writeLength(_ n: Int?, wide: Bool, into out: inout [UInt8]) {
        if flexible {
            Self.writeUnsignedVarint(n.map { UInt64($0) + 1 } ?? 0, into: &out)
        } else {
            let v = Int64(n ?? -1)
            try! Self.appendBigEndian(v, width: wide ? 4 : 2, signed: true, path: "", into: &out)
        }
    }

    static func appendBigEndian(_ value: Int64, width: Int, signed: Bool, path: String, into out: inout [UInt8]) throws {
        if width < 8 {
            let bits = Int64(width * 8)
            let range: ClosedRange<Int64> = signed ? -(1 << (bits - 1))...((1 << (bits - 1)) - 1) : 0...((1 << bits) - 1)
            guard range.contains(value) else { throw Failure(description: "\(path): \(value) does not fit \(width) bytes") }
        }
        let raw = UInt64(bitPattern: value)
        for i in stride(from: width - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: raw >> (UInt64(i) * 8))) }
    }

    /// Seven bits a byte, low group first, high bit set on all but the last.
    static func writeUnsignedVarint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}

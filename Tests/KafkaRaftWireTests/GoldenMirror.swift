import KafkaProtocol
import NIOCore

/// Reads a generated message's stored properties back as ``GoldenValue``s, guided by the schema: each
/// schema field is found by its name compared without case (`ClusterId` ↔ `clusterID`). Every field of
/// every version is read, so defaults of fields a version lacks are compared too.
///
/// A field the generated type lacks, or a Swift value of the wrong type, becomes a `.string` naming
/// the problem, which then fails any comparison.
enum GoldenMirror {
    static func object(_ value: Any, fields: [GoldenField]) -> GoldenValue {
        var properties: [String: Any] = [:]
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            properties[label.lowercased()] = child.value
        }
        var out: [String: GoldenValue] = [:]
        for f in fields {
            guard let property = properties[f.name.lowercased()] else {
                out[f.name] = .string("<\(type(of: value)) has no property for \(f.name)>")
                continue
            }
            out[f.name] = convert(property, f)
        }
        return .object(out)
    }

    static func convert(_ value: Any, _ f: GoldenField) -> GoldenValue {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return .null }
            return convert(wrapped, f)
        }
        if f.isArray {
            return .array(mirror.children.map { child in
                if let children = f.fields { return object(child.value, fields: children) }
                return primitive(child.value, f.elementType)
            })
        }
        if let children = f.fields { return object(value, fields: children) }
        return primitive(value, f.type)
    }

    static func primitive(_ value: Any, _ type: String) -> GoldenValue {
        switch (type, value) {
        case let ("bool", b as Bool): .bool(b)
        case let ("int8", i as Int8): .int(Int64(i))
        case let ("int16", i as Int16): .int(Int64(i))
        case let ("uint16", i as UInt16): .int(Int64(i))
        case let ("int32", i as Int32): .int(Int64(i))
        case let ("int64", i as Int64): .int(i)
        case let ("float64", d as Double): .float(d)
        case let ("string", s as String): .string(s)
        case let ("uuid", u as KafkaUUID): .uuid(u.bytes)
        case let ("bytes", b as [UInt8]): .bytes(b)
        case let ("records", b as ByteBuffer), let ("bytes", b as ByteBuffer): .bytes(Array(b.readableBytesView))
        default: .string("<\(Swift.type(of: value)) for \(type)>")
        }
    }
}

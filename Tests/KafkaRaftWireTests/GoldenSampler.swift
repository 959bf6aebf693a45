import KafkaTestKit
import SeededRandom
/// Representative field values for a schema version, from a seed: every field of the version gets a
/// value, chosen by the variant.
///
/// - `defaults`: every field its default (tagged fields are then absent from the wire).
/// - `rich`: every field a non-default value (tagged fields present), arrays of one or two elements.
/// - `nulls`: nullable fields null, the others as `rich`.
/// - `mixed`: per field a coin decides between default, null (when nullable) and a non-default value.
struct GoldenSampler {
    enum Variant: String, CaseIterable, Sendable {
        case defaults, rich, nulls, mixed
    }

    let version: Int16
    let variant: Variant
    var rng: SplitMix64

    init(version: Int16, variant: Variant, seed: UInt64) {
        self.version = version
        self.variant = variant
        self.rng = SplitMix64(seed: seed &+ UInt64(version) &* 0x9E37_79B9)
    }

    mutating func object(_ fields: [GoldenField], depth: Int = 0) -> [String: GoldenValue] {
        var out: [String: GoldenValue] = [:]
        for f in fields where f.versions.contains(version) { out[f.name] = value(f, depth: depth) }
        return out
    }

    mutating func value(_ f: GoldenField, depth: Int) -> GoldenValue {
        let nullable = f.nullableVersions.contains(version)
        switch variant {
        case .defaults: return f.defaultValue
        case .nulls where nullable: return .null
        case .mixed:
            switch rng.next() % 3 {
            case 0: return f.defaultValue
            case 1 where nullable: return .null
            default: break
            }
        default: break
        }
        if f.isArray {
            let count = depth < 3 ? 1 + Int(rng.next() % 2) : 0
            return .array((0..<count).map { _ in element(f, depth: depth + 1) })
        }
        if let children = f.fields { return .object(object(children, depth: depth + 1)) }
        return primitive(f.type, avoiding: f.defaultValue)
    }

    mutating func element(_ f: GoldenField, depth: Int) -> GoldenValue {
        if let children = f.fields { return .object(object(children, depth: depth)) }
        return primitive(f.elementType, avoiding: .null)
    }

    /// A random value of `type` other than `avoiding`.
    mutating func primitive(_ type: String, avoiding: GoldenValue) -> GoldenValue {
        while true {
            let r = rng.next()
            let v: GoldenValue = switch type {
            case "bool": .bool(r & 1 == 1)
            case "int8": .int(Int64(Int8(truncatingIfNeeded: r)))
            case "int16": .int(Int64(Int16(truncatingIfNeeded: r)))
            case "uint16": .int(Int64(UInt16(truncatingIfNeeded: r)))
            case "int32": .int(Int64(Int32(truncatingIfNeeded: r)))
            case "int64": .int(Int64(bitPattern: r))
            case "float64": .float(Double(Int32(truncatingIfNeeded: r)) / 7)
            case "uuid": .uuid(bytes(16))
            case "string": .string(text(Int(r % 9)))
            default: .bytes(bytes(Int(r % 40)))
            }
            if v != avoiding { return v }
        }
    }

    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }

    /// ASCII and multi-byte characters, so byte and character counts differ.
    mutating func text(_ n: Int) -> String {
        let alphabet: [Character] = ["a", "b", "z", "_", "-", "0", "é", "ß", "€", "🙂"]
        return String((0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }
}

/// The wire layout of one version of a message: what is encoded, in order, without names. Lets a
/// definition in `Protocol/` be checked against franz-go's (which names fields its own way) for the
/// Kafka 4.x versions that Kafka 3.9's JSON lacks.
///
/// Tokens: a primitive (`int32`, `string`, `bytes`, `uuid`, …) with `?` when nullable in that version,
/// `[]T` / `[]T?` for an array of primitives, `{` / `{?` … `}` for a struct and `[]{` / `[]{?` … `}` for
/// an array of structs; in flexible versions each struct's tagged fields follow its other fields as
/// `tag N` and the field's tokens, by ascending tag.
public enum WireLayout {
    public struct Item: Hashable, Sendable, CustomStringConvertible {
        /// The field, in the names of the side it came from (for messages).
        public var path: String
        public var token: String
        public var description: String { "\(path): \(token)" }
    }

    static let primitives: Set = ["bool", "int8", "int16", "int32", "int64", "uint16", "float64", "string", "bytes", "records", "uuid"]

    // MARK: Protocol/ definitions

    public static func of(_ spec: MessageSpec, version: Int16) -> [Item] {
        var out: [Item] = []
        items(spec.fields, path: spec.name, version: version, flexible: spec.flexibleVersions.contains(version), spec: spec, into: &out)
        return out
    }

    private static func items(_ fields: [FieldSpec], path: String, version: Int16, flexible: Bool, spec: MessageSpec, into out: inout [Item]) {
        let present = fields.filter { $0.versions.contains(version) }
        let isTagged = { (f: FieldSpec) in flexible && f.tag != nil && f.taggedVersions?.contains(version) == true }
        for f in present where !isTagged(f) {
            fieldItems(f, path: path, version: version, flexible: flexible, spec: spec, into: &out)
        }
        for f in present.filter(isTagged).sorted(by: { $0.tag! < $1.tag! }) {
            out.append(Item(path: "\(path).\(f.name)", token: "tag \(f.tag!)"))
            fieldItems(f, path: path, version: version, flexible: flexible, spec: spec, into: &out)
        }
    }

    private static func fieldItems(_ f: FieldSpec, path: String, version: Int16, flexible: Bool, spec: MessageSpec, into out: inout [Item]) {
        let p = "\(path).\(f.name)"
        let q = f.nullableVersions?.contains(version) == true ? "?" : ""
        let isArray = f.type.hasPrefix("[]")
        let base = isArray ? String(f.type.dropFirst(2)) : f.type
        if primitives.contains(base) {
            out.append(Item(path: p, token: (isArray ? "[]" : "") + normalized(base) + q))
            return
        }
        out.append(Item(path: p, token: (isArray ? "[]{" : "{") + q))
        let nested = f.fields ?? spec.commonStructs.first { $0.name == base }?.fields ?? []
        items(nested, path: p, version: version, flexible: flexible, spec: spec, into: &out)
        out.append(Item(path: p, token: "}"))
    }

    /// `records` is `bytes` on the wire.
    private static func normalized(_ primitive: String) -> String { primitive == "records" ? "bytes" : primitive }

    // MARK: franz-go definitions

    public static func of(_ message: FranzDefinitionReader.Message, version: Int16) -> [Item] {
        var out: [Item] = []
        items(message.fields, path: message.name, version: version, flexible: message.flexibleVersions.contains(version), into: &out)
        return out
    }

    private static func items(_ fields: [FranzDefinitionReader.Field], path: String, version: Int16, flexible: Bool, into out: inout [Item]) {
        let present = fields.filter { $0.versions.contains(version) }
        for f in present where !(flexible && f.tag != nil) {
            typeItems(f.type, path: "\(path).\(f.name)", version: version, flexible: flexible, into: &out)
        }
        guard flexible else { return }
        for f in present.filter({ $0.tag != nil }).sorted(by: { $0.tag! < $1.tag! }) {
            out.append(Item(path: "\(path).\(f.name)", token: "tag \(f.tag!)"))
            typeItems(f.type, path: "\(path).\(f.name)", version: version, flexible: flexible, into: &out)
        }
    }

    private static func typeItems(_ type: FranzDefinitionReader.FieldType, path: String, version: Int16, flexible: Bool, into out: inout [Item]) {
        func q(_ from: Int16?) -> String { from.map { version >= $0 } == true ? "?" : "" }
        switch type {
        case let .primitive(name, from):
            out.append(Item(path: path, token: name + q(from)))
        case let .array(.primitive(name, _), from):
            out.append(Item(path: path, token: "[]" + name + q(from)))
        case let .array(.structure(fields, _), from):
            out.append(Item(path: path, token: "[]{" + q(from)))
            items(fields, path: path, version: version, flexible: flexible, into: &out)
            out.append(Item(path: path, token: "}"))
        case let .array(.array, from):
            out.append(Item(path: path, token: "[][]" + q(from)))
        case let .structure(fields, from):
            out.append(Item(path: path, token: "{" + q(from)))
            items(fields, path: path, version: version, flexible: flexible, into: &out)
            out.append(Item(path: path, token: "}"))
        }
    }

    // MARK: comparison

    /// Where `spec` and franz-go's `message` disagree in `versions`: a version franz-go lacks, flexibility,
    /// or the first differing token of the layout.
    public static func differences(_ spec: MessageSpec, _ message: FranzDefinitionReader.Message, versions: [Int16]) -> [String] {
        var out: [String] = []
        for v in versions {
            guard message.validVersions.contains(v) else {
                out.append("\(spec.name) v\(v): franz-go's \(message.name) stops at v\(message.maxVersion)")
                continue
            }
            if spec.flexibleVersions.contains(v) != message.flexibleVersions.contains(v) {
                out.append("\(spec.name) v\(v): flexible \(spec.flexibleVersions.contains(v)) but franz-go says \(message.flexibleVersions.contains(v))")
            }
            let ours = of(spec, version: v)
            let theirs = of(message, version: v)
            if let i = Array(zip(ours, theirs)).firstIndex(where: { $0.token != $1.token }) ?? (ours.count == theirs.count ? nil : min(ours.count, theirs.count)) {
                let a = i < ours.count ? ours[i].description : "(end)"
                let b = i < theirs.count ? theirs[i].description : "(end)"
                out.append("\(spec.name) v\(v): item \(i) is `\(a)` but franz-go has `\(b)`")
            }
        }
        return out
    }
}

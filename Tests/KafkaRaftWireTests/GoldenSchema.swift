import Foundation
import ProtocolSchema

/// A message schema as the golden interpreter sees it: the facts the wire form depends on (valid and
/// flexible versions; per field its type, versions, nullable and tagged versions, tag, default and
/// ignorability), with common structs already resolved into the fields that use them.
///
/// Read straight from Kafka's JSON (`../shared/kafka-protocol`) by this file's own reader, so the check
/// does not share a parser with the code generator; only when the JSON is absent does it fall back to
/// `Protocol/*.def` through `ProtocolSchema`.
struct GoldenSchema {
    var name: String
    var validVersions: GoldenVersions
    var flexibleVersions: GoldenVersions
    var fields: [GoldenField]

    var versions: [Int16] { validVersions.all }
    func isFlexible(_ version: Int16) -> Bool { flexibleVersions.contains(version) }
}

/// `none`, `N`, `N+` or `N-M`.
struct GoldenVersions: Equatable {
    var lowest: Int16?
    var highest: Int16?

    static let none = GoldenVersions(lowest: nil, highest: nil)

    init(lowest: Int16?, highest: Int16?) {
        self.lowest = lowest
        self.highest = highest
    }

    init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "none" { self = .none; return }
        if t.hasSuffix("+"), let n = Int16(t.dropLast()) { self.init(lowest: n, highest: nil); return }
        let parts = t.split(separator: "-")
        if parts.count == 1, let n = Int16(parts[0]) { self.init(lowest: n, highest: n); return }
        if parts.count == 2, let a = Int16(parts[0]), let b = Int16(parts[1]) { self.init(lowest: a, highest: b); return }
        return nil
    }

    func contains(_ v: Int16) -> Bool {
        guard let lowest else { return false }
        return v >= lowest && (highest.map { v <= $0 } ?? true)
    }

    /// Every version of a closed range (valid versions are always closed).
    var all: [Int16] {
        guard let lowest, let highest else { return [] }
        return Array(lowest...highest)
    }
}

struct GoldenField {
    var name: String
    /// `int32`, `string`, `[]int32`, `[]Topic`, `Leader` (a struct) ...
    var type: String
    var versions: GoldenVersions
    var nullableVersions: GoldenVersions
    var taggedVersions: GoldenVersions
    var tag: Int?
    /// The schema's default as text (`-1`, `0x7fffffff`, `null`, `true`, `abc`), nil when unstated.
    var defaultText: String?
    var ignorable: Bool
    /// The fields of a struct or struct-array type.
    var fields: [GoldenField]?

    var isArray: Bool { type.hasPrefix("[]") }
    var elementType: String { isArray ? String(type.dropFirst(2)) : type }
    var isStruct: Bool { fields != nil }
}

enum GoldenSchemaError: Error, CustomStringConvertible {
    case missing(String)
    case malformed(String, String)

    var description: String {
        switch self {
        case let .missing(what): "no schema found: \(what)"
        case let .malformed(file, why): "\(file): \(why)"
        }
    }
}

/// Where the schemas are: `../shared/kafka-protocol` beside the repository, else the repository's `Protocol/`.
enum GoldenSchemaSource {
    /// The repository root, from this file's real path (symlinks resolved).
    static let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let upstream = root.deletingLastPathComponent().appendingPathComponent("shared/kafka-protocol")
    static let definitions = root.appendingPathComponent("Protocol")

    static var upstreamPresent: Bool {
        FileManager.default.fileExists(atPath: upstream.appendingPathComponent("message/VoteRequest.json").path)
    }

    /// The schema of `name` (e.g. `VoteRequest`) from folder `message`; throws when neither source has it,
    /// so a test never passes for want of a schema.
    static func load(_ name: String, folder: String = "message") throws -> GoldenSchema {
        try load(name, folder: folder, upstream: upstream, definitions: definitions)
    }

    static func load(_ name: String, folder: String, upstream: URL, definitions: URL) throws -> GoldenSchema {
        let json = upstream.appendingPathComponent("\(folder)/\(name).json")
        if FileManager.default.fileExists(atPath: json.path) {
            return try GoldenJSONSchemaReader.read(try Data(contentsOf: json), file: json.lastPathComponent)
        }
        return try loadDefinition(name, folder: folder, definitions: definitions, instead: json.path)
    }

    /// The schema from `Protocol/<folder>/<name>.def`.
    static func loadDefinition(_ name: String, folder: String, definitions: URL = definitions, instead: String = "") throws -> GoldenSchema {
        let url = definitions.appendingPathComponent("\(folder)/\(name).def")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GoldenSchemaError.missing("neither \(instead) nor \(url.path)")
        }
        return try GoldenDefinitionAdapter.convert(try DefinitionFormat.parse(String(contentsOf: url, encoding: .utf8)))
    }
}

/// Kafka's JSON schemas: whole-line `//` comments, then one JSON object.
enum GoldenJSONSchemaReader {
    static func read(_ data: Data, file: String) throws -> GoldenSchema {
        let text = String(decoding: data, as: UTF8.self)
        let json = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            .joined(separator: "\n")
        guard let top = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw GoldenSchemaError.malformed(file, "top level is not an object")
        }
        guard let name = top["name"] as? String,
              let valid = (top["validVersions"] as? String).flatMap(GoldenVersions.init),
              let flexible = (top["flexibleVersions"] as? String).flatMap(GoldenVersions.init)
        else { throw GoldenSchemaError.malformed(file, "name, validVersions or flexibleVersions") }
        var common: [String: [[String: Any]]] = [:]
        for item in top["commonStructs"] as? [[String: Any]] ?? [] {
            if let n = item["name"] as? String { common[n] = item["fields"] as? [[String: Any]] ?? [] }
        }
        let fields = try (top["fields"] as? [[String: Any]] ?? []).map { try field($0, common: common, file: file) }
        return GoldenSchema(name: name, validVersions: valid, flexibleVersions: flexible, fields: fields)
    }

    static func field(_ o: [String: Any], common: [String: [[String: Any]]], file: String) throws -> GoldenField {
        guard let name = o["name"] as? String, let type = o["type"] as? String,
              let versions = (o["versions"] as? String).flatMap(GoldenVersions.init)
        else { throw GoldenSchemaError.malformed(file, "a field without name, type or versions: \(o)") }
        let element = type.hasPrefix("[]") ? String(type.dropFirst(2)) : type
        var children: [GoldenField]?
        if let inline = o["fields"] as? [[String: Any]] {
            children = try inline.map { try field($0, common: common, file: file) }
        } else if let shared = common[element] {
            children = try shared.map { try field($0, common: common, file: file) }
        }
        let defaultText: String? = switch o["default"] {
        case let s as String: s
        case let n as NSNumber: n.stringValue
        default: nil
        }
        return GoldenField(
            name: name, type: type, versions: versions,
            nullableVersions: (o["nullableVersions"] as? String).flatMap(GoldenVersions.init) ?? .none,
            taggedVersions: (o["taggedVersions"] as? String).flatMap(GoldenVersions.init) ?? .none,
            tag: (o["tag"] as? NSNumber)?.intValue, defaultText: defaultText,
            ignorable: (o["ignorable"] as? Bool) ?? false, fields: children
        )
    }
}

/// The fallback: `Protocol/*.def` parsed by `ProtocolSchema`.
enum GoldenDefinitionAdapter {
    static func convert(_ spec: MessageSpec) throws -> GoldenSchema {
        var common: [String: [FieldSpec]] = [:]
        for s in spec.commonStructs { common[s.name] = s.fields }
        return GoldenSchema(
            name: spec.name, validVersions: versions(spec.validVersions), flexibleVersions: versions(spec.flexibleVersions),
            fields: spec.fields.map { field($0, common: common) }
        )
    }

    static func versions(_ v: Versions?) -> GoldenVersions {
        guard let v else { return .none }
        return GoldenVersions(lowest: v.lowest, highest: v.highest)
    }

    static func field(_ f: FieldSpec, common: [String: [FieldSpec]]) -> GoldenField {
        let children = f.fields ?? common[f.elementType]
        return GoldenField(
            name: f.name, type: f.type, versions: versions(f.versions), nullableVersions: versions(f.nullableVersions),
            taggedVersions: versions(f.taggedVersions), tag: f.tag, defaultText: f.defaultValue, ignorable: f.ignorable,
            fields: children?.map { field($0, common: common) }
        )
    }
}

extension GoldenSchema {
    /// The schema as it stands up to `highest`: later versions and the fields only they have removed
    /// (for comparing a definition that adds Kafka 4.x versions with Kafka 3.9's JSON).
    func clipped(toHighest highest: Int16) -> GoldenSchema {
        var out = self
        out.validVersions.highest = validVersions.highest.map { min($0, highest) } ?? highest
        out.fields = GoldenField.clipped(fields, toHighest: highest)
        return out
    }
}

extension GoldenField {
    static func clipped(_ fields: [GoldenField], toHighest highest: Int16) -> [GoldenField] {
        fields.compactMap { f in
            guard let lowest = f.versions.lowest, lowest <= highest else { return nil }
            var f = f
            f.fields = f.fields.map { clipped($0, toHighest: highest) }
            return f
        }
    }
}

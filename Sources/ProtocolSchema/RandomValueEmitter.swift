/// Emits test support: for every schema struct, `random(version:using:)` building a value that is
/// valid for that version (fields the version lacks stay at their defaults, null only where the
/// version allows it), so property tests can round-trip every version of every message.
enum RandomValueEmitter {
    static func generate(specs: [String: MessageSpec]) throws -> String {
        var out = SwiftGenerator.banner(source: "Protocol/ (test support)")
        out += "\nimport KafkaProtocol\nimport NIOCore\nimport SeededRandom\n"
        var entries: [String] = []
        for key in specs.keys.sorted() {
            let spec = specs[key]!
            var common: [String: StructSpec] = [:]
            for c in spec.commonStructs { common[c.name] = c }
            var lines: [String] = []
            var emitted: Set<String> = []
            try emit(struct: spec.name, fields: spec.fields, spec: spec, common: common, emitted: &emitted, into: &lines)
            for c in spec.commonStructs {
                try emit(struct: "\(spec.name).\(c.name)", fields: c.fields, spec: spec, common: common, emitted: &emitted, into: &lines)
            }
            out += "\n" + lines.joined(separator: "\n") + "\n"
            entries.append("    (\(spec.name).self, { version, rng in \(spec.name).random(version: version, using: &rng) }),")
        }
        out += "\n/// Every generated message type with its random constructor.\n"
        out += "public let allRandomMessages: [(type: any KafkaMessage.Type, make: @Sendable (Int16, inout SplitMix64) -> any KafkaMessage)] = [\n"
        out += entries.joined(separator: "\n") + "\n]\n"
        return out
    }

    private static func emit(
        struct qualified: String, fields: [FieldSpec], spec: MessageSpec, common: [String: StructSpec],
        emitted: inout Set<String>, into lines: inout [String]
    ) throws {
        guard emitted.insert(qualified).inserted else { return }
        var nestedLines: [String] = []
        let flexible = !spec.flexibleVersions.intersection(spec.validVersions).isNone
        lines.append("extension \(qualified) {")
        lines.append("    public static func random(version: Int16, using rng: inout SplitMix64) -> \(qualified) {")
        lines.append("        var value = \(qualified)()")
        for field in fields {
            let info = try FieldInfo(field: field, parent: qualified, message: spec, common: common)
            let present = field.taggedVersions ?? field.versions
            let cond = VersionCondition.expression(present, within: spec.validVersions)
            if cond == "false" { continue }
            let nullable = field.nullableVersions.map { VersionCondition.expression($0, within: field.versions.intersection(spec.validVersions)) ?? "true" } ?? "false"
            let make = valueExpression(info)
            let target = "value.\(SwiftNames.escaped(info.property))"
            var statement = "\(target) = \(make)"
            if info.isOptional && nullable != "false" {
                statement = "\(target) = (\(nullable)) && rng.chance(5) ? nil : \(make)"
            }
            // Tagged fields are left at their default now and then, so both forms are exercised.
            if field.tag != nil { statement = "if rng.chance(3) { \(statement) }" }
            lines.append("        " + (cond.map { "if \($0) { \(statement) }" } ?? statement))
            if let nested = field.fields {
                try emit(struct: "\(qualified).\(field.elementType)", fields: nested, spec: spec, common: common,
                         emitted: &emitted, into: &nestedLines)
            }
        }
        if flexible {
            let flexCond = VersionCondition.expression(spec.flexibleVersions, within: spec.validVersions).map { "\($0) && " } ?? ""
            lines.append("        if \(flexCond)rng.chance(8) { value.unknownTaggedFields = [RawTaggedField(tag: UInt32(200 + rng.below(50)), data: rng.bytes(maxCount: 8))] }")
        }
        lines.append("        return value")
        lines.append("    }")
        lines.append("}")
        lines.append(contentsOf: nestedLines)
    }

    private static func valueExpression(_ info: FieldInfo) -> String {
        let element: String
        switch info.field.elementType {
        case "bool": element = "rng.bool()"
        case "int8": element = "rng.integer(Int8.self)"
        case "int16": element = "rng.integer(Int16.self)"
        case "uint16": element = "rng.integer(UInt16.self)"
        case "int32": element = "rng.integer(Int32.self)"
        case "int64": element = "rng.integer(Int64.self)"
        case "float64": element = "rng.double()"
        case "string": element = "rng.string()"
        case "bytes": element = "rng.bytes(maxCount: 40)"
        case "uuid": element = "rng.uuid()"
        case "records": element = "rng.records()"
        default: element = "\(info.structQualifiedName!).random(version: version, using: &rng)"
        }
        if info.field.isArray {
            return "(0..<rng.below(4)).map { _ in \(element) }"
        }
        return element
    }
}

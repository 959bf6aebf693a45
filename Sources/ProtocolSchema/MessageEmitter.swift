/// Emits one schema as a Swift struct with nested structs, a `read` initializer and a `write` method
/// that handle every valid version: compact encodings and tagged fields in flexible versions,
/// nullability per version, defaults, and Kafka's rule that writing a non-default value in a version
/// without the field is an error unless the field is ignorable.
final class MessageEmitter {
    let spec: MessageSpec
    private(set) var output = ""
    private var depth = 0
    private let common: [String: StructSpec]

    init(spec: MessageSpec) {
        self.spec = spec
        var common: [String: StructSpec] = [:]
        for c in spec.commonStructs { common[c.name] = c }
        self.common = common
    }

    private var flexible: Bool { !spec.flexibleVersions.intersection(spec.validVersions).isNone }

    private func line(_ s: String = "") {
        output += s.isEmpty ? "\n" : String(repeating: "    ", count: depth) + s + "\n"
    }

    private func block(_ open: String, _ body: (MessageEmitter) throws -> Void) rethrows {
        line(open + " {")
        depth += 1
        try body(self)
        depth -= 1
        line("}")
    }

    // MARK: message

    func emitMessage() throws {
        guard case let .range(lo, hi) = spec.validVersions else {
            throw SwiftGenerator.GenerationError(message: "\(spec.name): no valid versions")
        }
        let conformance: String
        switch spec.kind {
        case .request: conformance = "KafkaRequestMessage"
        case .response:
            // A top-level ThrottleTimeMs (KIP-219) lets quotas set it on any response.
            let throttled = spec.fields.contains { $0.name == "ThrottleTimeMs" && $0.type == "int32" && $0.tag == nil }
            conformance = throttled ? "KafkaResponseMessage, ThrottledResponse" : "KafkaResponseMessage"
        case .metadata: conformance = "KafkaMetadataRecord"
        default: conformance = "KafkaMessage"
        }
        line("/// `\(spec.name)` (\(spec.kind.rawValue)\(spec.apiKey.map { spec.kind == .metadata ? ", record type \($0)" : ", API key \($0)" } ?? "")), versions \(spec.validVersions), flexible \(spec.flexibleVersions).")
        try emitStruct(name: spec.name, qualified: spec.name, fields: spec.fields, conformance: conformance) { e in
            e.line("public static let messageName = \(SwiftNames.literal(spec.name))")
            e.line("public static let validVersions: ClosedRange<Int16> = \(lo)...\(hi ?? lo)")
            e.line("public static let lowestFlexibleVersion: Int16? = \(spec.flexibleVersions.intersection(spec.validVersions).lowest.map(String.init) ?? "nil")")
            if let d = spec.deprecatedVersions, case let .range(dlo, dhi) = d {
                e.line("public static let deprecatedVersions: ClosedRange<Int16>? = \(dlo)...\(dhi ?? hi ?? dlo)")
            }
            if let key = spec.apiKey {
                switch spec.kind {
                case .request:
                    e.line("public typealias Response = \(spec.name.dropLast("Request".count))Response")
                    e.line("public static let apiKey = APIKey(rawValue: \(key))")
                case .response:
                    e.line("public static let apiKey = APIKey(rawValue: \(key))")
                case .metadata:
                    e.line("public static let recordType: Int16 = \(key)")
                default:
                    e.line("public static let recordType: Int16 = \(key)")
                }
            }
            for c in spec.commonStructs {
                e.line()
                try e.emitStruct(name: c.name, qualified: "\(spec.name).\(c.name)", fields: c.fields, conformance: nil) { _ in }
            }
        }
    }

    // MARK: structs

    private func emitStruct(
        name: String, qualified: String, fields: [FieldSpec], conformance: String?,
        extra: (MessageEmitter) throws -> Void
    ) throws {
        let infos = try fields.map { try FieldInfo(field: $0, parent: qualified, message: spec, common: common) }
        let conformances = conformance.map { "\($0), Hashable, Sendable" } ?? "Hashable, Sendable"
        try block("public struct \(name): \(conformances)") { e in
            try extra(e)
            for info in infos {
                e.line("public var \(SwiftNames.escaped(info.property)): \(info.swiftType) = \(info.defaultExpression)")
            }
            if e.flexible { e.line("/// Tagged fields this version of Strom does not know, kept for re-encoding.") ; e.line("public var unknownTaggedFields: [RawTaggedField] = []") }
            e.line()
            e.line("public init() {}")
            if !infos.isEmpty {
                e.line()
                let params = infos.map { "\($0.property): \($0.swiftType) = \($0.defaultExpression)" }
                e.line("public init(")
                e.depth += 1
                for (i, p) in params.enumerated() { e.line(p + (i == params.count - 1 ? "" : ",")) }
                e.depth -= 1
                e.block(")") { e in
                    for info in infos { e.line("self.\(SwiftNames.escaped(info.property)) = \(SwiftNames.escaped(info.property))") }
                }
            }
            e.line()
            e.emitRead(name: name, infos: infos)
            e.line()
            e.emitWrite(name: name, infos: infos)
            // Nested structs defined in place.
            var seen: [String: [FieldSpec]] = [:]
            for info in infos {
                guard let nested = info.field.fields else { continue }
                let typeName = info.field.elementType
                if let previous = seen[typeName] {
                    guard previous == nested else {
                        throw SwiftGenerator.GenerationError(message: "\(qualified): two different structs named \(typeName)")
                    }
                    continue
                }
                seen[typeName] = nested
                e.line()
                try e.emitStruct(name: typeName, qualified: "\(qualified).\(typeName)", fields: nested, conformance: nil) { _ in }
            }
        }
    }

    private func pathLiteral(_ structName: String, _ field: FieldSpec) -> String {
        SwiftNames.literal(structName == spec.name ? field.name : "\(structName).\(field.name)")
    }

    // MARK: read

    private func emitRead(name: String, infos: [FieldInfo]) {
        block("public init(reading buffer: inout ByteBuffer, version: Int16) throws(ProtocolError)") { e in
            e.line("self.init()")
            if e.flexible {
                e.line("let flexible = \(VersionCondition.expression(spec.flexibleVersions, within: spec.validVersions) ?? "true")")
            }
            for info in infos where info.field.tag == nil {
                let compact = e.compactExpression(info.field)
                let present = VersionCondition.expression(info.field.versions, within: spec.validVersions)
                if present == "false" { continue }
                e.optionalBlock(present) { e in
                    e.emitReadValue(info, target: "self.\(SwiftNames.escaped(info.property))", buffer: "buffer",
                                    compact: compact, path: e.pathLiteral(name, info.field))
                }
            }
            guard e.flexible else { return }
            let tagged = infos.filter { $0.field.tag != nil }
            let structPath = SwiftNames.literal(name)
            e.block("if flexible") { e in
                if tagged.isEmpty {
                    e.line("self.unknownTaggedFields = try buffer.readUnknownTaggedFields(field: \(structPath))")
                    return
                }
                e.line("let taggedCount = try buffer.readTaggedFieldCount(field: \(structPath))")
                e.line("var previousTag: Int64 = -1")
                e.block("for _ in 0..<taggedCount") { e in
                    e.line("var (tag, payload) = try buffer.readTaggedField(previous: &previousTag, field: \(structPath))")
                    e.line("switch tag {")
                    for info in tagged {
                        let cond = VersionCondition.expression(info.field.taggedVersions ?? info.field.versions, within: spec.validVersions)
                        if cond == "false" { continue }
                        e.line("case \(info.field.tag!)\(cond.map { " where \($0)" } ?? ""):")
                        e.depth += 1
                        e.emitReadValue(info, target: "self.\(SwiftNames.escaped(info.property))", buffer: "payload",
                                        compact: "true", path: e.pathLiteral(name, info.field))
                        e.depth -= 1
                    }
                    e.line("default:")
                    e.depth += 1
                    e.line("self.unknownTaggedFields.append(RawTaggedField(tag: tag, data: Array(payload.readableBytesView)))")
                    e.line("continue")
                    e.depth -= 1
                    e.line("}")
                    e.block("if payload.readableBytes != 0") { e in
                        e.line("throw ProtocolError(.sizeMismatch(payload.readableBytes), field: \(structPath) + \"._tagged[\\(tag)]\")")
                    }
                }
            }
        }
    }

    private func compactExpression(_ field: FieldSpec) -> String {
        if let override = field.flexibleVersions {
            return VersionCondition.expression(override, within: spec.validVersions) ?? "true"
        }
        return flexible ? "flexible" : "false"
    }

    private func optionalBlock(_ condition: String?, _ body: (MessageEmitter) -> Void) {
        if let condition {
            block("if \(condition)", body)
        } else {
            body(self)
        }
    }

    /// The condition under which null is allowed for this field, as an expression; "true"/"false" when fixed.
    private func nullableExpression(_ info: FieldInfo) -> String {
        guard let n = info.field.nullableVersions else { return "false" }
        let within = info.field.versions.intersection(spec.validVersions)
        return VersionCondition.expression(n, within: within) ?? "true"
    }

    private func emitReadValue(_ info: FieldInfo, target: String, buffer: String, compact: String, path: String) {
        let f = info.field
        let nullable = nullableExpression(info)
        let nullCheck: (MessageEmitter, String) -> Void = { e, value in
            if nullable == "true" { return }
            if nullable == "false" {
                e.line("guard \(value) != nil else { throw ProtocolError(.nullNotAllowed, field: \(path)) }")
            } else {
                e.line("if \(value) == nil && !(\(nullable)) { throw ProtocolError(.nullNotAllowed, field: \(path)) }")
            }
        }
        if f.isArray {
            let items = "items"
            block("do") { e in
                e.line("let count = try \(buffer).readKafkaArrayCount(compact: \(compact), field: \(path))")
                nullCheck(e, "count")
                e.block("if let count") { e in
                    e.line("var \(items): [\(info.elementSwiftType)] = []")
                    e.line("\(items).reserveCapacity(Swift.min(count, 1024))")
                    e.block("for _ in 0..<count") { e in
                        e.line("\(items).append(\(e.readScalarExpression(info, type: f.elementType, buffer: buffer, compact: compact, path: path, nullableElement: false)))")
                    }
                    e.line("\(target) = \(items)")
                }
                if info.isOptional { e.line("else { \(target) = nil }") }
            }
            return
        }
        if info.isStruct {
            let q = info.structQualifiedName!
            if info.isOptional {
                // Nullable structs carry an int8 presence marker (-1 null, 1 present) in nullable versions.
                let read: (MessageEmitter) -> Void = { e in
                    e.line("let marker = try \(buffer).readKafkaInteger(Int8.self, field: \(path))")
                    e.line("\(target) = marker < 0 ? nil : try \(q)(reading: &\(buffer), version: version)")
                }
                if nullable == "true" {
                    read(self)
                } else {
                    block("if \(nullable)", read)
                    line("else { \(target) = try \(q)(reading: &\(buffer), version: version) }")
                }
            } else {
                line("\(target) = try \(q)(reading: &\(buffer), version: version)")
            }
            return
        }
        switch f.type {
        case "string", "bytes", "records":
            let reader = f.type == "string" ? "readKafkaNullableString" : (f.type == "bytes" ? "readKafkaNullableBytes" : "readKafkaRecords")
            if info.isOptional {
                line("\(target) = try \(buffer).\(reader)(compact: \(compact), field: \(path))")
                nullCheck(self, target)
            } else if f.type == "records" {
                line("guard let value = try \(buffer).readKafkaRecords(compact: \(compact), field: \(path)) else { throw ProtocolError(.nullNotAllowed, field: \(path)) }")
                line("\(target) = value")
            } else {
                line("\(target) = \(readScalarExpression(info, type: f.type, buffer: buffer, compact: compact, path: path, nullableElement: false))")
            }
        default:
            line("\(target) = \(readScalarExpression(info, type: f.type, buffer: buffer, compact: compact, path: path, nullableElement: false))")
        }
    }

    private func readScalarExpression(_ info: FieldInfo, type: String, buffer: String, compact: String, path: String, nullableElement: Bool) -> String {
        switch type {
        case "bool": return "try \(buffer).readKafkaBool(field: \(path))"
        case "int8": return "try \(buffer).readKafkaInteger(Int8.self, field: \(path))"
        case "int16": return "try \(buffer).readKafkaInteger(Int16.self, field: \(path))"
        case "uint16": return "try \(buffer).readKafkaInteger(UInt16.self, field: \(path))"
        case "int32": return "try \(buffer).readKafkaInteger(Int32.self, field: \(path))"
        case "int64": return "try \(buffer).readKafkaInteger(Int64.self, field: \(path))"
        case "float64": return "try \(buffer).readKafkaFloat64(field: \(path))"
        case "uuid": return "try \(buffer).readKafkaUUID(field: \(path))"
        case "string": return "try \(buffer).readKafkaString(compact: \(compact), field: \(path))"
        case "bytes": return "try \(buffer).readKafkaBytes(compact: \(compact), field: \(path))"
        default: return "try \(info.structQualifiedName!)(reading: &\(buffer), version: version)"
        }
    }

    // MARK: write

    private func emitWrite(name: String, infos: [FieldInfo]) {
        block("public func write(to buffer: inout ByteBuffer, version: Int16) throws(ProtocolError)") { e in
            if e.flexible {
                e.line("let flexible = \(VersionCondition.expression(spec.flexibleVersions, within: spec.validVersions) ?? "true")")
            }
            for info in infos where info.field.tag == nil {
                let present = VersionCondition.expression(info.field.versions, within: spec.validVersions)
                let value = "self.\(SwiftNames.escaped(info.property))"
                let path = e.pathLiteral(name, info.field)
                if present == "false" {
                    e.emitAbsentCheck(info, value: value, path: path)
                    continue
                }
                e.optionalBlock(present) { e in
                    e.emitWriteValue(info, value: value, buffer: "buffer", compact: e.compactExpression(info.field), path: path)
                }
                if present != nil {
                    e.line("else {")
                    e.depth += 1
                    e.emitAbsentCheck(info, value: value, path: path)
                    e.depth -= 1
                    e.line("}")
                }
            }
            guard e.flexible else { return }
            let tagged = infos.filter { $0.field.tag != nil }
            e.block("if flexible") { e in
                if tagged.isEmpty {
                    e.line("buffer.writeTaggedFields([], unknown: self.unknownTaggedFields)")
                    return
                }
                e.line("var tagged: [(UInt32, ByteBuffer)] = []")
                for info in tagged {
                    let value = "self.\(SwiftNames.escaped(info.property))"
                    let path = e.pathLiteral(name, info.field)
                    let cond = VersionCondition.expression(info.field.taggedVersions ?? info.field.versions, within: spec.validVersions)
                    let body: (MessageEmitter) -> Void = { e in
                        e.block("if \(value) != \(info.defaultExpression)") { e in
                            e.line("var payload = ByteBuffer()")
                            e.emitWriteValue(info, value: value, buffer: "payload", compact: "true", path: path)
                            e.line("tagged.append((\(info.field.tag!), payload))")
                        }
                    }
                    if cond == "false" {
                        e.emitAbsentCheck(info, value: value, path: path)
                    } else if let cond {
                        e.block("if \(cond)", body)
                        e.line("else {")
                        e.depth += 1
                        e.emitAbsentCheck(info, value: value, path: path)
                        e.depth -= 1
                        e.line("}")
                    } else {
                        body(e)
                    }
                }
                e.line("buffer.writeTaggedFields(tagged, unknown: self.unknownTaggedFields)")
            }
            // Versions before the flexible ones have no tagged fields at all: a tagged field holding a value
            // there is refused like any other field the version lacks (as Kafka's generated code does).
            let alwaysFlexible = VersionCondition.expression(spec.flexibleVersions, within: spec.validVersions) == nil
            if !alwaysFlexible, !tagged.isEmpty {
                e.line("else {")
                e.depth += 1
                for info in tagged {
                    e.emitAbsentCheck(info, value: "self.\(SwiftNames.escaped(info.property))", path: e.pathLiteral(name, info.field))
                }
                e.depth -= 1
                e.line("}")
            }
        }
    }

    /// A field the version lacks: a non-default value is an error unless the field is ignorable.
    private func emitAbsentCheck(_ info: FieldInfo, value: String, path: String) {
        if info.field.ignorable {
            line("// \(info.field.name) is ignorable: a value is dropped in versions without it.")
        } else {
            line("if \(value) != \(info.defaultExpression) { throw ProtocolError(.fieldNotInVersion, field: \(path)) }")
        }
    }

    private func emitWriteValue(_ info: FieldInfo, value: String, buffer: String, compact: String, path: String) {
        let f = info.field
        let nullable = nullableExpression(info)
        let nullGuard: (MessageEmitter) -> Void = { e in
            if nullable == "true" { return }
            let cond = nullable == "false" ? "\(value) == nil" : "\(value) == nil && !(\(nullable))"
            e.line("if \(cond) { throw ProtocolError(.nullNotAllowed, field: \(path)) }")
        }
        if f.isArray {
            let items = info.isOptional ? "items" : value
            let body: (MessageEmitter) -> Void = { e in
                e.line("\(buffer).writeKafkaArrayCount(\(items).count, compact: \(compact))")
                e.block("for element in \(items)") { e in
                    e.emitWriteScalar(info, type: f.elementType, value: "element", buffer: buffer, compact: compact)
                }
            }
            if info.isOptional {
                nullGuard(self)
                block("if let items = \(value)", body)
                line("else { \(buffer).writeKafkaArrayCount(nil, compact: \(compact)) }")
            } else {
                body(self)
            }
            return
        }
        if info.isStruct {
            if info.isOptional {
                nullGuard(self)
                let marked: (MessageEmitter) -> Void = { e in
                    e.block("if let value = \(value)") { e in
                        e.line("\(buffer).writeInteger(Int8(1))")
                        e.line("try value.write(to: &\(buffer), version: version)")
                    }
                    e.line("else { \(buffer).writeInteger(Int8(-1)) }")
                }
                if nullable == "true" {
                    marked(self)
                } else {
                    block("if \(nullable)", marked)
                    line("else if let value = \(value) { try value.write(to: &\(buffer), version: version) }")
                }
            } else {
                line("try \(value).write(to: &\(buffer), version: version)")
            }
            return
        }
        switch f.type {
        case "string" where info.isOptional:
            nullGuard(self)
            line("try \(buffer).writeKafkaNullableString(\(value), compact: \(compact))")
        case "bytes" where info.isOptional:
            nullGuard(self)
            line("\(buffer).writeKafkaNullableBytes(\(value), compact: \(compact))")
        case "records":
            if info.isOptional { nullGuard(self) }
            line("\(buffer).writeKafkaRecords(\(value), compact: \(compact))")
        default:
            emitWriteScalar(info, type: f.type, value: value, buffer: buffer, compact: compact)
        }
    }

    private func emitWriteScalar(_ info: FieldInfo, type: String, value: String, buffer: String, compact: String) {
        switch type {
        case "bool": line("\(buffer).writeKafkaBool(\(value))")
        case "int8", "int16", "uint16", "int32", "int64": line("\(buffer).writeInteger(\(value))")
        case "float64": line("\(buffer).writeKafkaFloat64(\(value))")
        case "uuid": line("\(buffer).writeKafkaUUID(\(value))")
        case "string": line("try \(buffer).writeKafkaString(\(value), compact: \(compact))")
        case "bytes": line("\(buffer).writeKafkaBytes(\(value), compact: \(compact))")
        default: line("try \(value).write(to: &\(buffer), version: version)")
        }
    }
}

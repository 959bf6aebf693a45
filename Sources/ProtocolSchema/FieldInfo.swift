/// How one schema field looks in Swift: its property name, type and default value.
///
/// A field nullable in any version is an Optional. Defaults follow Kafka's generator: the schema's
/// `default` when given (`null` → nil), otherwise zero, false, "", empty bytes, an empty array,
/// the zero UUID, a default struct (nil for a nullable struct) and null records.
struct FieldInfo {
    let field: FieldSpec
    let property: String
    let swiftType: String
    let elementSwiftType: String
    let defaultExpression: String
    let isOptional: Bool
    let isStruct: Bool
    /// The fully qualified Swift name of the struct type, for struct fields and arrays of structs.
    let structQualifiedName: String?

    init(field: FieldSpec, parent: String, message: MessageSpec, common: [String: StructSpec]) throws {
        self.field = field
        property = SwiftNames.property(field.name)
        let element = field.elementType
        isStruct = field.isStructType
        if isStruct {
            if field.fields != nil {
                structQualifiedName = "\(parent).\(element)"
            } else if common[element] != nil {
                structQualifiedName = "\(message.name).\(element)"
            } else {
                throw SwiftGenerator.GenerationError(message: "\(parent).\(field.name): unknown struct \(element)")
            }
        } else {
            structQualifiedName = nil
        }
        let elementType: String
        switch element {
        case "bool": elementType = "Bool"
        case "int8": elementType = "Int8"
        case "int16": elementType = "Int16"
        case "uint16": elementType = "UInt16"
        case "int32": elementType = "Int32"
        case "int64": elementType = "Int64"
        case "float64": elementType = "Double"
        case "string": elementType = "String"
        case "bytes": elementType = "[UInt8]"
        case "uuid": elementType = "KafkaUUID"
        case "records": elementType = "ByteBuffer"
        default: elementType = structQualifiedName!
        }
        elementSwiftType = elementType
        let nullableSomewhere = field.nullableVersions.map { !$0.intersection(field.versions).isNone } ?? false
        isOptional = nullableSomewhere
        let base = field.isArray ? "[\(elementType)]" : elementType
        swiftType = isOptional ? base + "?" : base
        defaultExpression = try Self.defaultExpression(field: field, optional: isOptional, isStruct: isStruct,
                                                       structName: structQualifiedName, path: "\(parent).\(field.name)")
    }

    private static func defaultExpression(field: FieldSpec, optional: Bool, isStruct: Bool, structName: String?, path: String) throws -> String {
        let d = field.defaultValue
        if d == "null" {
            guard optional || field.type == "records" else {
                throw SwiftGenerator.GenerationError(message: "\(path): default null on a field that is never nullable")
            }
            return "nil"
        }
        if field.isArray {
            guard d == nil || d == "" else { throw SwiftGenerator.GenerationError(message: "\(path): array default \(d!)") }
            return "[]"
        }
        if isStruct { return optional ? "nil" : "\(structName!)()" }
        switch field.type {
        case "bool":
            guard let d else { return "false" }
            guard d == "true" || d == "false" else { throw SwiftGenerator.GenerationError(message: "\(path): bool default \(d)") }
            return d
        case "int8", "int16", "uint16", "int32", "int64":
            guard let d else { return "0" }
            guard Self.integer(d) != nil else { throw SwiftGenerator.GenerationError(message: "\(path): integer default \(d)") }
            return d
        case "float64":
            guard let d else { return "0" }
            guard Double(d) != nil else { throw SwiftGenerator.GenerationError(message: "\(path): float default \(d)") }
            return d
        case "string":
            return SwiftNames.literal(d ?? "")
        case "bytes":
            guard d == nil || d == "" else { throw SwiftGenerator.GenerationError(message: "\(path): bytes default \(d!)") }
            return "[]"
        case "uuid":
            guard d == nil else { throw SwiftGenerator.GenerationError(message: "\(path): uuid default \(d!)") }
            return "KafkaUUID.zero"
        case "records":
            return optional ? "nil" : "ByteBuffer()"
        default:
            throw SwiftGenerator.GenerationError(message: "\(path): unknown type \(field.type)")
        }
    }

    static func integer(_ text: String) -> Int64? {
        if text.hasPrefix("0x") { return Int64(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("-0x") { return Int64(text.dropFirst(3), radix: 16).map { -$0 } }
        return Int64(text)
    }
}

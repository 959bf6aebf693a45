/// One schema: a request, response, header, data structure, metadata record or coordinator record.
///
/// The model holds the facts a codec needs (names, types, versions, nullability, tags, defaults,
/// ignorability) and the annotations the check compares (listeners, entity types, map keys),
/// and nothing of the upstream prose.
public struct MessageSpec: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case request, response, header, data, metadata
    }

    public var kind: Kind
    public var name: String
    /// The API key for requests and responses; the record type for metadata and coordinator records.
    public var apiKey: Int?
    public var validVersions: Versions
    public var flexibleVersions: Versions
    public var deprecatedVersions: Versions?
    public var listeners: [String]?
    public var latestVersionUnstable: Bool
    public var fields: [FieldSpec]
    public var commonStructs: [StructSpec]

    public init(
        kind: Kind, name: String, apiKey: Int? = nil, validVersions: Versions, flexibleVersions: Versions,
        deprecatedVersions: Versions? = nil, listeners: [String]? = nil, latestVersionUnstable: Bool = false,
        fields: [FieldSpec] = [], commonStructs: [StructSpec] = []
    ) {
        self.kind = kind
        self.name = name
        self.apiKey = apiKey
        self.validVersions = validVersions
        self.flexibleVersions = flexibleVersions
        self.deprecatedVersions = deprecatedVersions
        self.listeners = listeners
        self.latestVersionUnstable = latestVersionUnstable
        self.fields = fields
        self.commonStructs = commonStructs
    }
}

/// A named struct shared by several fields of one message (`commonStructs`).
public struct StructSpec: Hashable, Sendable {
    public var name: String
    public var versions: Versions
    public var fields: [FieldSpec]

    public init(name: String, versions: Versions, fields: [FieldSpec]) {
        self.name = name
        self.versions = versions
        self.fields = fields
    }
}

/// One field, in wire order within its struct.
public struct FieldSpec: Hashable, Sendable {
    public var name: String
    /// The schema's type text: a primitive (`int32`, `string`, …), a struct name, or `[]T`.
    public var type: String
    public var versions: Versions
    public var nullableVersions: Versions?
    public var taggedVersions: Versions?
    public var tag: Int?
    /// The default as written in the schema, normalised to text (`-1`, `null`, `0x7fffffff`, `true`).
    public var defaultValue: String?
    public var ignorable: Bool
    public var entityType: String?
    public var mapKey: Bool
    public var zeroCopy: Bool
    /// A field-level override of the message's flexible versions (only `RequestHeader.ClientId`).
    public var flexibleVersions: Versions?
    /// Inline struct fields, when `type` names a struct defined here.
    public var fields: [FieldSpec]?

    public init(
        name: String, type: String, versions: Versions, nullableVersions: Versions? = nil,
        taggedVersions: Versions? = nil, tag: Int? = nil, defaultValue: String? = nil, ignorable: Bool = false,
        entityType: String? = nil, mapKey: Bool = false, zeroCopy: Bool = false,
        flexibleVersions: Versions? = nil, fields: [FieldSpec]? = nil
    ) {
        self.name = name
        self.type = type
        self.versions = versions
        self.nullableVersions = nullableVersions
        self.taggedVersions = taggedVersions
        self.tag = tag
        self.defaultValue = defaultValue
        self.ignorable = ignorable
        self.entityType = entityType
        self.mapKey = mapKey
        self.zeroCopy = zeroCopy
        self.flexibleVersions = flexibleVersions
        self.fields = fields
    }

    public var isArray: Bool { type.hasPrefix("[]") }
    /// The element type of an array, or the type itself.
    public var elementType: String { isArray ? String(type.dropFirst(2)) : type }

    public static let primitiveTypes: Set<String> = [
        "bool", "int8", "int16", "uint16", "int32", "int64", "float64", "string", "bytes", "uuid", "records",
    ]

    public var isStructType: Bool { !Self.primitiveTypes.contains(elementType) }
}

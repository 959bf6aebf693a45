/// Emits the tables that tie numbers to types: `APIKey` (every request/response pair with its
/// versions and listeners), `ErrorCode` (every Kafka error code) and `MetadataRecordType`.
enum RegistryEmitter {
    static func apiKeys(specs: [MessageSpec]) -> String {
        let requests = specs.filter { $0.kind == .request && $0.apiKey != nil }.sorted { $0.apiKey! < $1.apiKey! }
        var s = SwiftGenerator.banner(source: "Protocol/message/*Request.def")
        s += """

        /// A Kafka API key. A raw-value struct, so keys this broker does not know still round-trip.
        public struct APIKey: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
            public var rawValue: Int16
            public init(rawValue: Int16) { self.rawValue = rawValue }

            public static func < (a: APIKey, b: APIKey) -> Bool { a.rawValue < b.rawValue }


        """
        for r in requests {
            let base = String(r.name.dropLast("Request".count))
            s += "    public static let \(SwiftNames.escaped(SwiftNames.property(base))) = APIKey(rawValue: \(r.apiKey!))\n"
        }
        s += "\n    /// Every API key with a schema, ascending.\n    public static let allKnown: [APIKey] = [\n"
        s += requests.map { "        .\(SwiftNames.escaped(SwiftNames.property(String($0.name.dropLast("Request".count))))),\n" }.joined()
        s += "    ]\n\n"
        s += "    /// The API's name as Kafka spells it (`Produce`, `ApiVersions`), or nil for an unknown key.\n"
        s += "    public var name: String? {\n        switch rawValue {\n"
        for r in requests { s += "        case \(r.apiKey!): return \(SwiftNames.literal(String(r.name.dropLast("Request".count))))\n" }
        s += "        default: return nil\n        }\n    }\n\n"
        s += "    public var description: String { name.map { \"\\($0)(\\(rawValue))\" } ?? \"UnknownApi(\\(rawValue))\" }\n\n"
        s += "    /// The request body type for this key.\n"
        s += "    public var requestType: (any KafkaRequestMessage.Type)? {\n        switch rawValue {\n"
        for r in requests { s += "        case \(r.apiKey!): return \(r.name).self\n" }
        s += "        default: return nil\n        }\n    }\n\n"
        s += "    /// The response body type for this key.\n"
        s += "    public var responseType: (any KafkaResponseMessage.Type)? {\n        switch rawValue {\n"
        for r in requests { s += "        case \(r.apiKey!): return \(r.name.dropLast("Request".count))Response.self\n" }
        s += "        default: return nil\n        }\n    }\n\n"
        s += "    /// The listeners the API is served on, as the schema lists them (`broker`, `controller`, `zkBroker`).\n"
        s += "    public var listeners: [String] {\n        switch rawValue {\n"
        for r in requests { s += "        case \(r.apiKey!): return [\((r.listeners ?? []).map(SwiftNames.literal).joined(separator: ", "))]\n" }
        s += "        default: return []\n        }\n    }\n\n"
        s += "    /// True when the schema marks the newest version as unstable (not to be advertised).\n"
        s += "    public var latestVersionUnstable: Bool {\n        switch rawValue {\n"
        let unstable = requests.filter(\.latestVersionUnstable).map { String($0.apiKey!) }
        if !unstable.isEmpty { s += "        case \(unstable.joined(separator: ", ")): return true\n" }
        s += "        default: return false\n        }\n    }\n}\n"
        return s
    }

    static func errorCodes(_ entries: [ErrorCodeEntry]) -> String {
        var s = SwiftGenerator.banner(source: "Protocol/error-codes.def")
        s += """

        /// A Kafka error code. A raw-value struct, so codes this broker does not know still round-trip.
        public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
            public var rawValue: Int16
            public init(rawValue: Int16) { self.rawValue = rawValue }


        """
        for e in entries {
            let name = e.code == 0 ? "noError" : SwiftNames.fromScreamingSnake(e.name)
            s += "    public static let \(SwiftNames.escaped(name)) = ErrorCode(rawValue: \(e.code))\n"
        }
        s += "\n    /// Kafka's name for the code (`NOT_LEADER_OR_FOLLOWER`), or nil for an unknown code.\n"
        s += "    public var name: String? {\n        switch rawValue {\n"
        for e in entries { s += "        case \(e.code): return \(SwiftNames.literal(e.name))\n" }
        s += "        default: return nil\n        }\n    }\n\n"
        let retriable = entries.filter(\.retriable).map { String($0.code) }
        s += "    /// True when clients treat the error as retriable.\n"
        s += "    public var isRetriable: Bool {\n        switch rawValue {\n"
        s += "        case \(retriable.joined(separator: ", ")): return true\n"
        s += "        default: return false\n        }\n    }\n\n"
        s += "    public var description: String { name.map { \"\\($0)(\\(rawValue))\" } ?? \"UNKNOWN_CODE(\\(rawValue))\" }\n}\n"
        return s
    }

    static func metadataRecords(specs: [MessageSpec]) -> String {
        let records = specs.filter { $0.kind == .metadata && $0.apiKey != nil }.sorted { $0.apiKey! < $1.apiKey! }
        var s = SwiftGenerator.banner(source: "Protocol/metadata/*.def")
        s += "\n/// The `__cluster_metadata` record types, by the type number each record frame carries.\n"
        s += "public enum MetadataRecordType {\n"
        s += "    public static func type(for recordType: Int16) -> (any KafkaMetadataRecord.Type)? {\n        switch recordType {\n"
        for r in records { s += "        case \(r.apiKey!): return \(r.name).self\n" }
        s += "        default: return nil\n        }\n    }\n\n"
        s += "    public static let allKnown: [any KafkaMetadataRecord.Type] = [\n"
        s += records.map { "        \($0.name).self,\n" }.joined()
        s += "    ]\n}\n"
        return s
    }
}

/// The `quorum-state` file format: Kafka's JSON form of `QuorumStateData` at `data_version` 0 or 1, on one
/// line, fields in schema order followed by `data_version`:
///
///     v0: {"clusterId":"","leaderId":1,"leaderEpoch":2,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":1}],"data_version":0}
///     v1: {"leaderId":-1,"leaderEpoch":2,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1}
///
/// Kafka writes v0 while `kraft.version` is 0 (static voters) and v1 from `kraft.version` 1 (KIP-853).
extension QuorumStateData {
    public static let lowestSupportedVersion: Int16 = 0
    public static let highestSupportedVersion: Int16 = 1

    public enum DecodingError: Error, Equatable {
        case notAJSONObject
        case missingField(String)
        case wrongType(String)
        case unsupportedVersion(Int16)
    }

    /// The file's text (without a trailing newline) at `version` (0 or 1).
    public func encodedJSON(version: Int16) -> String {
        precondition(version == 0 || version == 1, "quorum-state data_version \(version) is not 0 or 1")
        var fields: [String] = []
        if version == 0 { fields.append("\"clusterId\":\(Self.quoted(clusterID))") }
        fields.append("\"leaderId\":\(leaderID)")
        fields.append("\"leaderEpoch\":\(leaderEpoch)")
        fields.append("\"votedId\":\(votedID)")
        if version >= 1 { fields.append("\"votedDirectoryId\":\"\(votedDirectoryID)\"") }
        if version == 0 {
            fields.append("\"appliedOffset\":\(appliedOffset)")
            if let currentVoters {
                fields.append("\"currentVoters\":[" + currentVoters.map { "{\"voterId\":\($0)}" }.joined(separator: ",") + "]")
            } else {
                fields.append("\"currentVoters\":null")
            }
        }
        fields.append("\"data_version\":\(version)")
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Reads the first line of a `quorum-state` file; returns the state and its `data_version`.
    public static func decode(json text: String) throws(DecodingError) -> (state: QuorumStateData, version: Int16) {
        let firstLine = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard case .object(let object)? = JSONValue.parse(firstLine) else { throw .notAJSONObject }
        let version = Int16(truncatingIfNeeded: try integer(object, "data_version"))
        guard version >= lowestSupportedVersion, version <= highestSupportedVersion else { throw .unsupportedVersion(version) }
        var state = QuorumStateData(
            leaderEpoch: Int32(truncatingIfNeeded: try integer(object, "leaderEpoch")),
            leaderID: Int32(truncatingIfNeeded: try integer(object, "leaderId")),
            votedID: Int32(truncatingIfNeeded: try integer(object, "votedId"))
        )
        if version == 0 {
            guard case .string(let clusterID)? = object["clusterId"] else { throw .missingField("clusterId") }
            state.clusterID = clusterID
            state.appliedOffset = try integer(object, "appliedOffset")
            switch object["currentVoters"] {
            case .null?: state.currentVoters = nil
            case .array(let voters)?:
                state.currentVoters = try voters.map { voter throws(DecodingError) in
                    guard case .object(let fields) = voter else { throw .wrongType("currentVoters") }
                    return Int32(truncatingIfNeeded: try integer(fields, "voterId"))
                }
            case nil: throw .missingField("currentVoters")
            default: throw .wrongType("currentVoters")
            }
        } else {
            guard case .string(let text)? = object["votedDirectoryId"] else { throw .missingField("votedDirectoryId") }
            guard let directoryID = DirectoryID(text) else { throw .wrongType("votedDirectoryId") }
            state.votedDirectoryID = directoryID
        }
        return (state, version)
    }

    private static func integer(_ object: [String: JSONValue], _ name: String) throws(DecodingError) -> Int64 {
        switch object[name] {
        case .integer(let value)?: return value
        case nil: throw .missingField(name)
        default: throw .wrongType(name)
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

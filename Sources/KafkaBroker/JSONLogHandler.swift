import Foundation
import KafkaProtocol
import Logging

/// A swift-log handler writing one JSON object per line (`--log-format json`), for log pipelines that
/// parse structured logs: `{"timestamp":"2026-12-06T14:40:29.123Z","level":"info","logger":"strom",
/// "message":"…","metadata":{"kafka.topic":"orders",…}}`. Metadata values are strings, or nested
/// arrays and objects as swift-log gives them; keys are sorted so lines compare across runs.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data(line.utf8)) }) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit { all.merge(explicit) { $1 } }
        var out = "{\"timestamp\":\(JSONString.quoted(Self.timestamp(Date()))),\"level\":\(JSONString.quoted(level.rawValue))"
        out += ",\"logger\":\(JSONString.quoted(label)),\"message\":\(JSONString.quoted(message.description))"
        if !all.isEmpty { out += ",\"metadata\":\(Self.encode(.dictionary(all)))" }
        write(out + "}\n")
    }

    /// ISO 8601 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var t = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ n: Int, _ width: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(Int(ms % 1000), 3))Z"
    }

    static func encode(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case let .string(s): JSONString.quoted(s)
        case let .stringConvertible(c): JSONString.quoted(c.description)
        case let .array(items): "[" + items.map(encode).joined(separator: ",") + "]"
        case let .dictionary(d): "{" + d.sorted { $0.key < $1.key }.map { "\(JSONString.quoted($0.key)):\(encode($0.value))" }.joined(separator: ",") + "}"
        }
    }

}

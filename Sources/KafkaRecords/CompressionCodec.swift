/// A record batch's compression codec: the value of attributes bits 0-2.
/// Values 5-7 are not assigned by Kafka and are rejected when a batch header is parsed.
public enum CompressionCodec: Int8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    /// The name Kafka uses in `compression.type`.
    public var description: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

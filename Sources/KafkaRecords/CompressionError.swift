/// A compression or decompression failure, naming the codec.
///
/// Decompression of untrusted bytes either returns at most `limit` bytes or throws one of these;
/// `limitExceeded` is thrown before anything is allocated when the input declares a size above the limit,
/// and as soon as streaming output would pass it otherwise.
public struct CompressionError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The output would exceed `limit` bytes. `declared` is the size the input claimed, when it claimed one.
        case limitExceeded(limit: Int, declared: UInt64?)
        /// The input ended inside a compressed stream.
        case truncated
        /// The input is not valid for the codec; the text is the library's or ours.
        case corrupt(String)
        /// An allocation inside the compression library failed.
        case outOfMemory
        /// Compression failed (bad level, or the library refused).
        case compressionFailed(String)
    }

    public var codec: CompressionCodec
    public var kind: Kind

    public init(codec: CompressionCodec, kind: Kind) {
        self.codec = codec
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case let .limitExceeded(limit, declared?):
            "\(codec): declared uncompressed size \(declared) exceeds the limit of \(limit) bytes"
        case let .limitExceeded(limit, nil):
            "\(codec): uncompressed output exceeds the limit of \(limit) bytes"
        case .truncated: "\(codec): compressed input is truncated"
        case let .corrupt(message): "\(codec): corrupt compressed input: \(message)"
        case .outOfMemory: "\(codec): out of memory"
        case let .compressionFailed(message): "\(codec): compression failed: \(message)"
        }
    }
}

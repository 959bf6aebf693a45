import NIOCore

/// A Kafka message with a versioned wire form: a request or response body, a header, a metadata
/// record or a coordinator record. Generated types conform; see `Protocol/`.
///
/// `init(reading:version:)` and `write(to:version:)` assume `version` is valid; `decode` and `encode`
/// check it and name the message and version in any error.
public protocol KafkaMessage: Hashable, Sendable {
    static var messageName: String { get }
    static var validVersions: ClosedRange<Int16> { get }
    /// The first version using compact encodings and tagged fields, if any.
    static var lowestFlexibleVersion: Int16? { get }

    init()
    init(reading buffer: inout ByteBuffer, version: Int16) throws(ProtocolError)
    func write(to buffer: inout ByteBuffer, version: Int16) throws(ProtocolError)
}

extension KafkaMessage {
    public static func isFlexible(version: Int16) -> Bool {
        lowestFlexibleVersion.map { version >= $0 } ?? false
    }

    /// Reads one message of `version`, leaving any bytes after it unread.
    public static func decode(from buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) -> Self {
        guard validVersions.contains(version) else {
            throw ProtocolError(.unsupportedVersion, field: "", message: messageName, version: version)
        }
        let start = buffer.readerIndex
        do {
            return try Self(reading: &buffer, version: version)
        } catch {
            buffer.moveReaderIndex(to: start)
            throw error.located(message: messageName, version: version)
        }
    }

    /// Reads one message of `version` that must fill `buffer` exactly.
    public static func decodeExactly(_ buffer: ByteBuffer, version: Int16) throws(ProtocolError) -> Self {
        var b = buffer
        let value = try decode(from: &b, version: version)
        guard b.readableBytes == 0 else {
            throw ProtocolError(.sizeMismatch(b.readableBytes), field: "", message: messageName, version: version)
        }
        return value
    }

    public func encode(to buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        guard Self.validVersions.contains(version) else {
            throw ProtocolError(.unsupportedVersion, field: "", message: Self.messageName, version: version)
        }
        let start = buffer.writerIndex
        do {
            try write(to: &buffer, version: version)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error.located(message: Self.messageName, version: version)
        }
    }

    public func encoded(version: Int16) throws(ProtocolError) -> ByteBuffer {
        var b = ByteBuffer()
        try encode(to: &b, version: version)
        return b
    }
}

/// A request body, tied to its API key and response type.
public protocol KafkaRequestMessage: KafkaMessage {
    associatedtype Response: KafkaResponseMessage
    static var apiKey: APIKey { get }
}

/// A response body, tied to its API key.
public protocol KafkaResponseMessage: KafkaMessage {
    static var apiKey: APIKey { get }
}

/// A response with Kafka's top-level `ThrottleTimeMs` field: how long the client's quota makes it
/// wait before its next request (KIP-219; 0 when it need not). Declared by the generator for every
/// response whose definition has the field, so a quota can set it whatever the API.
public protocol ThrottledResponse: KafkaResponseMessage {
    var throttleTimeMs: Int32 { get set }
}

/// A `__cluster_metadata` record body, tied to its record type.
public protocol KafkaMetadataRecord: KafkaMessage {
    static var recordType: Int16 { get }
}

import KafkaProtocol
import NIOCore

/// One record inside a v2 batch. Wire form (varints zigzag-encoded):
///
///     length          varint   bytes of everything below
///     attributes      int8     unused, 0
///     timestampDelta  varlong  from the batch's baseTimestamp
///     offsetDelta     varint   from the batch's baseOffset
///     keyLength       varint   -1 = null
///     key             bytes
///     valueLength     varint   -1 = null
///     value           bytes
///     headerCount     varint
///     headers         headerCount × (keyLength varint, key UTF-8; valueLength varint (-1 = null), value)
public struct Record: Hashable, Sendable {
    public var attributes: Int8
    public var timestampDelta: Int64
    public var offsetDelta: Int32
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(
        offsetDelta: Int32 = 0, timestampDelta: Int64 = 0, key: [UInt8]?, value: [UInt8]?,
        headers: [RecordHeader] = [], attributes: Int8 = 0
    ) {
        self.attributes = attributes
        self.timestampDelta = timestampDelta
        self.offsetDelta = offsetDelta
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// The smallest encoded record: a one-byte length and six one-byte fields.
    public static let minimumEncodedSize = 7

    /// Bytes after the length prefix.
    public var bodySize: Int {
        var size = 1 + Varint.size(timestampDelta) + Varint.size(offsetDelta)
        size += Self.lengthPrefixedSize(key) + Self.lengthPrefixedSize(value)
        size += Varint.size(Int32(truncatingIfNeeded: headers.count))
        for header in headers {
            size += Self.lengthPrefixedSize(header.keyBytes) + Self.lengthPrefixedSize(header.value)
        }
        return size
    }

    /// Bytes on the wire, length prefix included.
    public var encodedSize: Int {
        let body = bodySize
        return Varint.size(Int32(truncatingIfNeeded: body)) + body
    }

    static func lengthPrefixedSize(_ bytes: [UInt8]?) -> Int {
        guard let bytes else { return 1 }
        return Varint.size(Int32(truncatingIfNeeded: bytes.count)) + bytes.count
    }

    /// Appends the wire form. Lengths must fit an Int32 (``RecordBatchBuilder`` checks the batch total first).
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeVarint(Int32(truncatingIfNeeded: bodySize))
        buffer.writeInteger(attributes)
        buffer.writeVarlong(timestampDelta)
        buffer.writeVarint(offsetDelta)
        Self.writeLengthPrefixed(key, to: &buffer)
        Self.writeLengthPrefixed(value, to: &buffer)
        buffer.writeVarint(Int32(truncatingIfNeeded: headers.count))
        for header in headers {
            Self.writeLengthPrefixed(header.keyBytes, to: &buffer)
            Self.writeLengthPrefixed(header.value, to: &buffer)
        }
    }

    static func writeLengthPrefixed(_ bytes: [UInt8]?, to buffer: inout ByteBuffer) {
        guard let bytes else {
            buffer.writeVarint(-1)
            return
        }
        buffer.writeVarint(Int32(truncatingIfNeeded: bytes.count))
        buffer.writeBytes(bytes)
    }

    /// Reads one record. Every length is checked against the bytes of this record before anything is
    /// copied; the fields must use exactly `length` bytes.
    public static func read(from buffer: inout ByteBuffer) throws(ProtocolError) -> Record {
        let length = Int(try buffer.readVarint(field: "Record.length"))
        guard length >= 0 else { throw ProtocolError(.negativeLength(length), field: "Record.length") }
        guard length <= buffer.readableBytes, var body = buffer.readSlice(length: length) else {
            throw ProtocolError(.lengthExceedsRemaining(length), field: "Record.length")
        }
        let attributes = try body.readKafkaInteger(Int8.self, field: "Record.attributes")
        let timestampDelta = try body.readVarlong(field: "Record.timestampDelta")
        let offsetDelta = try body.readVarint(field: "Record.offsetDelta")
        let key = try readLengthPrefixed(&body, field: "Record.key")
        let value = try readLengthPrefixed(&body, field: "Record.value")
        let headerCount = Int(try body.readVarint(field: "Record.headers"))
        guard headerCount >= 0 else { throw ProtocolError(.negativeLength(headerCount), field: "Record.headers") }
        // Each header takes at least two bytes, so a count past that is a lie; no allocation for it.
        guard headerCount <= body.readableBytes / 2 else {
            throw ProtocolError(.lengthExceedsRemaining(headerCount), field: "Record.headers")
        }
        var headers: [RecordHeader] = []
        headers.reserveCapacity(headerCount)
        for _ in 0..<headerCount {
            guard let headerKey = try readLengthPrefixed(&body, field: "Record.headers.key") else {
                throw ProtocolError(.nullNotAllowed, field: "Record.headers.key")
            }
            let headerValue = try readLengthPrefixed(&body, field: "Record.headers.value")
            headers.append(RecordHeader(keyBytes: headerKey, value: headerValue))
        }
        guard body.readableBytes == 0 else { throw ProtocolError(.sizeMismatch(body.readableBytes), field: "Record.length") }
        return Record(offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key, value: value, headers: headers, attributes: attributes)
    }

    static func readLengthPrefixed(_ buffer: inout ByteBuffer, field: @autoclosure () -> String) throws(ProtocolError) -> [UInt8]? {
        let length = Int(try buffer.readVarint(field: field()))
        if length == -1 { return nil }
        guard length >= 0 else { throw ProtocolError(.negativeLength(length), field: field()) }
        guard length <= buffer.readableBytes, let bytes = buffer.readBytes(length: length) else {
            throw ProtocolError(.lengthExceedsRemaining(length), field: field())
        }
        return bytes
    }
}

/// A record header: a non-null key (UTF-8 by contract) and a nullable value.
///
/// The key is kept as the bytes that came, so re-encoding is exact even when a client sent invalid UTF-8
/// (librdkafka allows arbitrary bytes; Kafka's Java broker does not reject them). ``key`` decodes it.
public struct RecordHeader: Hashable, Sendable {
    public var keyBytes: [UInt8]
    public var value: [UInt8]?

    public init(keyBytes: [UInt8], value: [UInt8]?) {
        self.keyBytes = keyBytes
        self.value = value
    }

    public init(key: String, value: [UInt8]?) {
        self.init(keyBytes: Array(key.utf8), value: value)
    }

    /// The key as text; invalid UTF-8 becomes U+FFFD.
    public var key: String { String(decoding: keyBytes, as: UTF8.self) }
}

import CKafkaCodecs
import KafkaProtocol
import NIOCore

/// Legacy message sets (magic 0 and 1), as Produce v0-2 carries them, read and up-converted to a
/// v2 record batch the way Kafka's broker up-converts them.
///
/// A message set is a run of `offset int64, size int32, message`. A message is
/// `crc uint32` (CRC-32/IEEE of everything after it), `magic int8`, `attributes int8` (bits 0-2 the
/// codec, bit 3 LogAppendTime in magic 1), `timestamp int64` (magic 1 only), then key and value,
/// each an int32 length (-1 = null) and bytes. A compressed message is a wrapper whose value is
/// the compressed message set of its inner messages (inner offsets are relative in magic 1).
public enum LegacyMessageSet {
    public struct Message: Hashable, Sendable {
        public var magic: Int8
        /// -1 (no timestamp) for magic 0.
        public var timestamp: Int64
        public var key: [UInt8]?
        public var value: [UInt8]?

        public init(magic: Int8, timestamp: Int64, key: [UInt8]?, value: [UInt8]?) {
            self.magic = magic
            self.timestamp = timestamp
            self.key = key
            self.value = value
        }
    }

    public struct Parsed: Sendable {
        public var messages: [Message]
        /// The codec of the (outermost) messages, kept when up-converting.
        public var compression: CompressionCodec
        public var logAppendTime: Bool
        /// Bytes produced by inflating the compressed wrappers, all of them together.
        public var inflatedBytes: Int = 0
    }

    /// Parses every message, unwrapping compressed ones (one level, as Kafka allows), checking each
    /// CRC. Decompressed data is bounded by `decompressionLimit` for the whole set: a set of many
    /// compressed wrappers shares one budget, and inflation stops as soon as the budget is spent.
    public static func parse(_ buffer: ByteBuffer, decompressionLimit: Int) throws(RecordBatchError) -> Parsed {
        var out = Parsed(messages: [], compression: .none, logAppendTime: false)
        var b = buffer
        try read(&b, into: &out, nested: false, decompressionLimit: decompressionLimit)
        guard !out.messages.isEmpty else { throw RecordBatchError(.emptyBatch) }
        return out
    }

    private static func read(_ b: inout ByteBuffer, into out: inout Parsed, nested: Bool, decompressionLimit: Int) throws(RecordBatchError) {
        while b.readableBytes > 0 {
            guard b.readableBytes >= 12, let _ = b.readInteger(as: Int64.self), let size = b.readInteger(as: Int32.self) else {
                throw RecordBatchError(.truncated(needed: 12, available: b.readableBytes))
            }
            guard size >= 14, Int(size) <= b.readableBytes, var message = b.readSlice(length: Int(size)) else {
                throw RecordBatchError(.invalidBatchLength(size))
            }
            let crc = message.readInteger(as: UInt32.self)!
            let computed = message.withUnsafeReadableBytes { kc_crc32_ieee(0, $0.baseAddress, $0.count) }
            guard crc == computed else { throw RecordBatchError(.crcMismatch(stored: crc, computed: computed)) }
            let magic = message.readInteger(as: Int8.self)!
            guard magic == 0 || magic == 1 else { throw RecordBatchError(.unsupportedMagic(magic)) }
            let attributes = message.readInteger(as: Int8.self)!
            var timestamp: Int64 = -1
            if magic == 1 {
                guard let t = message.readInteger(as: Int64.self) else { throw RecordBatchError(.truncated(needed: 8, available: message.readableBytes)) }
                timestamp = t
            }
            let key = try bytes(&message, field: "Message.key")
            let value = try bytes(&message, field: "Message.value")
            guard message.readableBytes == 0 else { throw RecordBatchError(.trailingBytes(message.readableBytes)) }
            let codecID = Int(attributes & 0x07)
            guard let codec = CompressionCodec(rawValue: Int8(codecID)), codec != .zstd else {
                throw RecordBatchError(.unsupportedCompression(codecID))
            }
            if codec == .none {
                out.messages.append(Message(magic: magic, timestamp: timestamp, key: key, value: value))
                continue
            }
            guard !nested else { throw RecordBatchError(.invalidLegacyMessageSet("a compressed message inside a compressed message")) }
            guard let compressed = value else { throw RecordBatchError(.emptyBatch) }
            let inner: ByteBuffer
            do {
                inner = try Compression.decompress(ByteBuffer(bytes: compressed), codec: codec,
                                                   limit: decompressionLimit - out.inflatedBytes)
            } catch {
                throw RecordBatchError(.decompression(error))
            }
            out.inflatedBytes += inner.readableBytes
            out.compression = codec
            out.logAppendTime = magic == 1 && attributes & 0x08 != 0
            var innerBuffer = inner
            let before = out.messages.count
            try read(&innerBuffer, into: &out, nested: true, decompressionLimit: decompressionLimit)
            // With LogAppendTime the wrapper's timestamp stands for every inner message.
            if out.logAppendTime {
                for i in before..<out.messages.count { out.messages[i].timestamp = timestamp }
            }
        }
    }

    private static func bytes(_ b: inout ByteBuffer, field: String) throws(RecordBatchError) -> [UInt8]? {
        guard let length = b.readInteger(as: Int32.self) else { throw RecordBatchError(.truncated(needed: 4, available: b.readableBytes)) }
        if length == -1 { return nil }
        guard length >= 0, Int(length) <= b.readableBytes, let bytes = b.readBytes(length: Int(length)) else {
            throw RecordBatchError(.malformedRecord(index: 0, ProtocolError(.lengthExceedsRemaining(Int(length)), field: field)))
        }
        return bytes
    }

    /// The same messages as one v2 batch, compressed with the same codec (offsets assigned later
    /// by the log; no producer id, as legacy producers have none).
    public static func upConvert(_ parsed: Parsed) throws(RecordBatchError) -> RecordBatch {
        var builder = RecordBatchBuilder()
        builder.compression = parsed.compression
        if parsed.logAppendTime { builder.timestampType = .logAppendTime }
        for m in parsed.messages {
            builder.append(timestamp: m.timestamp, key: m.key, value: m.value, headers: [])
        }
        return try builder.build()
    }

    /// Writes a legacy message set: for tests, and for any client path that needs to produce one.
    public static func write(_ messages: [Message], magic: Int8, compression: CompressionCodec = .none) throws -> ByteBuffer {
        var set = ByteBuffer()
        for (i, m) in messages.enumerated() {
            appendMessage(to: &set, offset: Int64(i), magic: magic, attributes: 0, timestamp: m.timestamp, key: m.key, value: m.value)
        }
        guard compression != .none else { return set }
        let compressed = try Compression.compress(set, codec: compression)
        var out = ByteBuffer()
        appendMessage(to: &out, offset: Int64(messages.count - 1), magic: magic, attributes: compression.rawValue,
                      timestamp: messages.last?.timestamp ?? -1, key: nil, value: compressed.readableBytesView)
        return out
    }

    /// Appends one message, `offset int64, size int32, crc, magic, attributes, [timestamp], key, value`,
    /// with its CRC-32 computed over everything after the CRC. `timestamp` is written for magic 1 only.
    public static func appendMessage<Value: Collection<UInt8>>(to out: inout ByteBuffer, offset: Int64, magic: Int8, attributes: Int8,
                                                               timestamp: Int64, key: [UInt8]?, value: Value?) {
        let bodySize = 1 + 1 + (magic == 1 ? 8 : 0) + 4 + (key?.count ?? 0) + 4 + (value?.count ?? 0)
        out.writeInteger(offset)
        out.writeInteger(Int32(4 + bodySize))
        let crcIndex = out.writerIndex
        out.writeInteger(UInt32(0))
        let bodyIndex = out.writerIndex
        out.writeInteger(magic)
        out.writeInteger(attributes)
        if magic == 1 { out.writeInteger(timestamp) }
        if let key { out.writeInteger(Int32(key.count)); out.writeBytes(key) } else { out.writeInteger(Int32(-1)) }
        if let value { out.writeInteger(Int32(value.count)); out.writeBytes(value) } else { out.writeInteger(Int32(-1)) }
        let start = bodyIndex - out.readerIndex
        let crc = out.withUnsafeReadableBytes { raw in kc_crc32_ieee(0, raw.baseAddress! + start, bodySize) }
        out.setInteger(crc, at: crcIndex)
    }
}

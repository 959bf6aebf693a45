import NIOCore

/// Kafka's variable-length integers.
///
/// Unsigned varints are little-endian base-128 groups with the high bit as "more follows"
/// (at most 5 bytes for 32 bits, 10 for 64). Signed varints and varlongs are zigzag-encoded first:
/// `(n << 1) ^ (n >> 63)`, so small negative numbers stay short.
extension ByteBuffer {
    @inlinable
    public mutating func readUnsignedVarint64(field: @autoclosure () -> String, maxBytes: Int = 10) throws(ProtocolError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = readerIndex
        let end = writerIndex
        for i in 0..<maxBytes {
            guard index < end, let byte = getInteger(at: index, as: UInt8.self) else {
                throw ProtocolError(.truncated, field: field())
            }
            index += 1
            // The last permitted byte may only carry the bits that still fit.
            if i == maxBytes - 1 {
                let spare = 64 - shift
                if byte & 0x80 != 0 || (spare < 7 && UInt64(byte) >> spare != 0 && maxBytes == 10) {
                    throw ProtocolError(.malformedVarint, field: field())
                }
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                moveReaderIndex(to: index)
                return result
            }
            shift += 7
        }
        throw ProtocolError(.malformedVarint, field: field())
    }

    /// An unsigned 32-bit varint (at most 5 bytes); values above `UInt32.max` are rejected.
    @inlinable
    public mutating func readUnsignedVarint(field: @autoclosure () -> String) throws(ProtocolError) -> UInt32 {
        let save = readerIndex
        let value = try readUnsignedVarint64(field: field(), maxBytes: 5)
        guard value <= UInt64(UInt32.max) else {
            moveReaderIndex(to: save)
            throw ProtocolError(.malformedVarint, field: field())
        }
        return UInt32(value)
    }

    /// A zigzag-encoded signed 32-bit varint.
    @inlinable
    public mutating func readVarint(field: @autoclosure () -> String) throws(ProtocolError) -> Int32 {
        let raw = try readUnsignedVarint(field: field())
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A zigzag-encoded signed 64-bit varlong.
    @inlinable
    public mutating func readVarlong(field: @autoclosure () -> String) throws(ProtocolError) -> Int64 {
        let raw = try readUnsignedVarint64(field: field(), maxBytes: 10)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    @inlinable
    @discardableResult
    public mutating func writeUnsignedVarint64(_ value: UInt64) -> Int {
        var v = value
        var written = 0
        while v >= 0x80 {
            written += writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        written += writeInteger(UInt8(truncatingIfNeeded: v))
        return written
    }

    @inlinable
    @discardableResult
    public mutating func writeUnsignedVarint(_ value: UInt32) -> Int {
        writeUnsignedVarint64(UInt64(value))
    }

    @inlinable
    @discardableResult
    public mutating func writeVarint(_ value: Int32) -> Int {
        writeUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    @inlinable
    @discardableResult
    public mutating func writeVarlong(_ value: Int64) -> Int {
        writeUnsignedVarint64(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
}

/// Sizes of varints without writing them, for computing lengths up front.
public enum Varint {
    @inlinable
    public static func size(unsigned value: UInt64) -> Int {
        var v = value
        var n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    @inlinable
    public static func size(_ value: Int32) -> Int {
        size(unsigned: UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))))
    }

    @inlinable
    public static func size(_ value: Int64) -> Int {
        size(unsigned: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
}

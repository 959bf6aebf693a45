import NIOCore

/// Kafka's fixed-width and length-prefixed types on a `ByteBuffer`.
///
/// Fixed-width integers are big-endian. Classic strings carry an int16 length (-1 = null), classic
/// bytes and arrays an int32 length (-1 = null). Compact forms (flexible versions) carry an unsigned
/// varint of length+1 (0 = null). Every reader checks a length against the bytes that remain before
/// it allocates anything.
extension ByteBuffer {
    @inlinable
    public mutating func readKafkaInteger<T: FixedWidthInteger>(_: T.Type = T.self, field: @autoclosure () -> String) throws(ProtocolError) -> T {
        guard let v = readInteger(as: T.self) else { throw ProtocolError(.truncated, field: field()) }
        return v
    }

    @inlinable
    public mutating func readKafkaBool(field: @autoclosure () -> String) throws(ProtocolError) -> Bool {
        guard let v = readInteger(as: UInt8.self) else { throw ProtocolError(.truncated, field: field()) }
        return v != 0
    }

    @inlinable
    public mutating func readKafkaFloat64(field: @autoclosure () -> String) throws(ProtocolError) -> Double {
        guard let v = readInteger(as: UInt64.self) else { throw ProtocolError(.truncated, field: field()) }
        return Double(bitPattern: v)
    }

    @inlinable
    public mutating func writeKafkaBool(_ value: Bool) { writeInteger(UInt8(value ? 1 : 0)) }

    @inlinable
    public mutating func writeKafkaFloat64(_ value: Double) { writeInteger(value.bitPattern) }

    public mutating func readKafkaUUID(field: @autoclosure () -> String) throws(ProtocolError) -> KafkaUUID {
        guard readableBytes >= 16, let hi = readInteger(as: UInt64.self), let lo = readInteger(as: UInt64.self) else {
            throw ProtocolError(.truncated, field: field())
        }
        return KafkaUUID(mostSignificantBits: hi, leastSignificantBits: lo)
    }

    public mutating func writeKafkaUUID(_ value: KafkaUUID) {
        writeInteger(value.mostSignificantBits)
        writeInteger(value.leastSignificantBits)
    }

    // MARK: lengths

    /// Reads a length prefix: -1 for null, otherwise a checked non-negative length.
    /// Classic strings use int16, classic bytes and arrays int32, compact forms varint(length+1).
    @usableFromInline
    mutating func readLengthPrefix(compact: Bool, int16: Bool, field: @autoclosure () -> String) throws(ProtocolError) -> Int {
        let length: Int
        if compact {
            length = Int(try readUnsignedVarint(field: field())) - 1
        } else if int16 {
            length = Int(try readKafkaInteger(Int16.self, field: field()))
        } else {
            length = Int(try readKafkaInteger(Int32.self, field: field()))
        }
        if length < -1 { throw ProtocolError(.negativeLength(length), field: field()) }
        return length
    }

    @usableFromInline
    mutating func writeLengthPrefix(_ length: Int, compact: Bool, int16: Bool) {
        if compact {
            writeUnsignedVarint(UInt32(length + 1))
        } else if int16 {
            writeInteger(Int16(length))
        } else {
            writeInteger(Int32(length))
        }
    }

    // MARK: strings

    /// A string; null is an error. Classic strings have an int16 length, compact ones a varint.
    public mutating func readKafkaString(compact: Bool, field: @autoclosure () -> String) throws(ProtocolError) -> String {
        guard let s = try readKafkaNullableString(compact: compact, field: field()) else {
            throw ProtocolError(.nullNotAllowed, field: field())
        }
        return s
    }

    public mutating func readKafkaNullableString(compact: Bool, field: @autoclosure () -> String) throws(ProtocolError) -> String? {
        let length = try readLengthPrefix(compact: compact, int16: true, field: field())
        if length == -1 { return nil }
        guard length <= readableBytes else { throw ProtocolError(.lengthExceedsRemaining(length), field: field()) }
        let view = readableBytesView.prefix(length)
        guard let s = String(validating: view, as: UTF8.self) else {
            throw ProtocolError(.invalidUTF8, field: field())
        }
        moveReaderIndex(forwardBy: length)
        return s
    }

    /// A classic string's length is an int16: a longer string cannot be encoded and throws, so a value a
    /// client sent (a 40 KB group id, say) fails the encoding of one message instead of trapping.
    public mutating func writeKafkaString(_ value: String, compact: Bool) throws(ProtocolError) {
        let utf8 = value.utf8
        if !compact && utf8.count > Int(Int16.max) {
            throw ProtocolError(.invalidValue("a string of \(utf8.count) bytes does not fit an int16 length"), field: "string")
        }
        writeLengthPrefix(utf8.count, compact: compact, int16: true)
        writeString(value)
    }

    public mutating func writeKafkaNullableString(_ value: String?, compact: Bool) throws(ProtocolError) {
        guard let value else { return writeLengthPrefix(-1, compact: compact, int16: true) }
        try writeKafkaString(value, compact: compact)
    }

    // MARK: bytes

    public mutating func readKafkaNullableBytes(compact: Bool, field: @autoclosure () -> String) throws(ProtocolError) -> [UInt8]? {
        let length = try readLengthPrefix(compact: compact, int16: false, field: field())
        if length == -1 { return nil }
        guard length <= readableBytes, let bytes = readBytes(length: length) else {
            throw ProtocolError(.lengthExceedsRemaining(length), field: field())
        }
        return bytes
    }

    public mutating func readKafkaBytes(compact: Bool, field: @autoclosure () -> String) throws(ProtocolError) -> [UInt8] {
        guard let b = try readKafkaNullableBytes(compact: compact, field: field()) else {
            throw ProtocolError(.nullNotAllowed, field: field())
        }
        return b
    }

    public mutating func writeKafkaBytes(_ value: [UInt8], compact: Bool) {
        writeLengthPrefix(value.count, compact: compact, int16: false)
        writeBytes(value)
    }

    public mutating func writeKafkaNullableBytes(_ value: [UInt8]?, compact: Bool) {
        guard let value else { return writeLengthPrefix(-1, compact: compact, int16: false) }
        writeKafkaBytes(value, compact: compact)
    }

    /// Records: bytes kept as a slice of the incoming buffer, never copied or parsed here.
    public mutating func readKafkaRecords(compact: Bool, field: @autoclosure () -> String) throws(ProtocolError) -> ByteBuffer? {
        let length = try readLengthPrefix(compact: compact, int16: false, field: field())
        if length == -1 { return nil }
        guard length <= readableBytes, let slice = readSlice(length: length) else {
            throw ProtocolError(.lengthExceedsRemaining(length), field: field())
        }
        return slice
    }

    public mutating func writeKafkaRecords(_ value: ByteBuffer?, compact: Bool) {
        guard var value else { return writeLengthPrefix(-1, compact: compact, int16: false) }
        writeLengthPrefix(value.readableBytes, compact: compact, int16: false)
        writeBuffer(&value)
    }

    // MARK: arrays

    /// An array's element count, or nil for a null array. A count larger than the bytes that remain
    /// is rejected (every element takes at least one byte), so no caller allocates for a lie.
    public mutating func readKafkaArrayCount(compact: Bool, field: @autoclosure () -> String) throws(ProtocolError) -> Int? {
        let count = try readLengthPrefix(compact: compact, int16: false, field: field())
        if count == -1 { return nil }
        guard count <= readableBytes else { throw ProtocolError(.lengthExceedsRemaining(count), field: field()) }
        return count
    }

    public mutating func writeKafkaArrayCount(_ count: Int?, compact: Bool) {
        writeLengthPrefix(count ?? -1, compact: compact, int16: false)
    }
}

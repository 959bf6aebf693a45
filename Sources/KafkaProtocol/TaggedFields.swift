import NIOCore

/// A tagged field this code does not know, kept as raw bytes so it survives a decode/encode round trip.
public struct RawTaggedField: Hashable, Sendable {
    public var tag: UInt32
    public var data: [UInt8]

    public init(tag: UInt32, data: [UInt8]) {
        self.tag = tag
        self.data = data
    }
}

/// The tagged-field section of a flexible struct: varint count, then per field varint tag,
/// varint size and `size` bytes, in strictly ascending tag order.
extension ByteBuffer {
    /// The number of tagged fields that follow; never more than the bytes that remain.
    public mutating func readTaggedFieldCount(field: @autoclosure () -> String) throws(ProtocolError) -> Int {
        let count = Int(try readUnsignedVarint(field: field() + "._tagged"))
        guard count <= readableBytes else {
            throw ProtocolError(.lengthExceedsRemaining(count), field: field() + "._tagged")
        }
        return count
    }

    /// One tagged field: its tag and its payload as a slice. Tags must ascend strictly.
    public mutating func readTaggedField(previous: inout Int64, field: @autoclosure () -> String) throws(ProtocolError) -> (UInt32, ByteBuffer) {
        let tag = try readUnsignedVarint(field: field() + "._tagged")
        guard Int64(tag) > previous else { throw ProtocolError(.invalidTaggedFields, field: field() + "._tagged[\(tag)]") }
        previous = Int64(tag)
        let size = Int(try readUnsignedVarint(field: field() + "._tagged[\(tag)]"))
        guard size <= readableBytes, let payload = readSlice(length: size) else {
            throw ProtocolError(.lengthExceedsRemaining(size), field: field() + "._tagged[\(tag)]")
        }
        return (tag, payload)
    }

    /// A whole section where no tag is known: every field is kept raw.
    public mutating func readUnknownTaggedFields(field: @autoclosure () -> String) throws(ProtocolError) -> [RawTaggedField] {
        let count = try readTaggedFieldCount(field: field())
        var previous: Int64 = -1
        var out: [RawTaggedField] = []
        for _ in 0..<count {
            let (tag, payload) = try readTaggedField(previous: &previous, field: field())
            out.append(RawTaggedField(tag: tag, data: Array(payload.readableBytesView)))
        }
        return out
    }

    /// Writes a tagged-field section from known fields (already encoded, with their tags) merged
    /// with unknown raw ones, in ascending tag order whatever order the schema declares them in.
    public mutating func writeTaggedFields(_ known: [(UInt32, ByteBuffer)], unknown: [RawTaggedField]) {
        var all: [(UInt32, ByteBuffer)] = known
        for raw in unknown {
            var b = ByteBuffer()
            b.writeBytes(raw.data)
            all.append((raw.tag, b))
        }
        if all.count > 1 { all.sort { $0.0 < $1.0 } }
        writeUnsignedVarint(UInt32(all.count))
        for (tag, var payload) in all {
            writeUnsignedVarint(tag)
            writeUnsignedVarint(UInt32(payload.readableBytes))
            writeBuffer(&payload)
        }
    }
}

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
    /// Reads the section, handing each known tag's payload (as its own buffer) to `known`, which
    /// returns false for tags it does not know; those are returned as raw fields.
    public mutating func readTaggedFields(
        field: @autoclosure () -> String,
        _ known: (UInt32, inout ByteBuffer) throws(ProtocolError) -> Bool
    ) throws(ProtocolError) -> [RawTaggedField] {
        let count = try readUnsignedVarint(field: field() + "._tagged")
        guard Int(count) <= readableBytes else {
            throw ProtocolError(.lengthExceedsRemaining(Int(count)), field: field() + "._tagged")
        }
        var unknown: [RawTaggedField] = []
        var previous: Int64 = -1
        for _ in 0..<count {
            let tag = try readUnsignedVarint(field: field() + "._tagged")
            guard Int64(tag) > previous else { throw ProtocolError(.invalidTaggedFields, field: field() + "._tagged[\(tag)]") }
            previous = Int64(tag)
            let size = Int(try readUnsignedVarint(field: field() + "._tagged[\(tag)]"))
            guard size <= readableBytes, var payload = readSlice(length: size) else {
                throw ProtocolError(.lengthExceedsRemaining(size), field: field() + "._tagged[\(tag)]")
            }
            if try known(tag, &payload) {
                if payload.readableBytes != 0 {
                    throw ProtocolError(.sizeMismatch(payload.readableBytes), field: field() + "._tagged[\(tag)]")
                }
            } else {
                unknown.append(RawTaggedField(tag: tag, data: Array(payload.readableBytesView)))
            }
        }
        return unknown
    }

    /// Writes a tagged-field section from known fields (already encoded, with their tags) merged
    /// with unknown raw ones, in ascending tag order.
    public mutating func writeTaggedFields(_ known: [(UInt32, ByteBuffer)], unknown: [RawTaggedField]) {
        var all: [(UInt32, ByteBuffer)] = known
        if !unknown.isEmpty {
            for raw in unknown {
                var b = ByteBuffer()
                b.writeBytes(raw.data)
                all.append((raw.tag, b))
            }
            all.sort { $0.0 < $1.0 }
        }
        writeUnsignedVarint(UInt32(all.count))
        for (tag, var payload) in all {
            writeUnsignedVarint(tag)
            writeUnsignedVarint(UInt32(payload.readableBytes))
            writeBuffer(&payload)
        }
    }
}

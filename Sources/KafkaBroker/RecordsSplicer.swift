import KafkaLog
import KafkaProtocol
import NIOCore

/// Encodes a response whose `records` fields point into log files, as `ResponsePiece`s: the frame's
/// bytes come from the generated encoder, the records from the files.
///
/// How: the handler builds the response twice, identical except at the spliced `records` fields,
/// which are null in `skeleton` and one byte long in `probe`. Nothing else in a Kafka message
/// depends on a records field's length (only the frame size does, and it is recomputed), so the two
/// encodings are byte-identical except at each spliced field: there `skeleton` has a null marker
/// (int32 -1 in classic versions, varint 0 in flexible ones) and `probe` a one-byte field. Walking
/// both finds the k-th difference at the k-th spliced field in encoding order; it is replaced by the
/// real length prefix and a `.file` piece for `slices[k]`.
///
/// Returns nil when the encodings do not differ in exactly that way (a bug in the caller, such as
/// slices not in encoding order); the caller then sends the records from memory instead.
enum RecordsSplicer {
    static func frame<R: KafkaResponseMessage>(skeleton: R, probe: R, slices: [LogFileRange], version: Int16,
                                                correlationID: Int32) throws(ProtocolError) -> [ResponsePiece]? {
        let a = try skeleton.encodeFrame(version: version, correlationID: correlationID)
        if slices.isEmpty { return [.bytes(a)] }
        let b = try probe.encodeFrame(version: version, correlationID: correlationID)
        return splice(skeleton: a, probe: b, slices: slices)
    }

    /// The walk described above, on two encoded frames (each starting with its int32 size).
    static func splice(skeleton a: ByteBuffer, probe b: ByteBuffer, slices: [LogFileRange]) -> [ResponsePiece]? {
        let aBytes = a.readableBytesView, bBytes = b.readableBytesView
        let aBase = aBytes.startIndex, bBase = bBytes.startIndex
        var pieces: [ResponsePiece] = []
        var size = 0
        var i = 4, j = 4 // past the size prefixes, which differ
        for slice in slices {
            let runStart = i
            while i < aBytes.count, j < bBytes.count, aBytes[aBase + i] == bBytes[bBase + j] {
                i += 1
                j += 1
            }
            guard i < aBytes.count, j < bBytes.count else { return nil }
            var prefix = ByteBuffer()
            switch (aBytes[aBase + i], bBytes[bBase + j]) {
            case (0xFF, 0x00): // int32 -1 versus int32 1 and one byte
                guard a.getInteger(at: a.readerIndex + i, as: Int32.self) == -1,
                      b.getInteger(at: b.readerIndex + j, as: Int32.self) == 1 else { return nil }
                prefix.writeInteger(Int32(slice.length))
                pieces.append(.bytes(a.getSlice(at: a.readerIndex + runStart, length: i - runStart)!))
                i += 4
                j += 5
            case (0x00, 0x02): // varint 0 (null) versus varint 2 (length 1) and one byte
                _ = prefix.writeUnsignedVarint(UInt32(slice.length + 1))
                pieces.append(.bytes(a.getSlice(at: a.readerIndex + runStart, length: i - runStart)!))
                i += 1
                j += 2
            default:
                return nil
            }
            guard j <= bBytes.count else { return nil }
            pieces.append(.bytes(prefix))
            pieces.append(.file(slice))
        }
        // The rest must be identical, or the slices did not account for every difference.
        guard aBytes.count - i == bBytes.count - j,
              aBytes[(aBase + i)...].elementsEqual(bBytes[(bBase + j)...]) else { return nil }
        pieces.append(.bytes(a.getSlice(at: a.readerIndex + i, length: aBytes.count - i)!))
        pieces = pieces.filter { $0.byteCount > 0 }
        size = pieces.reduce(0) { $0 + $1.byteCount }
        guard size <= Int(Int32.max) else { return nil }
        var sizePrefix = ByteBuffer()
        sizePrefix.writeInteger(Int32(size))
        return [.bytes(sizePrefix)] + pieces
    }
}

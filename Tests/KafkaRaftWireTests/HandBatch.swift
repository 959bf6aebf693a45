/// Record batches (magic 2) assembled byte by byte from the format, for golden comparisons; shares no code
/// with KafkaRecords (its own CRC32C, varints and layout).
///
///     baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 = 2 | crc uint32 |
///     attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
///     producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records
///
/// batchLength counts the bytes after itself; the CRC32C covers attributes to the end. A record is
/// length varint | attributes int8 | timestampDelta varlong | offsetDelta varint | key (varint length,
/// -1 null) | value (same) | header count varint, all varints zigzag.
enum HandBatch {
    static func batch(
        baseOffset: Int64, partitionLeaderEpoch: Int32, attributes: Int16, baseTimestamp: Int64, maxTimestamp: Int64,
        records: [[UInt8]]
    ) -> [UInt8] {
        var covered = be(Int64(attributes), 2) + be(Int64(records.count - 1), 4) + be(baseTimestamp, 8) + be(maxTimestamp, 8)
        covered += be(-1, 8) + be(-1, 2) + be(-1, 4) // producerId, producerEpoch, baseSequence: none
        covered += be(Int64(records.count), 4) + records.flatMap { $0 }
        let batchLength = 4 + 1 + 4 + covered.count
        return be(baseOffset, 8) + be(Int64(batchLength), 4) + be(Int64(partitionLeaderEpoch), 4) + [2]
            + be(Int64(crc32c(covered)), 4) + covered
    }

    static func record(offsetDelta: Int64, timestampDelta: Int64 = 0, key: [UInt8]?, value: [UInt8]?) -> [UInt8] {
        var body: [UInt8] = [0] + zigzag(timestampDelta) + zigzag(offsetDelta)
        body += key.map { zigzag(Int64($0.count)) + $0 } ?? zigzag(-1)
        body += value.map { zigzag(Int64($0.count)) + $0 } ?? zigzag(-1)
        body += zigzag(0)
        return zigzag(Int64(body.count)) + body
    }

    /// A control record key: version int16 0, type int16.
    static func controlKey(type: Int16) -> [UInt8] { be(0, 2) + be(Int64(type), 2) }

    static func be(_ value: Int64, _ width: Int) -> [UInt8] {
        let raw = UInt64(bitPattern: value)
        return (0..<width).reversed().map { UInt8(truncatingIfNeeded: raw >> (UInt64($0) * 8)) }
    }

    static func zigzag(_ value: Int64) -> [UInt8] {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        return out + [UInt8(v)]
    }

    /// CRC-32C (Castagnoli), bit by bit: reflected polynomial 0x82F63B78, initial and final xor all ones.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }
}

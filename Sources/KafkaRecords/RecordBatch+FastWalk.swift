import NIOCore

extension RecordBatch {
    /// `walk` over raw bytes, for the produce path's hot loop (`walkRecords`): the same checks, in the
    /// same order, on every record (its length, attributes, timestamp delta, offset delta = its
    /// index, key, value and headers, nothing left over in it, nothing after the last), without a
    /// `ByteBuffer` slice or a reference count per record.
    ///
    /// Invariant: returns a summary exactly when `walk` accepts `payload` (and then the same summary);
    /// nil on anything `walk` refuses, which then runs to say why. Varints are read
    /// with the same limits as `ByteBuffer.readVarint`/`readVarlong`: at most 5 bytes (a value that fits
    /// 32 bits) or 10 (whose last byte holds one bit).
    static func fastWalk(_ payload: ByteBuffer, count: Int32, baseTimestamp: Int64) -> RecordWalkSummary? {
        payload.withUnsafeReadableBytes { raw -> RecordWalkSummary? in
            var p = 0
            let end = raw.count
            var minDelta = Int64.max
            var maxDelta = Int64.min
            var keylessIndexes: [Int32] = []

            /// A varint of at most `maxBytes` bytes at `p`, or nil (truncated, or too long for its width).
            func unsignedVarint(maxBytes: Int, limit: Int) -> UInt64? {
                var result: UInt64 = 0
                var shift: UInt64 = 0
                for i in 0..<maxBytes {
                    guard p < limit else { return nil }
                    let byte = raw[p]
                    p += 1
                    if i == maxBytes - 1, byte & 0x80 != 0 || (maxBytes == 10 && byte > 1) { return nil }
                    result |= UInt64(byte & 0x7F) << shift
                    if byte & 0x80 == 0 { return result }
                    shift += 7
                }
                return nil
            }
            func varint(limit: Int) -> Int32? {
                guard let u = unsignedVarint(maxBytes: 5, limit: limit), u <= UInt64(UInt32.max) else { return nil }
                let raw32 = UInt32(u)
                return Int32(bitPattern: (raw32 >> 1) ^ (0 &- (raw32 & 1)))
            }
            func varlong(limit: Int) -> Int64? {
                guard let u = unsignedVarint(maxBytes: 10, limit: limit) else { return nil }
                return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
            }
            /// Skips a length-prefixed field ending by `limit`; false when it is null (allowed only
            /// when `nullable`), nil when refused.
            func skip(nullable: Bool, limit: Int) -> Bool? {
                guard let length = varint(limit: limit) else { return nil }
                if length == -1 { return nullable ? false : nil }
                guard length >= 0, Int(length) <= limit - p else { return nil }
                p += Int(length)
                return true
            }

            for index in 0..<Int(count) {
                guard p < end, let length = varint(limit: end), length >= 0, Int(length) <= end - p else { return nil }
                let recordEnd = p + Int(length)
                guard p < recordEnd else { return nil }   // attributes
                p += 1
                guard let timestampDelta = varlong(limit: recordEnd), let offsetDelta = varint(limit: recordEnd),
                      let hasKey = skip(nullable: true, limit: recordEnd), skip(nullable: true, limit: recordEnd) != nil,
                      let headers = varint(limit: recordEnd), headers >= 0, Int(headers) <= (recordEnd - p) / 2 else { return nil }
                for _ in 0..<Int(headers) {
                    guard skip(nullable: false, limit: recordEnd) != nil, skip(nullable: true, limit: recordEnd) != nil else { return nil }
                }
                guard p == recordEnd, offsetDelta == Int32(index) else { return nil }
                if !hasKey { keylessIndexes.append(Int32(index)) }
                minDelta = min(minDelta, timestampDelta)
                maxDelta = max(maxDelta, timestampDelta)
            }
            guard p == end else { return nil }
            return RecordWalkSummary(recordCount: Int(count), minTimestamp: baseTimestamp &+ minDelta,
                                     maxTimestamp: baseTimestamp &+ maxDelta, keylessRecords: keylessIndexes.count,
                                     keylessIndexes: keylessIndexes)
        }
    }
}

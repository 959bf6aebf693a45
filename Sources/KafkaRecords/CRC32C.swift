import CKafkaCodecs
import NIOCore

/// CRC32C (Castagnoli: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF), the checksum of
/// a v2 record batch. `checksum("123456789") == 0xE3069283`.
///
/// Each function takes the previous result (`0` to start), so checksums chain:
/// `checksum(b, continuing: checksum(a)) == checksum(a + b)`.
public enum CRC32C {
    /// Which implementation computes the checksum. All give identical results.
    public enum Implementation: Sendable, CaseIterable {
        /// The SSE4.2 instruction when the CPU has it, otherwise the table.
        case automatic
        /// The SSE4.2 `crc32` instruction; silently the table on CPUs (or builds) without it.
        case hardware
        /// Slicing-by-8 tables.
        case table
    }

    /// True when `.hardware` (and so `.automatic`) really uses the SSE4.2 instruction.
    public static var isHardwareAccelerated: Bool { kc_crc32c_hardware_available() != 0 }

    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0, using implementation: Implementation = .automatic) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        switch implementation {
        case .automatic: return kc_crc32c(crc, base, bytes.count)
        case .hardware: return kc_crc32c_hardware(crc, base, bytes.count)
        case .table: return kc_crc32c_table(crc, base, bytes.count)
        }
    }

    public static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0, using implementation: Implementation = .automatic) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc, using: implementation) }
    }

    /// The checksum of the buffer's readable bytes.
    public static func checksum(_ buffer: ByteBuffer, continuing crc: UInt32 = 0, using implementation: Implementation = .automatic) -> UInt32 {
        buffer.withUnsafeReadableBytes { checksum($0, continuing: crc, using: implementation) }
    }
}

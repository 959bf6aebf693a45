import CKafkaCodecs
import SeededRandom
import Testing
@testable import KafkaRecords

@Suite struct CRC32CTests {
    @Test func checkValue() {
        let input = Array("123456789".utf8)
        for implementation in CRC32C.Implementation.allCases {
            #expect(CRC32C.checksum(input, using: implementation) == 0xE306_9283)
        }
        #expect(referenceCRC32C(input) == 0xE306_9283)
    }

    /// RFC 3720 (iSCSI) appendix B.4 test vectors.
    @Test func iscsiVectors() {
        let vectors: [([UInt8], UInt32)] = [
            ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
            ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
            ((0..<32).map { UInt8($0) }, 0x46DD_794E),
            ((0..<32).reversed().map { UInt8($0) }, 0x113F_DB5C),
        ]
        for (data, expected) in vectors {
            for implementation in CRC32C.Implementation.allCases {
                #expect(CRC32C.checksum(data, using: implementation) == expected)
            }
        }
    }

    @Test func emptyInputLeavesTheValue() {
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](), continuing: 0x1234_5678) == 0x1234_5678)
    }

    @Test func chainingEqualsOneShot() {
        var rng = SplitMix64(seed: 1)
        let data = rng.bytes(100_000)
        for split in [0, 1, 7, 8, 255, 8192, 24_575, 24_576, 50_000, 99_999, 100_000] {
            for implementation in CRC32C.Implementation.allCases {
                let first = CRC32C.checksum(Array(data[..<split]), using: implementation)
                let both = CRC32C.checksum(Array(data[split...]), continuing: first, using: implementation)
                #expect(both == CRC32C.checksum(data, using: implementation))
            }
        }
    }

    #if arch(x86_64)
    @Test func hardwarePathIsUsedOnX86() {
        // Every x86-64 CPU since 2008 has SSE4.2; if this fails the hardware comparisons below prove nothing.
        #expect(CRC32C.isHardwareAccelerated)
    }
    #endif

    /// Lengths around the 8-byte word, the 3×256 short block and the 3×8192 long block of the hardware
    /// path, at every alignment.
    @Test func hardwareMatchesTableAcrossLengthsAndAlignments() {
        var rng = SplitMix64(seed: 42)
        let data = rng.bytes(3 * 3 * 8192 + 64)
        var lengths = Array(0...80) + [255, 256, 767, 768, 769, 1000, 4095, 4096, 24_575, 24_576, 24_577, 24_576 + 768 + 9, 49_152, 73_728, 73_735]
        for _ in 0..<40 { lengths.append(rng.int(0...(3 * 3 * 8192))) }
        data.withUnsafeBytes { raw in
            for length in lengths {
                for alignment in 0..<8 {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[alignment..<(alignment + length)])
                    let hw = CRC32C.checksum(slice, using: .hardware)
                    let table = CRC32C.checksum(slice, using: .table)
                    #expect(hw == table, "length \(length) alignment \(alignment)")
                    #expect(CRC32C.checksum(slice) == table)
                }
            }
        }
    }

    @Test func tableMatchesBitwiseReference() {
        var rng = SplitMix64(seed: 7)
        for length in [0, 1, 3, 8, 9, 63, 64, 65, 1000, 4099] {
            let data = rng.bytes(length)
            #expect(CRC32C.checksum(data, using: .table) == referenceCRC32C(data))
            #expect(CRC32C.checksum(data, using: .hardware) == referenceCRC32C(data))
        }
    }

    @Test func byteBufferOverloadUsesReadableBytesOnly() {
        var buf = buffer(Array("xx123456789".utf8))
        buf.moveReaderIndex(forwardBy: 2)
        #expect(CRC32C.checksum(buf) == 0xE306_9283)
    }
}

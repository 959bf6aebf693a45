// strom-bench: CRC32C, record batch decoding and codec throughput, in one run.
//
// Run: swift run -c release --scratch-path .build-codecs strom-bench   (or scripts/bench-codecs.sh)
// Every figure is the median of 5 samples; a sample repeats the work for at least 150 ms. Compared
// variants (hardware/table, Swift/C) are sampled alternately so machine load affects them alike.
// Codec MB/s are uncompressed bytes per second in both directions. "C" rows call the one-shot C wrappers
// (plain library calls into preallocated buffers); "Swift" rows go through KafkaRecords' API, which adds
// ByteBuffer allocation, bounded growth and (for snappy) xerial framing.

import CKafkaCodecs
import KafkaRecords
import NIOCore
import SeededRandom

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let measure = Measure()
let mib = 1 << 20
let clock = ContinuousClock()
let started = clock.now

let loadAverage: String = {
    guard let file = fopen("/proc/loadavg", "r") else { return "n/a" }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, 128, file) != nil else { return "n/a" }
    return String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .split(separator: " ").prefix(3).joined(separator: " ")
}()

print("strom-bench — zlib \(String(cString: kc_zlib_version())), lz4 \(kc_lz4_version()), zstd \(kc_zstd_version()), "
    + "SSE4.2 CRC32C: \(CRC32C.isHardwareAccelerated ? "yes" : "no"), load average at start: \(loadAverage)")
print("")

// MARK: CRC32C on 64 MiB

do {
    var rng = SplitMix64(seed: 0xC8C)
    var words = [UInt64](repeating: 0, count: 64 * mib / 8)
    for i in words.indices { words[i] = rng.next() }
    let rates = try words.withUnsafeBytes { raw in
        try measure.throughputs(bytesPerIteration: raw.count, [
            { consume(UInt64(CRC32C.checksum(raw, using: .hardware))) },
            { consume(UInt64(CRC32C.checksum(raw, using: .table))) },
        ])
    }
    let (hardware, tableRate) = (rates[0], rates[1])
    print("### CRC32C, 64 MiB buffer\n")
    print(table(["implementation", "throughput", "vs table"], [
        ["hardware (SSE4.2, 3 streams)", gbps(hardware), fixed(hardware / tableRate, 1) + "×"],
        ["table (slicing-by-8)", gbps(tableRate), "1.0×"],
    ]))
    print("")
}

// MARK: record batch decode, 1 KiB records, uncompressed

do {
    var records = ByteBuffer()
    for b in 0..<16 {
        try Corpus.fixedBatch(records: 1024, valueSize: 1024, seed: UInt64(b), baseOffset: Int64(b * 1024)).build(into: &records)
    }
    let total = records.readableBytes
    func pass(crc: Bool, decode: Bool) throws {
        var reader = RecordBatchReader(records)
        var n = 0
        while let batch = try reader.next() {
            if crc { try batch.verifyCRC() }
            if decode { n += try batch.decodeRecords(decompressionLimit: 64 * mib).count } else { n += Int(batch.header.recordCount) }
        }
        consume(UInt64(n))
    }
    let both = try measure.throughput(bytesPerIteration: total) { try pass(crc: true, decode: true) }
    let decodeOnly = try measure.throughput(bytesPerIteration: total) { try pass(crc: false, decode: true) }
    let crcOnly = try measure.throughput(bytesPerIteration: total) { try pass(crc: true, decode: false) }
    print("### Record batch v2 decode: 16 batches × 1024 records × 1 KiB values (\(fixed(Double(total) / Double(mib), 1)) MiB, uncompressed)\n")
    print(table(["work per batch", "throughput"], [
        ["read + verify CRC + decode records", gbps(both)],
        ["read + decode records (no CRC)", gbps(decodeOnly)],
        ["read + verify CRC (no decode)", gbps(crcOnly)],
    ]))
    print("")
}

// MARK: codecs on a 1 MiB batch of JSON records

/// One-shot C calls on the same bytes, into buffers sized up front.
struct DirectC {
    let compress: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) -> Int
    let decompress: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) -> Int
    let bound: (Int) -> Int
}

func checked(_ status: Int32, _ len: Int, _ what: String) -> Int {
    precondition(status == KC_OK, "\(what) failed with status \(status)")
    return len
}

let directC: [String: DirectC] = [
    "gzip": DirectC(
        compress: { src, dst in var n = 0; return checked(kc_gzip_compress(src.baseAddress, src.count, dst.baseAddress, dst.count, &n, KC_LEVEL_DEFAULT), n, "gzip") },
        decompress: { src, dst in var n = 0; return checked(kc_gzip_decompress(src.baseAddress, src.count, dst.baseAddress, dst.count, &n), n, "gunzip") },
        bound: { kc_gzip_compress_bound($0) }),
    "lz4": DirectC(
        compress: { src, dst in var n = 0; return checked(kc_lz4_compress(src.baseAddress, src.count, dst.baseAddress, dst.count, &n, KC_LEVEL_DEFAULT, 0), n, "lz4") },
        decompress: { src, dst in var n = 0; return checked(kc_lz4_decompress(src.baseAddress, src.count, dst.baseAddress, dst.count, &n), n, "unlz4") },
        bound: { kc_lz4_compress_bound($0, 0) }),
    "zstd": DirectC(
        compress: { src, dst in var n = 0; return checked(kc_zstd_compress(src.baseAddress, src.count, dst.baseAddress, dst.count, &n, KC_LEVEL_DEFAULT, 1), n, "zstd") },
        decompress: { src, dst in var n = 0; return checked(kc_zstd_decompress(src.baseAddress, src.count, dst.baseAddress, dst.count, &n), n, "unzstd") },
        bound: { kc_zstd_compress_bound($0) }),
    "snappy": DirectC(
        compress: { src, dst in var n = 0; return checked(kc_snappy_compress(src.baseAddress, src.count, dst.baseAddress, dst.count, &n), n, "snappy") },
        decompress: { src, dst in var n = 0; return checked(kc_snappy_uncompress(src.baseAddress, src.count, dst.baseAddress, dst.count, &n), n, "unsnappy") },
        bound: { kc_snappy_max_compressed_length($0) }),
]

do {
    let builder = Corpus.jsonBatch(targetBytes: mib, seed: 2024)
    let section = try builder.build().recordsSection
    let input = Array(section.readableBytesView)
    let n = input.count
    let limit = 64 * mib

    /// (row name, codec for the Swift API, Swift compress, Swift decompress, key into directC)
    typealias SwiftCompress = (ByteBuffer) throws -> ByteBuffer
    typealias SwiftDecompress = (ByteBuffer) throws -> ByteBuffer
    var rows: [[String]] = []
    let variants: [(String, SwiftCompress, SwiftDecompress, String)] = [
        ("gzip (level 6)", { try Compression.compress($0, codec: .gzip) }, { try Compression.decompress($0, codec: .gzip, limit: limit) }, "gzip"),
        ("snappy (xerial framing)", { try Compression.compress($0, codec: .snappy) }, { try Compression.decompress($0, codec: .snappy, limit: limit) }, "snappy"),
        ("snappy (raw block)", { b in try b.withUnsafeReadableBytes { try Snappy.compressRaw($0) } },
         { b in try b.withUnsafeReadableBytes { try Snappy.decompressRaw($0, limit: limit) } }, "snappy"),
        ("lz4 (frame, level 0)", { try Compression.compress($0, codec: .lz4) }, { try Compression.decompress($0, codec: .lz4, limit: limit) }, "lz4"),
        ("zstd (level 3)", { try Compression.compress($0, codec: .zstd) }, { try Compression.decompress($0, codec: .zstd, limit: limit) }, "zstd"),
    ]
    for (name, swiftCompress, swiftDecompress, cKey) in variants {
        let c = directC[cKey]!
        let compressed = try swiftCompress(section)
        let restored = Array(try swiftDecompress(compressed).readableBytesView)
        precondition(restored == input, "\(name) does not round-trip")
        let ratio = Double(n) / Double(compressed.readableBytes)

        var dst = [UInt8](repeating: 0, count: c.bound(n))
        var out = [UInt8](repeating: 0, count: n)
        let (swiftComp, cComp, swiftDecomp, cDecomp) = try input.withUnsafeBytes { src in
            try dst.withUnsafeMutableBytes { dstRaw in
                try out.withUnsafeMutableBytes { outRaw in
                    let cLen = c.compress(src, dstRaw)
                    let cCompressed = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(dstRaw)[..<cLen])
                    precondition(c.decompress(cCompressed, outRaw) == n)
                    // Compression into a scratch buffer so the C-compressed bytes stay intact for decompression.
                    var scratch = [UInt8](repeating: 0, count: c.bound(n))
                    let compress = try scratch.withUnsafeMutableBytes { scratchRaw in
                        try measure.throughputs(bytesPerIteration: n, [
                            { consume(UInt64(try swiftCompress(section).readableBytes)) },
                            { consume(UInt64(c.compress(src, scratchRaw))) },
                        ])
                    }
                    let decompress = try measure.throughputs(bytesPerIteration: n, [
                        { consume(UInt64(try swiftDecompress(compressed).readableBytes)) },
                        { consume(UInt64(c.decompress(cCompressed, outRaw))) },
                    ])
                    return (compress[0], compress[1], decompress[0], decompress[1])
                }
            }
        }
        precondition(out == input, "\(cKey) C round trip")
        rows.append([
            name, fixed(ratio, 2),
            mbps(swiftComp), mbps(cComp), fixed(swiftComp / cComp, 2) + "×",
            mbps(swiftDecomp), mbps(cDecomp), fixed(swiftDecomp / cDecomp, 2) + "×",
        ])
    }
    print("### Codecs: one batch of \(builder.count) JSON records, records section \(n) bytes; MB/s of uncompressed data\n")
    print(table(["codec", "ratio", "compress Swift", "compress C", "Swift/C", "decompress Swift", "decompress C", "Swift/C"], rows))
    print("")
    print("C = one-shot library call into a preallocated buffer (snappy: one raw block). Swift = KafkaRecords API:")
    print("fresh ByteBuffer per call, bounded streaming decode with growth (gzip/lz4/zstd), xerial blocks of 32 KiB.")
}

print("\n(total \(fixed((clock.now - started).seconds, 1)) s; sink \(sink & 0xFF))")

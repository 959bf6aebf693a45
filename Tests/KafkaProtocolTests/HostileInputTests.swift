import KafkaProtocol
import KafkaTestKit
import NIOCore
import SeededRandom
import Testing

/// Truncated, oversized, negative-length and garbage inputs: every decode either succeeds or throws
/// a `ProtocolError` naming the message, version and field. Nothing traps, nothing allocates for a
/// length the bytes do not back (a trap or a huge allocation would crash or stall this test).
@Suite struct HostileInputTests {
    @Test func everyTruncationOfEveryMessageIsATypedError() throws {
        var checked = 0
        for (type, make) in allRandomMessages {
            for version in [type.validVersions.lowerBound, type.validVersions.upperBound] {
                var rng = SplitMix64(seed: UInt64(version) &+ 17)
                checked += try truncations(make(version, &rng), version: version)
            }
        }
        #expect(checked > 10_000)
    }

    private func truncations<M: KafkaMessage>(_ value: M, version: Int16) throws -> Int {
        let full = try value.encoded(version: version)
        var count = 0
        for cut in 0..<full.readableBytes {
            let prefix = full.getSlice(at: full.readerIndex, length: cut)!
            do {
                _ = try M.decodeExactly(prefix, version: version)
                // A prefix can only decode if the message legitimately ended early, which a strict
                // decode of a shorter buffer of the same value cannot do.
                Issue.record("\(M.messageName) v\(version): a \(cut)-byte prefix of \(full.readableBytes) decoded")
            } catch {
                if error.message != M.messageName || error.version != version {
                    Issue.record("\(M.messageName) v\(version): error does not name the message and version: \(error)")
                }
            }
            count += 1
        }
        return count
    }

    @Test func randomBytesNeverCrashAnyDecoder() {
        var rng = SplitMix64(seed: 42)
        var errors = 0
        for (type, _) in allRandomMessages {
            for version in type.validVersions {
                for _ in 0..<4 {
                    let garbage = ByteBuffer(bytes: rng.bytes(maxCount: 64))
                    if (try? decodeAny(type, garbage, version: version)) == nil { errors += 1 }
                }
            }
        }
        #expect(errors > 0)
    }

    private func decodeAny<M: KafkaMessage>(_: M.Type, _ buffer: ByteBuffer, version: Int16) throws -> M {
        try M.decodeExactly(buffer, version: version)
    }

    @Test func flippedBytesInRealMessagesNeverCrash() throws {
        var rng = SplitMix64(seed: 7)
        for (type, make) in allRandomMessages where type.messageName.hasSuffix("Request") {
            let version = type.validVersions.upperBound
            let encoded = try encodeAny(make(version, &rng), version: version)
            for _ in 0..<20 where encoded.readableBytes > 0 {
                var mutated = encoded
                let at = rng.below(encoded.readableBytes)
                mutated.setInteger(UInt8(truncatingIfNeeded: rng.next()), at: at)
                _ = try? decodeAny(type, mutated, version: version)
            }
        }
    }

    private func encodeAny<M: KafkaMessage>(_ value: M, version: Int16) throws -> ByteBuffer {
        try value.encoded(version: version)
    }

    @Test func hugeArrayCountIsRefusedBeforeAllocating() {
        // ProduceRequest v3: transactional id (null), acks, timeout, then a topic count claiming 2^31-1.
        var buffer = ByteBuffer()
        buffer.writeInteger(Int16(-1))
        buffer.writeInteger(Int16(-1))
        buffer.writeInteger(Int32(30_000))
        buffer.writeInteger(Int32.max)
        #expect(throws: ProtocolError(.lengthExceedsRemaining(Int(Int32.max)), field: "TopicData", message: "ProduceRequest", version: 3)) {
            _ = try ProduceRequest.decodeExactly(buffer, version: 3)
        }
    }

    @Test func negativeLengthsOtherThanNullAreRefused() {
        // MetadataRequest v0: topic array count of -2.
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(-2))
        #expect(throws: ProtocolError(.negativeLength(-2), field: "Topics", message: "MetadataRequest", version: 0)) {
            _ = try MetadataRequest.decodeExactly(buffer, version: 0)
        }
        // A string length of -5 inside a topic entry.
        var b2 = ByteBuffer()
        b2.writeInteger(Int32(1))
        b2.writeInteger(Int16(-5))
        #expect(throws: ProtocolError(.negativeLength(-5), field: "MetadataRequestTopic.Name", message: "MetadataRequest", version: 0)) {
            _ = try MetadataRequest.decodeExactly(b2, version: 0)
        }
    }

    @Test func hugeCompactStringLengthIsRefused() {
        // MetadataRequest v12 topic name with a varint length of 2^32-1.
        var buffer = ByteBuffer()
        buffer.writeUnsignedVarint(2)                   // one topic
        buffer.writeKafkaUUID(.zero)
        buffer.writeUnsignedVarint(UInt32.max)          // name length claim
        #expect(throws: ProtocolError.self) { _ = try MetadataRequest.decodeExactly(buffer, version: 12) }
    }

    @Test func trailingBytesAreReportedByExactDecoding() throws {
        var bytes = try ApiVersionsRequest().encoded(version: 0)
        bytes.writeInteger(UInt8(1))
        #expect(throws: ProtocolError(.sizeMismatch(1), field: "", message: "ApiVersionsRequest", version: 0)) {
            _ = try ApiVersionsRequest.decodeExactly(bytes, version: 0)
        }
    }

    @Test func invalidUTF8IsRefused() {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(1))
        buffer.writeInteger(Int16(2))
        buffer.writeBytes([0xC3, 0x28])
        #expect(throws: ProtocolError(.invalidUTF8, field: "MetadataRequestTopic.Name", message: "MetadataRequest", version: 0)) {
            _ = try MetadataRequest.decodeExactly(buffer, version: 0)
        }
    }
}

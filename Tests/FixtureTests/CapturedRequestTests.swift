import Foundation
import KafkaProtocol
import NIOCore
import Testing

/// Requests captured from real clients decode with the generated codecs and encode back to the
/// very same bytes: header, every field, every tagged field.
@Suite struct CapturedRequestTests {
    /// Captures whose body is followed by extra bytes, with how many. Kafka ignores such bytes, and so
    /// does Strom; any capture not listed here must have none.
    static let trailingBytes: [String: Int] = [
        // librdkafka 2.16 asking for all topics (null topic array) appends 01 00 00.
        "confluent-kafka-2.16.1-librdkafka-2.16.0/Metadata-v12-bootstrap-metadata-2.bin": 3,
    ]

    @Test func fixturesArePresentAndListedInTheManifest() {
        #expect(Fixture.all.count >= 50)
        let listed = Set(Fixture.manifest.map { $0[0] })
        let files = Set(Fixture.all.map(\.path))
        #expect(files == listed, "files not in MANIFEST.tsv: \(files.subtracting(listed).sorted()); listed but missing: \(listed.subtracting(files).sorted())")
    }

    @Test(arguments: Fixture.all)
    func decodesAndReencodesByteIdentically(_ fixture: Fixture) throws {
        let frame = try RequestFrame(parsing: fixture.bytes)
        let type = try #require(frame.apiKey.requestType, "unknown API \(frame.apiKey)")
        let (name, version) = try #require(fixture.nameAndVersion)
        #expect(frame.apiKey.name == name)
        #expect(frame.apiVersion == version)
        #expect(type.validVersions.contains(frame.apiVersion))

        var reencoded = ByteBuffer()
        try frame.header.encode(to: &reencoded, version: frame.headerVersion)
        let trailing = try reencode(type, body: frame.body, version: frame.apiVersion, into: &reencoded)
        #expect(trailing == Self.trailingBytes[fixture.path] ?? 0, "\(fixture.path): \(trailing) bytes after the body")
        let consumed = fixture.bytes.getSlice(at: fixture.bytes.readerIndex, length: fixture.bytes.readableBytes - trailing)
        #expect(reencoded == consumed, "\(fixture.path): re-encoding changed the bytes")
    }

    /// Decodes the body, encodes it again into `out`, and returns the count of bytes after the body.
    private func reencode<M: KafkaMessage>(_: M.Type, body: ByteBuffer, version: Int16, into out: inout ByteBuffer) throws -> Int {
        var buffer = body
        let message = try M.decode(from: &buffer, version: version)
        try message.encode(to: &out, version: version)
        return buffer.readableBytes
    }
}

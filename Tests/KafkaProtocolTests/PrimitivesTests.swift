import KafkaProtocol
import KafkaTestKit
import NIOCore
import SeededRandom
import Testing

@Suite struct PrimitivesTests {
    static let unsignedCases: [(UInt32, [UInt8])] = [
        (0, [0]), (1, [1]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]),
        (UInt32.max, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]
    static let zigzagCases: [(Int32, [UInt8])] = [
        (0, [0]), (-1, [1]), (1, [2]), (-64, [0x7F]), (64, [0x80, 0x01]), (Int32.min, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    @Test(arguments: unsignedCases)
    func unsignedVarints(value: UInt32, bytes: [UInt8]) throws {
        var b = ByteBuffer()
        b.writeUnsignedVarint(value)
        #expect(Array(b.readableBytesView) == bytes)
        #expect(try b.readUnsignedVarint(field: "x") == value)
        #expect(Varint.size(unsigned: UInt64(value)) == bytes.count)
    }

    @Test(arguments: zigzagCases)
    func zigzagVarints(value: Int32, bytes: [UInt8]) throws {
        var b = ByteBuffer()
        b.writeVarint(value)
        #expect(Array(b.readableBytesView) == bytes)
        #expect(try b.readVarint(field: "x") == value)
    }

    @Test func varlongsRoundTripAtTheEdges() throws {
        for value in [Int64.min, Int64.max, 0, -1, 1, Int64(Int32.max) + 1] {
            var b = ByteBuffer()
            b.writeVarlong(value)
            #expect(b.readableBytes == Varint.size(value))
            #expect(try b.readVarlong(field: "x") == value)
        }
    }

    @Test func overlongVarintsAreMalformed() {
        var b = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x1F])   // 2^35-1: too big for 32 bits
        #expect(throws: ProtocolError(.malformedVarint, field: "x")) { try b.readUnsignedVarint(field: "x") }
        var c = ByteBuffer(bytes: Array(repeating: 0xFF, count: 10) + [0x01])
        #expect(throws: ProtocolError(.malformedVarint, field: "x")) { try c.readVarlong(field: "x") }
        var d = ByteBuffer(bytes: [0x80, 0x80])
        #expect(throws: ProtocolError(.truncated, field: "x")) { try d.readUnsignedVarint(field: "x") }
        #expect(d.readerIndex == 0)
    }

    @Test func stringsClassicAndCompact() throws {
        var b = ByteBuffer()
        try b.writeKafkaString("hé", compact: false)
        try b.writeKafkaNullableString(nil, compact: false)
        try b.writeKafkaString("hé", compact: true)
        try b.writeKafkaNullableString(nil, compact: true)
        #expect(Array(b.readableBytesView) == [0, 3, 0x68, 0xC3, 0xA9, 0xFF, 0xFF, 4, 0x68, 0xC3, 0xA9, 0])
        #expect(try b.readKafkaString(compact: false, field: "a") == "hé")
        #expect(try b.readKafkaNullableString(compact: false, field: "b") == nil)
        #expect(try b.readKafkaString(compact: true, field: "c") == "hé")
        #expect(throws: ProtocolError(.nullNotAllowed, field: "d")) { try b.readKafkaString(compact: true, field: "d") }
    }

    @Test func uuidsPrintAsKafkaDoes() {
        #expect(KafkaUUID.zero.description == "AAAAAAAAAAAAAAAAAAAAAA")
        let id = KafkaUUID(mostSignificantBits: 0xFFFF_FFFF_FFFF_FFFF, leastSignificantBits: 0xFFFF_FFFF_FFFF_FFFF)
        #expect(id.description == "_____________________w")
        var rng = SplitMix64(seed: 3)
        for _ in 0..<100 {
            let u = rng.uuid()
            #expect(KafkaUUID(u.description) == u)
        }
        #expect(KafkaUUID("not-a-uuid") == nil)
    }

    @Test func requestFramesSplitIntoHeaderAndBody() throws {
        let request = MetadataRequest(topics: [.init(name: "orders")], allowAutoTopicCreation: true)
        var frame = try request.encodeFrame(version: 12, correlationID: 77, clientID: "rdkafka")
        let size = frame.readInteger(as: Int32.self)
        #expect(size.map(Int.init) == frame.readableBytes)
        let payload = frame
        let parsed = try RequestFrame(parsing: payload)
        #expect(parsed.apiKey == .metadata)
        #expect(parsed.headerVersion == 2)
        #expect(parsed.header.correlationID == 77)
        #expect(parsed.header.clientID == "rdkafka")
        #expect(try parsed.decodeBody(as: MetadataRequest.self).body == request)
        #expect(try parsed.decodeBody(as: MetadataRequest.self).trailingBytes == 0)
        #expect(throws: ProtocolError.self) { _ = try parsed.decodeBody(as: ProduceRequest.self) }
    }

    @Test func unknownAPIKeysStillYieldACorrelationID() throws {
        var payload = ByteBuffer()
        payload.writeInteger(Int16(999))
        payload.writeInteger(Int16(0))
        payload.writeInteger(Int32(5))
        try payload.writeKafkaNullableString("c", compact: false)
        let parsed = try RequestFrame(parsing: payload)
        #expect(parsed.apiKey.requestType == nil)
        #expect(parsed.header.correlationID == 5)
    }

    /// A generator's draw whose base64 form would start with '-' (top six bits 111110) is drawn again,
    /// as Kafka's Uuid.randomUuid does, so an id never reads as a command-line option.
    @Test func randomUUIDsNeverStartWithADash() {
        struct Scripted: RandomNumberGenerator {
            var values: [UInt64]
            mutating func next() -> UInt64 { values.removeFirst() }
        }
        var g = Scripted(values: [0xF800_0000_0000_0000, 1, 0x0123_4567_89AB_CDEF, 2])
        let id = KafkaUUID.random(using: &g)
        #expect(!id.description.hasPrefix("-"))
        #expect(id.mostSignificantBits >> 16 == 0x0123_4567_89AB)
        #expect(g.values.isEmpty, "the first draw was refused")
        var system = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { #expect(!KafkaUUID.random(using: &system).description.hasPrefix("-")) }
    }
}

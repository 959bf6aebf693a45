/// A Kafka UUID: 16 bytes on the wire, most significant half first. Shown, as Kafka shows it,
/// in URL-safe base64 without padding (22 characters).
public struct KafkaUUID: Hashable, Sendable, CustomStringConvertible {
    public var mostSignificantBits: UInt64
    public var leastSignificantBits: UInt64

    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// The all-zero UUID, Kafka's `Uuid.ZERO_UUID`, used as "no id".
    public static let zero = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 0)

    /// A random version-4 UUID from the given generator, drawn again (as Kafka's `Uuid.randomUuid`
    /// does) while its base64 form starts with '-': such an id would read as an option on a command
    /// line (`strom format -t <id>`).
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> KafkaUUID {
        while true {
            var high = generator.next() as UInt64
            var low = generator.next() as UInt64
            high = (high & ~0xF000) | 0x4000
            low = (low & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000
            let uuid = KafkaUUID(mostSignificantBits: high, leastSignificantBits: low)
            if !uuid.description.hasPrefix("-") { return uuid }
        }
    }

    public static func random() -> KafkaUUID {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: mostSignificantBits >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: leastSignificantBits >> UInt64(shift))) }
        return out
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// URL-safe base64 of the 16 bytes, without padding.
    public var description: String {
        let b = bytes
        var out = [UInt8]()
        var i = 0
        while i + 3 <= b.count {
            let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            for s in [18, 12, 6, 0] { out.append(Self.alphabet[Int((n >> UInt32(s)) & 63)]) }
            i += 3
        }
        // 16 = 5*3 + 1: one byte left, two characters.
        let n = UInt32(b[15]) << 16
        out.append(Self.alphabet[Int((n >> 18) & 63)])
        out.append(Self.alphabet[Int((n >> 12) & 63)])
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses the 22-character URL-safe base64 form; nil when it is not one.
    public init?(_ text: String) {
        let chars = Array(text.utf8)
        guard chars.count == 22 else { return nil }
        var values = [UInt32]()
        for c in chars {
            guard let v = Self.alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt32(v))
        }
        var bytes = [UInt8]()
        var i = 0
        while i + 4 <= 20 {
            let n = values[i] << 18 | values[i + 1] << 12 | values[i + 2] << 6 | values[i + 3]
            bytes += [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            i += 4
        }
        let last = values[20] << 18 | values[21] << 12
        guard last & 0xFFFF == 0 else { return nil }
        bytes.append(UInt8(last >> 16 & 0xFF))
        var high: UInt64 = 0, low: UInt64 = 0
        for k in 0..<8 { high = high << 8 | UInt64(bytes[k]) }
        for k in 8..<16 { low = low << 8 | UInt64(bytes[k]) }
        self.init(mostSignificantBits: high, leastSignificantBits: low)
    }
}

/// A replica's log directory id (KIP-853): a 128-bit Kafka `Uuid`, written in JSON as 22 characters of
/// URL-safe base64 without padding (Kafka's `Uuid.toString()`).
///
/// Invariant: `zero` means "no directory id" (Kafka's `Uuid.ZERO_UUID`).
public struct DirectoryID: Hashable, Sendable, CustomStringConvertible {
    public var mostSignificantBits: UInt64
    public var leastSignificantBits: UInt64

    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    public static let zero = DirectoryID(mostSignificantBits: 0, leastSignificantBits: 0)

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The 16 bytes, most significant first.
    var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: mostSignificantBits >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: leastSignificantBits >> (56 - 8 * $0)) }
    }

    /// URL-safe base64 of the 16 bytes, no padding.
    public var description: String {
        let input = bytes
        var out: [UInt8] = []
        var index = 0
        while index < input.count {
            let chunk = input[index..<min(index + 3, input.count)]
            var value: UInt32 = 0
            for (position, byte) in chunk.enumerated() { value |= UInt32(byte) << (16 - 8 * UInt32(position)) }
            let characters = chunk.count + 1
            for position in 0..<characters {
                out.append(Self.alphabet[Int((value >> (18 - 6 * UInt32(position))) & 0x3F)])
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses Kafka's string form; nil unless it is 22 base64url characters encoding 16 bytes.
    public init?(_ text: String) {
        let characters = Array(text.utf8)
        guard characters.count == 22 else { return nil }
        var bytes: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for character in characters {
            guard let value = Self.alphabet.firstIndex(of: character) else { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for byte in bytes[0..<8] { high = high << 8 | UInt64(byte) }
        for byte in bytes[8..<16] { low = low << 8 | UInt64(byte) }
        self.init(mostSignificantBits: high, leastSignificantBits: low)
    }
}

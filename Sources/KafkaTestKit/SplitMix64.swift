import KafkaProtocol
import NIOCore
import SeededRandom

/// Random values for property tests and the generated random messages, drawn from a seeded
/// `SplitMix64` so every run is reproducible from its seed. Edge values come often.
extension SplitMix64 {
    /// True one time in `n`.
    public mutating func chance(_ n: Int) -> Bool { below(n) == 0 }
    public mutating func bool() -> Bool { next() & 1 == 1 }

    /// Edge values often, arbitrary values otherwise.
    public mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T {
        switch below(6) {
        case 0: return 0
        case 1: return T.max
        case 2: return T.min
        case 3: return T(truncatingIfNeeded: -1)
        default: return T(truncatingIfNeeded: next())
        }
    }

    public mutating func double() -> Double {
        chance(4) ? 0 : Double(Int64(truncatingIfNeeded: next())) / 1024
    }

    /// Short strings, sometimes empty, sometimes beyond ASCII.
    public mutating func string() -> String {
        let alphabet: [Character] = Array("abcXYZ-_.09 ") + ["é", "中", "🙂"]
        return String((0..<below(12)).map { _ in alphabet[below(alphabet.count)] })
    }

    public mutating func bytes(maxCount: Int) -> [UInt8] {
        (0..<below(maxCount + 1)).map { _ in UInt8(truncatingIfNeeded: next()) }
    }

    public mutating func uuid() -> KafkaUUID {
        KafkaUUID(mostSignificantBits: next(), leastSignificantBits: next())
    }

    public mutating func records() -> ByteBuffer {
        ByteBuffer(bytes: bytes(maxCount: 64))
    }
}

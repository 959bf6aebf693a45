import KafkaProtocol
import NIOCore

/// A small seeded generator (SplitMix64), so every property test run is reproducible from its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
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

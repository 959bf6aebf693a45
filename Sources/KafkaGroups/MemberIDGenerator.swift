import SeededRandom

/// Mints the random part of member ids, `<client id or instance id>-<UUID>` as Kafka's
/// `generateMemberId` writes them (`UUID.randomUUID().toString()`: 36 lower-case hex characters and
/// dashes, version 4).
///
/// A seeded SplitMix64, so the coordinator stays deterministic: the shell seeds it from a real random
/// source once, tests from a fixed seed.
public struct MemberIDGenerator: Hashable, Sendable {
    var random: SplitMix64

    public init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func nextWord() -> UInt64 { random.next() }

    /// A version-4 UUID in Java's `UUID.toString()` form.
    public mutating func next() -> String {
        let high = (nextWord() & ~0xF000) | 0x4000
        let low = (nextWord() & ~(0xC000_0000_0000_0000 as UInt64)) | 0x8000_0000_0000_0000
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: digits - s.count) + s
        }
        return [
            hex(high >> 32, 8), hex((high >> 16) & 0xFFFF, 4), hex(high & 0xFFFF, 4),
            hex(low >> 48, 4), hex(low & 0xFFFF_FFFF_FFFF, 12),
        ].joined(separator: "-")
    }
}

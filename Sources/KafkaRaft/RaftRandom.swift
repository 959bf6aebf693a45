/// The core's seeded source of randomness (SplitMix64) for election timeouts and backoffs, so a core is
/// a pure function of its seed and its inputs.
public struct RaftRandom: RandomNumberGenerator, Hashable, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<bound` (0 when `bound <= 0`).
    public mutating func below(_ bound: Int64) -> Int64 {
        bound <= 0 ? 0 : Int64(next() % UInt64(bound))
    }
}

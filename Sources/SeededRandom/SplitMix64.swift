/// SplitMix64 (Steele, Lea and Flood's 64-bit mixer): a tiny, fast, seeded generator. Everything in
/// Strom that must be reproducible from a seed draws from it: the KRaft core's election timeouts and
/// backoffs, the group coordinator's member ids, the tests' random inputs and the benchmarks' corpora.
/// The same seed always yields the same sequence, on every platform.
public struct SplitMix64: RandomNumberGenerator, Hashable, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// In `0..<bound` (`next()` modulo `bound`, so very slightly biased), or 0 when `bound <= 0`.
    public mutating func below<T: FixedWidthInteger>(_ bound: T) -> T {
        bound <= 0 ? 0 : T(next() % UInt64(bound))
    }
}

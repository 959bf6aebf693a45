import SeededRandom

/// The core's seeded source of randomness for election timeouts and backoffs, so a core is a pure
/// function of its seed and its inputs.
public typealias RaftRandom = SplitMix64

/// SplitMix64: a tiny, fast, seedable generator. The core draws every random choice (only
/// election timeouts) from one of these, so a seed replays a run exactly.
public struct SeededGenerator: RandomNumberGenerator, Hashable, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Derives an independent generator, e.g. one per replica from a cluster seed.
    public mutating func fork() -> SeededGenerator { SeededGenerator(seed: next()) }
}

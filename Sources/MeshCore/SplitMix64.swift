/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, seedable generator.
///
/// Used to expand one seed into the state of `Xoshiro256StarStar` and to derive independent child seeds.
/// Not for secrets: a seeded generator never produces a key, nonce or cookie secret in the runtime.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The whole state; the next output is a function of it alone.
    public private(set) var state: UInt64

    /// A generator whose sequence is fixed by `seed` (`MeshCoreTests` pins the first outputs).
    public init(seed: UInt64) {
        self.state = seed
    }

    /// Advances the state by the golden-ratio increment and returns it mixed.
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman and Vigna 2018): the seeded generator cores own for protocol choices
/// (peer sampling, jitter, shuffles), so a simulation replays exactly from its seed.
///
/// Not for secrets: key material comes from a `RandomBytesSource` the shell injects.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose sequence is fixed by `seed`: the state is four outputs of `SplitMix64(seed:)`, as the
    /// authors recommend (an all-zero state is impossible this way).
    public init(seed: UInt64) {
        var expander = SplitMix64(seed: seed)
        s0 = expander.next()
        s1 = expander.next()
        s2 = expander.next()
        s3 = expander.next()
    }

    /// The next output (the `**` scrambler applied to `s1`); advances the state.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A child generator for `stream` (for example one per simulated node), independent of this generator's
    /// future output and of every other stream number: its seed mixes one draw from this generator with `stream`.
    public mutating func derive(stream: UInt64) -> Xoshiro256StarStar {
        var mixer = SplitMix64(seed: next() ^ (stream &* 0xd134_2543_de82_ef95))
        return Xoshiro256StarStar(seed: mixer.next())
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// Where a core gets bytes that must be unpredictable: ephemeral keys, cookie secrets, nonces.
///
/// The runtime backs it with the operating system's CSPRNG (`MeshCrypto.SystemRandom`); the simulator backs it with
/// `SeededRandomBytes`, so a run replays from its seed. Protocol choices use a `Xoshiro256StarStar` instead.
public protocol RandomBytesSource {
    /// Fills every byte of `buffer`.
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension RandomBytesSource {
    /// Thirty-two fresh bytes.
    public mutating func bytes32() -> Bytes32 { Bytes32.filling { fill($0) } }
}

/// Deterministic bytes for simulations and tests: a `Xoshiro256StarStar` stream. Never used by the runtime.
public struct SeededRandomBytes: RandomBytesSource, Sendable {
    private var generator: Xoshiro256StarStar

    /// A byte stream fixed by `seed`.
    public init(seed: UInt64) {
        generator = Xoshiro256StarStar(seed: seed)
    }

    /// Fills `buffer` with the generator's next outputs, each as eight little-endian bytes, so the stream is the same
    /// on every platform. The unused bytes of a final partial word are discarded: the stream depends on how it is split
    /// into calls, so a replay must make the same calls.
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            var word = generator.next().littleEndian
            let chunk = min(8, buffer.count - offset)
            withUnsafeBytes(of: &word) { raw in
                for index in 0..<chunk { buffer[offset + index] = raw[index] }
            }
            offset += chunk
        }
    }
}

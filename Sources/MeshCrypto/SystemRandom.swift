internal import CSodium
public import MeshCore

/// The operating system's cryptographically secure random generator, through libsodium's `randombytes_buf`.
///
/// The runtime's source of every secret (keys, nonces, cookie secrets). Usable as a `RandomBytesSource` and as a
/// Swift `RandomNumberGenerator`.
public struct SystemRandom: RandomBytesSource, RandomNumberGenerator, Sendable {
    /// Initialises libsodium if this process has not yet; the generator itself holds no state.
    public init() {
        ensureSodium()
    }

    /// Fills `buffer` from the operating system's CSPRNG (`randombytes_buf`).
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }

    /// Eight bytes from `fill(_:)`, for use as a `RandomNumberGenerator`.
    public mutating func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }
}

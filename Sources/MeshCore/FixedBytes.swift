/// A fixed number of bytes held inline, without a heap allocation: keys, hashes, signatures, node ids, IPv6
/// addresses, truncated MACs.
///
/// A value type so that hashing a packet or signing a message can return its result without allocating (the
/// benchmark in `Tools/Benchmarks` counts allocations per operation). Equality compares every byte; use
/// `MeshCrypto`'s constant-time comparison for secrets. Its members are `@inlinable` so that callers in other
/// modules get code specialised for their size rather than generic code (the crypto benchmark measures it).
public struct FixedBytes<let N: Int>: Hashable, Sendable {
    @usableFromInline var storage: InlineArray<N, UInt8>

    /// The number of bytes.
    @inlinable public static var count: Int { N }

    /// All bytes zero.
    @inlinable public static var zero: Self { Self() }

    @inlinable init() {
        storage = InlineArray(repeating: 0)
    }

    /// Copies exactly `N` bytes; returns nil for any other count.
    @inlinable public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == N else { return nil }
        self.init()
        Swift.withUnsafeMutableBytes(of: &storage) { raw in
            // Arrays and slices copy in one go; the element loop is for other collections.
            let copied: Void? = bytes.withContiguousStorageIfAvailable {
                raw.copyMemory(from: UnsafeRawBufferPointer($0))
            }
            if copied == nil { for (index, byte) in bytes.enumerated() { raw[index] = byte } }
        }
    }

    /// Builds a value by letting `body` fill all `N` bytes in place (they start as zero).
    @inlinable public static func filling(_ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> Self {
        var value = Self()
        try Swift.withUnsafeMutableBytes(of: &value.storage) { try body($0) }
        return value
    }

    /// Calls `body` with the bytes.
    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage) { try body($0) }
    }

    /// The bytes as an array (allocates; for display, storage and tests).
    @inlinable public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Compares every byte, eight at a time. Not constant-time: compare secrets with `MeshCrypto`'s comparison.
    @inlinable public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                var offset = 0
                while offset + 8 <= N {
                    guard
                        left.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                            == right.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    else { return false }
                    offset += 8
                }
                while offset < N {
                    guard left[offset] == right[offset] else { return false }
                    offset += 1
                }
                return true
            }
        }
    }

    /// Feeds every byte to `hasher`, consistent with `==`.
    @inlinable public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension FixedBytes: CustomStringConvertible {
    /// Lowercase hexadecimal.
    public var description: String { withUnsafeBytes { Hex.encode($0) } }
}

/// Sixteen bytes: IPv6 addresses, truncated MACs.
public typealias Bytes16 = FixedBytes<16>
/// Thirty-two bytes: keys, hashes, node ids.
public typealias Bytes32 = FixedBytes<32>
/// Sixty-four bytes: Ed25519 signatures.
public typealias Bytes64 = FixedBytes<64>

extension FixedBytes where N == 16 {
    /// The IPv6 loopback address `::1`.
    public static var loopback: Self { Self([UInt8](repeating: 0, count: 15) + [1])! }
}

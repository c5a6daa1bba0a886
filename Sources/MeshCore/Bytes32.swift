/// Thirty-two bytes held inline, without a heap allocation: keys, hashes, node ids.
///
/// A value type so that hashing a packet or signing a message can return its result without allocating
/// (the benchmark in `Tools/Benchmarks` counts allocations per operation). Equality compares every byte;
/// use `MeshCrypto`'s constant-time comparison for secrets.
public struct Bytes32: Hashable, Sendable {
    /// The number of bytes, 32.
    public static let count = 32

    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Thirty-two zero bytes.
    public static let zero = Bytes32()

    private init() {}

    /// Copies exactly 32 bytes; returns nil for any other count.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Self.count else { return nil }
        self.init()
        withUnsafeMutableBytes(of: &storage) { raw in
            // Arrays and slices copy in one go; the element loop is for other collections.
            let copied = bytes.withContiguousStorageIfAvailable { raw.copyMemory(from: UnsafeRawBufferPointer($0)) }
            if copied == nil { for (index, byte) in bytes.enumerated() { raw[index] = byte } }
        }
    }

    /// Builds a value by letting `body` fill all 32 bytes in place (they start as zero).
    public static func filling(_ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> Bytes32 {
        var value = Bytes32()
        try withUnsafeMutableBytes(of: &value.storage) { try body($0) }
        return value
    }

    /// Calls `body` with the 32 bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage) { try body($0) }
    }

    /// The bytes as an array (allocates; for display, storage and tests).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public static func == (lhs: Bytes32, rhs: Bytes32) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1 && lhs.storage.2 == rhs.storage.2
            && lhs.storage.3 == rhs.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}

extension Bytes32: CustomStringConvertible {
    /// Lowercase hexadecimal.
    public var description: String { withUnsafeBytes { Hex.encode($0) } }
}

/// Sixty-four bytes held inline, without a heap allocation: Ed25519 signatures, HKDF output pairs.
public struct Bytes64: Hashable, Sendable {
    /// The number of bytes, 64.
    public static let count = 64

    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// Sixty-four zero bytes.
    public static let zero = Bytes64()

    private init() {}

    /// Copies exactly 64 bytes; returns nil for any other count.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Self.count else { return nil }
        self.init()
        withUnsafeMutableBytes(of: &storage) { raw in
            // Arrays and slices copy in one go; the element loop is for other collections.
            let copied = bytes.withContiguousStorageIfAvailable { raw.copyMemory(from: UnsafeRawBufferPointer($0)) }
            if copied == nil { for (index, byte) in bytes.enumerated() { raw[index] = byte } }
        }
    }

    /// Builds a value by letting `body` fill all 64 bytes in place (they start as zero).
    public static func filling(_ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> Bytes64 {
        var value = Bytes64()
        try withUnsafeMutableBytes(of: &value.storage) { try body($0) }
        return value
    }

    /// Calls `body` with the 64 bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage) { try body($0) }
    }

    /// The bytes as an array (allocates; for display, storage and tests).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public static func == (lhs: Bytes64, rhs: Bytes64) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.elementsEqual(r) } }
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension Bytes64: CustomStringConvertible {
    /// Lowercase hexadecimal.
    public var description: String { withUnsafeBytes { Hex.encode($0) } }
}

/// Sixteen bytes held inline: IPv6 addresses, truncated MACs.
public struct Bytes16: Hashable, Sendable {
    /// The number of bytes, 16.
    public static let count = 16

    private var storage: (UInt64, UInt64) = (0, 0)

    /// Sixteen zero bytes.
    public static let zero = Bytes16()
    /// The IPv6 loopback address `::1`.
    public static let loopback = Bytes16([UInt8](repeating: 0, count: 15) + [1])!

    private init() {}

    /// Copies exactly 16 bytes; returns nil for any other count.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Self.count else { return nil }
        self.init()
        withUnsafeMutableBytes(of: &storage) { raw in
            // Arrays and slices copy in one go; the element loop is for other collections.
            let copied = bytes.withContiguousStorageIfAvailable { raw.copyMemory(from: UnsafeRawBufferPointer($0)) }
            if copied == nil { for (index, byte) in bytes.enumerated() { raw[index] = byte } }
        }
    }

    /// Builds a value by letting `body` fill all 16 bytes in place (they start as zero).
    public static func filling(_ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> Bytes16 {
        var value = Bytes16()
        try withUnsafeMutableBytes(of: &value.storage) { try body($0) }
        return value
    }

    /// Calls `body` with the 16 bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage) { try body($0) }
    }

    /// The bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public static func == (lhs: Bytes16, rhs: Bytes16) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
    }
}

extension Bytes16: CustomStringConvertible {
    /// Lowercase hexadecimal.
    public var description: String { withUnsafeBytes { Hex.encode($0) } }
}

internal import CSodium

/// Comparisons whose running time does not depend on where the inputs differ, for MACs, tags and secrets.
public enum ConstantTime {
    /// Whether `lhs` and `rhs` hold the same bytes. Lengths are not secret: unequal lengths return false at once.
    public static func equal(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard lhs.count > 0 else { return true }
        return sodium_memcmp(lhs.baseAddress!, rhs.baseAddress!, lhs.count) == 0
    }

    /// Whether `lhs` and `rhs` hold the same bytes.
    public static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in equal(l, r) } }
    }
}

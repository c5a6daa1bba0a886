import MeshCore

/// QUIC variable-length integers (RFC 9000, section 16): the two high bits of the first byte give the length
/// (1, 2, 4 or 8 bytes), the rest is the value in network byte order; values up to 2^62 - 1.
///
/// SignalMesh requires the shortest encoding (`Specs/wire.md`, "Varints"), so every value has exactly one
/// encoding and signed records hash the same everywhere; a longer one is `WireError.nonMinimalVarint`.
public enum Varint {
    /// The largest encodable value, 2^62 - 1.
    public static let max = Limits.maxVarint

    /// The number of bytes the shortest encoding of `value` takes: 1, 2, 4 or 8.
    public static func encodedLength(of value: UInt64) -> Int {
        precondition(value <= max, "varint value \(value) exceeds 2^62 - 1")
        switch value {
        case ..<(1 << 6): return 1
        case ..<(1 << 14): return 2
        case ..<(1 << 30): return 4
        default: return 8
        }
    }

    /// The shortest encoding of `value` as bytes.
    public static func encode(_ value: UInt64) -> [UInt8] {
        var writer = WireWriter(capacity: 8)
        writer.writeVarint(value)
        return writer.bytes
    }

    /// Appends the shortest encoding of `value` to `bytes`, without an intermediate array (RFC 9000, section 16:
    /// the two top bits of the first byte give the length, 1, 2, 4 or 8 bytes, big-endian).
    public static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        let length = encodedLength(of: value)
        let encoded = value | UInt64(length.trailingZeroBitCount) << (8 * length - 2)
        for shift in stride(from: 8 * (length - 1), through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: encoded >> UInt64(shift)))
        }
    }

    /// Decodes one varint that fills `bytes` exactly.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> UInt64 {
        var reader = WireReader(bytes)
        let value = try reader.readVarint("varint")
        try reader.expectEnd("varint")
        return value
    }

    /// Reads the varint at the start of `bytes` without consuming anything: its value and encoded length, or nil
    /// when `bytes` ends before the varint does (for stream parsers that wait for more input).
    /// - Throws: `nonMinimalVarint` for a longer encoding than the value needs.
    public static func peek(_ bytes: ArraySlice<UInt8>) throws(WireError) -> (value: UInt64, length: Int)? {
        guard let first = bytes.first else { return nil }
        let length = 1 << Int(first >> 6)
        guard bytes.count >= length else { return nil }
        var value = UInt64(first & 0x3f)
        for byte in bytes.dropFirst().prefix(length - 1) { value = value << 8 | UInt64(byte) }
        guard length == encodedLength(of: value) else {
            throw .nonMinimalVarint(field: "varint", value: value, encodedLength: length)
        }
        return (value, length)
    }
}

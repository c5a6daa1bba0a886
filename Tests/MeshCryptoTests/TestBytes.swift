import MeshCore

/// The bytes a test vector spells in hexadecimal, as published (RFC tables print lowercase hex, sometimes wrapped
/// over several lines: pass the lines and they are joined).
///
/// A vector that does not decode is a mistake in the test itself, so it stops the run with the offending text.
func bytes(_ hexLines: String...) -> [UInt8] {
    let text = hexLines.joined()
    do {
        return try Hex.decode(text)
    } catch {
        preconditionFailure("test vector '\(text)' is not hexadecimal: \(error)")
    }
}

/// Thirty-two bytes spelled in hexadecimal.
func bytes32(_ hexLines: String...) -> Bytes32 {
    let decoded = bytes(hexLines.joined())
    guard let value = Bytes32(decoded) else {
        preconditionFailure("test vector has \(decoded.count) bytes, not 32: \(hexLines.joined())")
    }
    return value
}

/// Sixty-four bytes spelled in hexadecimal.
func bytes64(_ hexLines: String...) -> Bytes64 {
    let decoded = bytes(hexLines.joined())
    guard let value = Bytes64(decoded) else {
        preconditionFailure("test vector has \(decoded.count) bytes, not 64: \(hexLines.joined())")
    }
    return value
}

/// `count` copies of `byte`, for vectors such as RFC 4231's "0x0b repeated 20 times".
func repeated(_ byte: UInt8, count: Int) -> [UInt8] {
    [UInt8](repeating: byte, count: count)
}

extension Array where Element == UInt8 {
    /// A copy with bit `bit` (0 is the least significant bit of byte 0) inverted: the smallest possible tampering.
    func flippingBit(_ bit: Int) -> [UInt8] {
        precondition(bit >= 0 && bit < count * 8, "bit \(bit) is outside \(count) bytes")
        var copy = self
        copy[bit / 8] ^= 1 << UInt8(bit % 8)
        return copy
    }
}

extension Bytes64 {
    /// A copy with bit `bit` inverted.
    func flippingBit(_ bit: Int) -> Bytes64 {
        Bytes64(bytes.flippingBit(bit))!
    }
}

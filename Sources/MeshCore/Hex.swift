/// Hexadecimal text for bytes: lowercase out, either case in.
public enum Hex {
    /// Why a hexadecimal string was refused.
    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        /// The text has an odd number of digits.
        case oddLength(Int)
        /// A character that is not a hexadecimal digit, at this zero-based offset.
        case invalidCharacter(Character, offset: Int)

        /// The digit count or the refused character and its offset, for the person who wrote the text.
        public var description: String {
            switch self {
            case .oddLength(let count):
                "hex text has \(count) digits; bytes need an even number"
            case .invalidCharacter(let character, let offset):
                "'\(character)' at offset \(offset) is not a hexadecimal digit (0-9, a-f)"
            }
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lowercase hexadecimal text of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            utf8.append(digits[Int(byte >> 4)])
            utf8.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// The bytes that `text` spells; accepts upper- and lowercase digits, nothing else (no spaces, no `0x`).
    public static func decode(_ text: String) throws(DecodeError) -> [UInt8] {
        try decode(utf8: Array(text.utf8))
    }

    /// The bytes that the UTF-8 hexadecimal digits in `utf8` spell. Works on bytes so that secret material read
    /// from a file need not pass through a `String`, which cannot be wiped.
    public static func decode(utf8: some RandomAccessCollection<UInt8>) throws(DecodeError) -> [UInt8] {
        let utf8 = Array(utf8)
        guard utf8.count % 2 == 0 else { throw .oddLength(utf8.count) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(of: utf8[index]) else { throw invalid(utf8, at: index) }
            guard let low = value(of: utf8[index + 1]) else { throw invalid(utf8, at: index + 1) }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func invalid(_ utf8: [UInt8], at offset: Int) -> DecodeError {
        // Report the character as the person typed it; a non-ASCII byte shows as the replacement character.
        let scalar = utf8[offset] < 0x80 ? Character(Unicode.Scalar(utf8[offset])) : "\u{FFFD}"
        return .invalidCharacter(scalar, offset: offset)
    }
}

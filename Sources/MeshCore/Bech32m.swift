/// The Bech32m text encoding (BIP 350): a human-readable prefix, the separator `1`, base32 data in an alphabet
/// without look-alike characters, and a six-character BCH checksum that catches any error in up to four characters.
///
/// Hand-written because no package available to this project implements Bech32m; the algorithm is short and
/// fixed by BIP 173/350, and `MeshCoreTests` replays the BIP 350 test vectors.
public enum Bech32m {
    /// Why a Bech32m string was refused.
    public enum DecodeError: Error, Equatable {
        /// The text is longer than the limit the caller gave.
        case tooLong(count: Int, limit: Int)
        /// The text mixes upper- and lowercase letters.
        case mixedCase
        /// No separator `1`, or nothing before it, or fewer than six characters after it.
        case missingSeparator
        /// A character outside printable ASCII in the prefix, or outside the data alphabet after the separator,
        /// at this zero-based position.
        case invalidCharacter(Character, position: Int)
        /// The checksum does not match the text.
        case checksumMismatch
        /// The data's bit padding is not zero or longer than four bits.
        case invalidPadding
    }

    /// The 32 data characters, in value order.
    public static let alphabet: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let checksumConstant: UInt32 = 0x2bc8_30a3
    private static let checksumLength = 6

    private static let alphabetValues: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = Int8(value) }
        return table
    }()

    /// Encodes `bytes` under the lowercase prefix `hrp`.
    public static func encode(hrp: String, bytes: some Collection<UInt8>) -> String {
        let prefix = Array(hrp.utf8)
        precondition(
            !prefix.isEmpty && prefix.allSatisfy { $0 >= 33 && $0 <= 126 && !(65...90).contains($0) },
            "Bech32m prefix must be lowercase printable ASCII")
        let data = regroup(Array(bytes), from: 8, to: 5, pad: true)!
        let checksum = makeChecksum(prefix: prefix, data: data)
        var text = prefix
        text.append(UInt8(ascii: "1"))
        for value in data + checksum { text.append(alphabet[Int(value)]) }
        return String(decoding: text, as: UTF8.self)
    }

    /// Decodes `text` into its lowercase prefix and its bytes.
    /// - Parameter limit: the longest text accepted (BIP 173 uses 90).
    public static func decode(_ text: String, limit: Int = 90) throws(DecodeError) -> (hrp: String, bytes: [UInt8]) {
        let utf8 = Array(text.utf8.prefix(limit + 1))
        guard utf8.count <= limit else { throw .tooLong(count: text.utf8.count, limit: limit) }
        let hasLower = utf8.contains { (97...122).contains($0) }
        let hasUpper = utf8.contains { (65...90).contains($0) }
        if hasLower && hasUpper { throw .mixedCase }
        let lowered = utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }
        guard let separator = lowered.lastIndex(of: UInt8(ascii: "1")), separator > 0,
            lowered.count - separator - 1 >= checksumLength
        else { throw .missingSeparator }
        for (position, character) in lowered[..<separator].enumerated() where character < 33 || character > 126 {
            throw .invalidCharacter(displayable(character), position: position)
        }
        var values: [UInt8] = []
        values.reserveCapacity(lowered.count - separator - 1)
        for position in (separator + 1)..<lowered.count {
            let character = lowered[position]
            guard character < 128, alphabetValues[Int(character)] >= 0 else {
                throw .invalidCharacter(displayable(utf8[position]), position: position)
            }
            values.append(UInt8(alphabetValues[Int(character)]))
        }
        let prefix = Array(lowered[..<separator])
        guard polymod(expand(prefix) + values) == checksumConstant else { throw .checksumMismatch }
        guard let bytes = regroup(Array(values.dropLast(checksumLength)), from: 5, to: 8, pad: false) else {
            throw .invalidPadding
        }
        return (String(decoding: prefix, as: UTF8.self), bytes)
    }

    private static func displayable(_ byte: UInt8) -> Character {
        byte < 0x80 ? Character(Unicode.Scalar(byte)) : "\u{FFFD}"
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> bit) & 1 == 1 { checksum ^= generator[bit] }
        }
        return checksum
    }

    private static func expand(_ prefix: [UInt8]) -> [UInt8] {
        prefix.map { $0 >> 5 } + [0] + prefix.map { $0 & 31 }
    }

    private static func makeChecksum(prefix: [UInt8], data: [UInt8]) -> [UInt8] {
        let mod = polymod(expand(prefix) + data + [UInt8](repeating: 0, count: checksumLength)) ^ checksumConstant
        return (0..<checksumLength).map { UInt8((mod >> (5 * (5 - UInt32($0)))) & 31) }
    }

    /// Regroups bits between 8-bit bytes and 5-bit values (BIP 173 `convertbits`); nil on bad padding.
    private static func regroup(_ input: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        var output: [UInt8] = []
        output.reserveCapacity((input.count * from + to - 1) / to)
        let mask = (1 << to) - 1
        for value in input {
            accumulator = (accumulator << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                output.append(UInt8((accumulator >> bits) & mask))
            }
            accumulator &= (1 << bits) - 1
        }
        if pad {
            if bits > 0 { output.append(UInt8((accumulator << (to - bits)) & mask)) }
        } else if bits >= from || (accumulator << (to - bits)) & mask != 0 {
            return nil
        }
        return output
    }
}

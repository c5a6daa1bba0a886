/// A node's identity: its Ed25519 public key.
///
/// The text form people copy is Bech32m (BIP 350) with the prefix `sm`, for example
/// `sm16adfsqvzky9t042tlmfujeq88g8wzuhnm2nzxfd0qgdx3ac82ydq7hej07` (the RFC 8032 test key 1): 61 characters,
/// no look-alike letters, and a checksum that refuses any typo of up to four characters instead of naming another
/// key (`Specs/wire.md`, "Node ids").
public struct NodeID: Hashable, Sendable {
    /// The prefix of the text form.
    public static let textPrefix = "sm"
    /// The length of the text form: prefix, separator, 52 data and 6 checksum characters.
    public static let textLength = 61

    /// The 32-byte Ed25519 public key.
    public let publicKey: Bytes32

    /// Wraps a public key. Whether the bytes are a valid curve point is checked where signatures are verified.
    public init(publicKey: Bytes32) {
        self.publicKey = publicKey
    }

    /// Feeds the first 8 bytes of the key to `hasher`; equality still compares all 32.
    ///
    /// Why not all 32: the packet path looks a peer up by id several times per packet, and hashing 32 bytes cost
    /// about 3% of a receiver's CPU. A public key's bytes are uniformly distributed and `Hasher` is seeded per
    /// process, so 8 bytes spread ids as well as 32; making many ids share their first 8 bytes, to crowd one
    /// bucket, would take on the order of 2^64 key generations per id.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(publicKey.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    }

    /// Whether both name the same key.
    public static func == (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.publicKey == rhs.publicKey
    }

    /// Why a node id's text was refused. Each message says what was wrong and what a valid id looks like.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// The text is empty.
        case empty
        /// The text has this many UTF-8 bytes instead of `textLength`.
        case wrongLength(Int)
        /// The text does not start with `sm1`; the value is what it starts with instead.
        case wrongPrefix(String)
        /// Upper- and lowercase letters together, which Bech32m forbids.
        case mixedCase
        /// A character outside the Bech32 alphabet, at this zero-based position.
        case invalidCharacter(Character, position: Int)
        /// The checksum does not match: a character was mistyped, swapped or left out.
        case checksumMismatch

        /// What is wrong with the text and what a valid node id looks like, for the person who typed or pasted it.
        public var description: String {
            switch self {
            case .empty:
                "the node id is empty; a node id looks like sm1… and has \(NodeID.textLength) characters"
            case .wrongLength(let count):
                "a node id has \(NodeID.textLength) characters, this one has \(count): was it cut short or pasted twice?"
            case .wrongPrefix(let prefix):
                "a node id starts with 'sm1', this one starts with '\(prefix)'"
            case .mixedCase:
                "the node id mixes upper- and lowercase letters; write it all in lowercase"
            case .invalidCharacter(let character, let position):
                "'\(character)' at position \(position + 1) cannot appear in a node id "
                    + "(its alphabet has no 1, b, i or o after the 'sm1' prefix)"
            case .checksumMismatch:
                "the node id's checksum does not match: a character was mistyped, swapped or left out"
            }
        }
    }

    /// Parses the text form. Surrounding whitespace is not accepted: the caller trims input it read from a file.
    public init(text: String) throws(ParseError) {
        guard !text.isEmpty else { throw .empty }
        let count = text.utf8.count
        let expectedPrefix = Self.textPrefix + "1"
        let head = String(decoding: text.utf8.prefix(expectedPrefix.utf8.count), as: UTF8.self)
        guard head.lowercased() == expectedPrefix else { throw .wrongPrefix(head) }
        guard count == Self.textLength else { throw .wrongLength(count) }
        let decoded: (hrp: String, bytes: [UInt8])
        do {
            decoded = try Bech32m.decode(text, limit: Self.textLength)
        } catch {
            switch error {
            case .mixedCase: throw .mixedCase
            case .invalidCharacter(let character, let position): throw .invalidCharacter(character, position: position)
            case .checksumMismatch, .invalidPadding: throw .checksumMismatch
            case .tooLong, .missingSeparator: throw .wrongLength(count)
            }
        }
        // The prefix, length and alphabet checks above leave only 32 data bytes and prefix "sm" possible.
        guard decoded.hrp == Self.textPrefix, let key = Bytes32(decoded.bytes) else { throw .checksumMismatch }
        self.publicKey = key
    }

    /// The text form (Bech32m, prefix `sm`).
    public var text: String { publicKey.withUnsafeBytes { Bech32m.encode(hrp: Self.textPrefix, bytes: $0) } }

    /// The first 12 characters of the text form, for logs and tables where the whole id does not fit.
    public var shortText: String { String(text.prefix(12)) }
}

extension NodeID: Comparable {
    /// Byte-wise order of the public keys: a stable order for sorting peers deterministically.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.publicKey.withUnsafeBytes { l in rhs.publicKey.withUnsafeBytes { r in l.lexicographicallyPrecedes(r) } }
    }
}

extension NodeID: CustomStringConvertible {
    /// The text form, so logs and messages show the id people copy.
    public var description: String { text }
}

extension NodeID: Codable {
    /// Decodes the text form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(text: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the text form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

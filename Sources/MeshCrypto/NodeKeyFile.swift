internal import MeshCore

/// The text format of `node.key`, the file that holds a node's whole identity (`Specs/wire.md`, "Key file").
///
/// ```
/// signalmesh-node-key v1
/// ed25519-seed 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
/// node-id sm1…
/// ```
///
/// The `node-id` line is redundant on purpose: a file whose seed no longer yields its id was damaged or edited,
/// and is refused rather than silently becoming another identity. This type only encodes and parses; file
/// permissions and atomic writes are the caller's job.
public enum NodeKeyFile {
    /// The first line.
    public static let header = "signalmesh-node-key v1"
    /// The largest file accepted; a real one is about 150 bytes.
    public static let maxSize = 1024

    /// Why the contents of a key file were refused.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// The file has this many bytes, more than `maxSize`.
        case tooLarge(Int)
        /// Not UTF-8, empty, or its first line is not a `signalmesh-node-key` header.
        case notAKeyFile
        /// A `signalmesh-node-key` header of this other version, which this build cannot read.
        case unsupportedVersion(String)
        /// No line for this field (`ed25519-seed` or `node-id`).
        case missingField(String)
        /// A line, numbered from 1, that is not a field of the format or repeats one.
        case unexpectedLine(number: Int)
        /// The seed is not 32 bytes of hexadecimal that make an Ed25519 key; the value says why.
        case invalidSeed(String)
        /// The node-id line is not a valid node id; the value is `NodeID.ParseError`'s message.
        case invalidNodeID(String)
        /// The seed yields another node id than the file states (both in text form): the file was damaged or edited.
        case nodeIDMismatch(stored: String, derived: String)

        /// Which line or field of the key file is wrong, without the seed's digits.
        public var description: String {
            switch self {
            case .tooLarge(let count):
                "the key file has \(count) bytes; a node key file has at most \(NodeKeyFile.maxSize)"
            case .notAKeyFile:
                "this is not a SignalMesh node key file (its first line is not '\(NodeKeyFile.header)')"
            case .unsupportedVersion(let version):
                "key file version '\(version)' is not supported by this build (it reads v1)"
            case .missingField(let name):
                "the key file has no '\(name)' line"
            case .unexpectedLine(let number):
                "line \(number) of the key file is not part of the format"
            case .invalidSeed(let reason):
                "the key file's ed25519-seed is invalid: \(reason)"
            case .invalidNodeID(let reason):
                "the key file's node-id is invalid: \(reason)"
            case .nodeIDMismatch(let stored, let derived):
                "the key file is damaged: its seed yields \(derived) but the file says \(stored)"
            }
        }
    }

    /// The file contents for `key`.
    public static func encode(_ key: Ed25519PrivateKey) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        // Reserved up front so the buffer holding the seed's hex never reallocates and leaves an unwiped copy;
        // the caller wipes the returned bytes after writing them.
        bytes.reserveCapacity(maxSize)
        bytes.append(contentsOf: "\(header)\n\(seedField) ".utf8)
        key.withUnsafeSeed { seed in
            for byte in seed {
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0x0f)])
            }
        }
        bytes.append(contentsOf: "\n\(idField) \(key.nodeID.text)\n".utf8)
        return bytes
    }

    /// Parses the file contents into the key they hold.
    ///
    /// Works on bytes throughout, so the seed never passes through a `String` (which cannot be wiped); the one
    /// temporary copy of the seed is wiped before returning.
    public static func decode(_ contents: [UInt8]) throws(ParseError) -> Ed25519PrivateKey {
        guard contents.count <= maxSize else { throw .tooLarge(contents.count) }
        guard String(validating: contents, as: UTF8.self) != nil else { throw .notAKeyFile }
        // Lines end in "\n" or "\r\n"; a final newline is optional.
        var lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { throw .notAKeyFile }
        let headerWords = first.split(separator: UInt8(ascii: " "))
        guard headerWords.count == 2, headerWords[0].elementsEqual("signalmesh-node-key".utf8) else {
            throw .notAKeyFile
        }
        guard first.elementsEqual(header.utf8) else {
            throw .unsupportedVersion(String(decoding: headerWords[1], as: UTF8.self))
        }
        var seedHex: ArraySlice<UInt8>?
        var idText: ArraySlice<UInt8>?
        for (index, line) in lines.enumerated().dropFirst() {
            if let value = field(line, seedField), seedHex == nil {
                seedHex = value
            } else if let value = field(line, idField), idText == nil {
                idText = value
            } else {
                throw .unexpectedLine(number: index + 1)
            }
        }
        guard let seedHex else { throw .missingField(seedField) }
        guard let idText else { throw .missingField(idField) }
        var seed: [UInt8]
        do {
            seed = try Hex.decode(utf8: seedHex)
        } catch {
            throw .invalidSeed(error.description)
        }
        defer { seed.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        guard seed.count == Ed25519PrivateKey.seedLength else {
            throw .invalidSeed("it has \(seed.count) bytes; a seed has \(Ed25519PrivateKey.seedLength)")
        }
        let storedID: NodeID
        do {
            storedID = try NodeID(text: String(decoding: idText, as: UTF8.self))
        } catch {
            throw .invalidNodeID(error.description)
        }
        let key: Ed25519PrivateKey
        do {
            key = try Ed25519PrivateKey(seed: seed)
        } catch {
            throw .invalidSeed(error.description)
        }
        guard key.nodeID == storedID else {
            throw .nodeIDMismatch(stored: storedID.text, derived: key.nodeID.text)
        }
        return key
    }

    private static let seedField = "ed25519-seed"
    private static let idField = "node-id"

    private static func field(_ line: ArraySlice<UInt8>, _ name: String) -> ArraySlice<UInt8>? {
        let prefix = Array((name + " ").utf8)
        guard line.starts(with: prefix) else { return nil }
        return line.dropFirst(prefix.count)
    }
}

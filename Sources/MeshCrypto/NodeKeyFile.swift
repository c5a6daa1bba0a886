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
        case tooLarge(Int)
        case notAKeyFile
        case unsupportedVersion(String)
        case missingField(String)
        case unexpectedLine(number: Int)
        case invalidSeed(String)
        case invalidNodeID(String)
        case nodeIDMismatch(stored: String, derived: String)

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
        let seed = key.withUnsafeSeed { Hex.encode($0) }
        return Array("\(header)\ned25519-seed \(seed)\nnode-id \(key.nodeID.text)\n".utf8)
    }

    /// Parses the file contents into the key they hold.
    public static func decode(_ contents: [UInt8]) throws(ParseError) -> Ed25519PrivateKey {
        guard contents.count <= maxSize else { throw .tooLarge(contents.count) }
        guard String(validating: contents, as: UTF8.self) != nil else { throw .notAKeyFile }
        // Split on the newline byte rather than on Characters: Swift treats "\r\n" as one Character.
        var lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            Substring(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { throw .notAKeyFile }
        let headerWords = first.split(separator: " ")
        guard headerWords.count == 2, headerWords[0] == "signalmesh-node-key" else { throw .notAKeyFile }
        guard first == header else { throw .unsupportedVersion(String(headerWords[1])) }
        var seedText: Substring?
        var idText: Substring?
        for (index, line) in lines.enumerated().dropFirst() {
            if let value = field(line, "ed25519-seed"), seedText == nil {
                seedText = value
            } else if let value = field(line, "node-id"), idText == nil {
                idText = value
            } else {
                throw .unexpectedLine(number: index + 1)
            }
        }
        guard let seedText else { throw .missingField("ed25519-seed") }
        guard let idText else { throw .missingField("node-id") }
        let seed: [UInt8]
        do {
            seed = try Hex.decode(String(seedText))
        } catch {
            throw .invalidSeed(error.description)
        }
        guard seed.count == Ed25519PrivateKey.seedLength else {
            throw .invalidSeed("it has \(seed.count) bytes; a seed has \(Ed25519PrivateKey.seedLength)")
        }
        let storedID: NodeID
        do {
            storedID = try NodeID(text: String(idText))
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

    private static func field(_ line: Substring, _ name: String) -> Substring? {
        guard line.hasPrefix(name + " ") else { return nil }
        return line.dropFirst(name.count + 1)
    }
}

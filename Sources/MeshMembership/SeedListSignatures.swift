public import MeshCore
public import MeshCrypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The detached signature file of a seed list (`Specs/bootstrap.md`, "Signatures"): one line per signer,
///
/// ```
/// ed25519 <signer node id> <base64 signature>
/// ```
///
/// with `#` comment lines and blank lines ignored. Each signature is Ed25519 over `SeedListSignatures.context`
/// followed by the exact bytes of the list file, so that no other signed SignalMesh message can pass for a seed list.
public struct SeedListSignatures: Sendable, Equatable {
    /// One signer's signature.
    public struct Entry: Sendable, Equatable {
        /// Who signed: the node id of the signing key.
        public var signer: NodeID
        /// Ed25519 over `context` + the list's bytes.
        public var signature: Bytes64

        /// An entry from its parts.
        public init(signer: NodeID, signature: Bytes64) {
            self.signer = signer
            self.signature = signature
        }
    }

    /// Prefixed to the list's bytes before signing: domain separation from every other signed message.
    public static let context = Array("signalmesh-seeds/1 signature\n".utf8)
    /// The largest signature file accepted, 64 KiB.
    public static let maxBytes = 64 << 10
    /// At most this many signatures in one file.
    public static let maxEntries = 64

    /// The signatures, one per signer, in the file's order.
    public var entries: [Entry]

    /// A file with these signatures (none: a new file to `sign` into).
    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// Parses a signature file.
    /// - Throws: `SeedListError.badSignatureLine` naming the line and its problem, or `tooLarge`.
    public init(parsing bytes: [UInt8]) throws(SeedListError) {
        guard bytes.count <= Self.maxBytes else { throw .tooLarge(bytes.count, limit: Self.maxBytes) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .badSignatureLine(line: 1, problem: "is not UTF-8 text")
        }
        var entries: [Entry] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3 else {
                throw .badSignatureLine(
                    line: index + 1, problem: "has \(fields.count) fields, not 3: ed25519 <signer> <signature>")
            }
            guard fields[0] == "ed25519" else {
                throw .badSignatureLine(line: index + 1, problem: "names algorithm '\(fields[0])', not ed25519")
            }
            let signer: NodeID
            do throws(NodeID.ParseError) {
                signer = try NodeID(text: String(fields[1]))
            } catch {
                throw .badSignatureLine(line: index + 1, problem: "has a bad signer id: \(error.description)")
            }
            guard let decoded = Data(base64Encoded: String(fields[2])), let signature = Bytes64(Array(decoded)) else {
                throw .badSignatureLine(line: index + 1, problem: "has a signature that is not 64 bytes of base64")
            }
            guard !entries.contains(where: { $0.signer == signer }) else {
                throw .badSignatureLine(line: index + 1, problem: "repeats signer \(signer.text)")
            }
            entries.append(Entry(signer: signer, signature: signature))
            guard entries.count <= Self.maxEntries else {
                throw .badSignatureLine(line: index + 1, problem: "is beyond the \(Self.maxEntries) signatures allowed")
            }
        }
        self.entries = entries
    }

    /// The file: a comment line, then one line per signature.
    public func encoded() -> [UInt8] {
        var text = "# signalmesh seed list signatures (Specs/bootstrap.md): ed25519 <signer> <base64 signature>\n"
        for entry in entries {
            text += "ed25519 \(entry.signer.text) \(Data(entry.signature.bytes).base64EncodedString())\n"
        }
        return Array(text.utf8)
    }

    /// Adds (or replaces) `key`'s signature over `list`, the exact bytes of the list file.
    public mutating func sign(_ list: [UInt8], with key: Ed25519PrivateKey) {
        let entry = Entry(signer: key.nodeID, signature: key.signature(for: Self.context + list))
        if let index = entries.firstIndex(where: { $0.signer == entry.signer }) {
            entries[index] = entry
        } else {
            entries.append(entry)
        }
    }

    /// Whether `entry` is a valid signature over `list`.
    public static func isValid(_ entry: Entry, over list: [UInt8]) -> Bool {
        Ed25519PublicKey(entry.signer).isValidSignature(entry.signature, for: context + list)
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns (FoundationEssentials has no
    /// `trimmingCharacters(in:)`).
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

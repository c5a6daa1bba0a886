public import MeshCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Why a seed list, or its signature file, was refused. Each description names the field or line and the problem,
/// for the operator who wrote the file or the user whose node refused it.
public enum SeedListError: Error, Equatable, CustomStringConvertible {
    /// The file has this many bytes, more than `limit`.
    case tooLarge(Int, limit: Int)
    /// The bytes are not JSON (the parser's explanation).
    case notJSON(String)
    /// A field the format requires is missing.
    case missingField(path: String)
    /// A field the format does not have (a typo, or a list in a newer format).
    case unknownField(path: String)
    /// A field has the wrong JSON type or an invalid value.
    case invalidField(path: String, problem: String)
    /// The list is for another network than the node's.
    case wrongNetwork(expected: String, found: String)
    /// The list's `seq` is lower than one already accepted.
    case seqNotNewer(seq: UInt64, accepted: UInt64)
    /// The list has the `seq` of the one already accepted but other contents.
    case seqReused(UInt64)
    /// A line of the signature file is malformed (lines count from 1).
    case badSignatureLine(line: Int, problem: String)
    /// A signature by a trusted signer does not verify: the list was changed after signing, or the signature is
    /// forged.
    case invalidSignature(signer: NodeID)
    /// Fewer trusted signers signed the list than required.
    case notEnoughTrustedSignatures(valid: Int, required: Int, untrustedSigners: [NodeID])

    /// What was refused and why, naming the field or line.
    public var description: String {
        switch self {
        case .tooLarge(let size, let limit):
            "the seed list has \(size) bytes; at most \(limit) are accepted"
        case .notJSON(let detail):
            "the seed list is not valid JSON: \(detail)"
        case .missingField(let path):
            "the seed list lacks the field \(path)"
        case .unknownField(let path):
            "the seed list has a field \(path) that the format \(SeedList.format) does not have"
        case .invalidField(let path, let problem):
            "the seed list's \(path) \(problem)"
        case .wrongNetwork(let expected, let found):
            "the seed list is for network '\(found)', this node runs on '\(expected)'"
        case .seqNotNewer(let seq, let accepted):
            "the seed list has seq \(seq), older than seq \(accepted) this node already accepted (a replayed list?)"
        case .seqReused(let seq):
            "the seed list has seq \(seq), which this node accepted with other contents; a changed list needs a higher seq"
        case .badSignatureLine(let line, let problem):
            "line \(line) of the signature file \(problem)"
        case .invalidSignature(let signer):
            "the signature by \(signer.text) does not match the seed list (was the list changed after signing?)"
        case .notEnoughTrustedSignatures(let valid, let required, let untrusted):
            "the seed list has \(valid) valid signature(s) by trusted signers, \(required) required"
                + (untrusted.isEmpty
                    ? ""
                    : "; signed also by \(untrusted.map(\.text).joined(separator: ", ")), not trusted here")
        }
    }

    /// A decoding error in the words of this format.
    init(_ error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self = .missingField(path: Self.path(context.codingPath + [key]))
        case .typeMismatch(let type, let context):
            self = .invalidField(path: Self.path(context.codingPath), problem: "is not \(Self.typeName(type))")
        case .valueNotFound(let type, let context):
            self = .invalidField(path: Self.path(context.codingPath), problem: "is null, not \(Self.typeName(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self = .notJSON(
                    (context.underlyingError.map { String(describing: $0) }) ?? context.debugDescription)
            } else {
                self = .invalidField(path: Self.path(context.codingPath), problem: context.debugDescription)
            }
        @unknown default:
            self = .notJSON(String(describing: error))
        }
    }

    /// `seeds[2].addrs[0]` for a coding path.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "(top level)" : text
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int64.Type: "an integer"
        case is [String].Type: "an array of strings"
        default: "of the expected type (\(type))"
        }
    }
}

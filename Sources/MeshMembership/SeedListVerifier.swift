public import MeshCore
import MeshCrypto

/// Which signers a node trusts for its seed list, and how many of them must have signed.
public struct SeedListTrust: Sendable, Equatable {
    /// The pinned signer keys (node ids), from the node's configuration.
    public var signers: Set<NodeID>
    /// How many distinct pinned signers must have signed, at least 1.
    public var threshold: Int

    /// Trust in `signers`, of which `threshold` must have signed.
    public init(signers: Set<NodeID>, threshold: Int = 1) {
        precondition(threshold >= 1, "a seed list needs at least one trusted signature")
        self.signers = signers
        self.threshold = threshold
    }
}

/// The seed list a node accepted last: its `seq` and the SHA-256 of its bytes (kept in the node's peer store, so
/// that a replayed older list, or a changed list under a reused `seq`, is refused after a restart too).
public struct AcceptedSeedList: Sendable, Equatable {
    /// The accepted list's `seq`.
    public var seq: UInt64
    /// SHA-256 of the accepted list file's bytes.
    public var digest: Bytes32

    /// A record of an accepted list.
    public init(seq: UInt64, digest: Bytes32) {
        self.seq = seq
        self.digest = digest
    }
}

/// Something about an accepted seed list the operator should hear of.
public enum SeedListWarning: Sendable, Equatable, CustomStringConvertible {
    /// The list expired at this instant: it is still used (a stale list beats none), but its signer should publish
    /// a newer one.
    case expired(since: Instant)
    /// The list says it was made after `now` by more than the allowed clock skew: a clock is wrong somewhere.
    case generatedInTheFuture(Instant)

    /// The warning in words, with what to do about it.
    public var description: String {
        switch self {
        case .expired(let since):
            "the seed list expired at \(SeedList.text(since)); it is still used, but ask its signer for a newer one"
        case .generatedInTheFuture(let at):
            "the seed list says it was made at \(SeedList.text(at)), which is ahead of this machine's clock"
        }
    }
}

/// A seed list whose signatures, network and sequence number checked out.
public struct VerifiedSeedList: Sendable, Equatable {
    /// The parsed list.
    public var list: SeedList
    /// What to store as the accepted list.
    public var accepted: AcceptedSeedList
    /// The trusted signers whose signatures verified, in the file's order.
    public var trustedSigners: [NodeID]
    /// What the operator should hear of (expiry, clock skew).
    public var warnings: [SeedListWarning]
}

/// Checks a seed list file against its signature file and the node's trust settings (`Specs/bootstrap.md`,
/// "Verification"), in this order: size and JSON shape, network, signatures by trusted signers (at least the
/// threshold, and none of theirs invalid), then `seq` against the list accepted before. Expiry only warns.
public enum SeedListVerifier {
    /// Clock skew tolerated before `generated_at` in the future is worth a warning.
    public static let allowedSkew = Duration.seconds(300)

    /// - Parameters:
    ///   - list: the exact bytes of the seed list file.
    ///   - signatures: the exact bytes of its signature file.
    ///   - network: the node's network.
    ///   - previous: the list this node accepted before, if any.
    /// - Throws: `SeedListError` for the first check that fails.
    public static func verify(
        list: [UInt8], signatures: [UInt8], trust: SeedListTrust, network: String, previous: AcceptedSeedList?,
        now: Instant
    ) throws(SeedListError) -> VerifiedSeedList {
        let parsed = try SeedList(parsing: list)
        guard parsed.network == network else { throw .wrongNetwork(expected: network, found: parsed.network) }
        let signatureFile = try SeedListSignatures(parsing: signatures)
        var trusted: [NodeID] = []
        var untrusted: [NodeID] = []
        for entry in signatureFile.entries {
            guard trust.signers.contains(entry.signer) else {
                untrusted.append(entry.signer)
                continue
            }
            // A bad signature by a trusted signer is never outvoted by good ones: it means tampering.
            guard SeedListSignatures.isValid(entry, over: list) else { throw .invalidSignature(signer: entry.signer) }
            trusted.append(entry.signer)
        }
        guard trusted.count >= trust.threshold else {
            throw .notEnoughTrustedSignatures(
                valid: trusted.count, required: trust.threshold, untrustedSigners: untrusted)
        }
        let digest = SHA256.hash(list)
        if let previous {
            if parsed.seq < previous.seq { throw .seqNotNewer(seq: parsed.seq, accepted: previous.seq) }
            if parsed.seq == previous.seq && digest != previous.digest { throw .seqReused(parsed.seq) }
        }
        var warnings: [SeedListWarning] = []
        if parsed.isExpired(at: now) { warnings.append(.expired(since: parsed.expiresAt)) }
        if parsed.generatedAt > now + allowedSkew { warnings.append(.generatedInTheFuture(parsed.generatedAt)) }
        return VerifiedSeedList(
            list: parsed, accepted: AcceptedSeedList(seq: parsed.seq, digest: digest), trustedSigners: trusted,
            warnings: warnings)
    }
}

import MeshCore
import MeshCrypto
import Synchronization

/// The peer-record signatures this process has already verified, so that a record seen again — the same peer's
/// record arrives in join walks, shuffles and replies many times, at every node of a simulation — costs a hash
/// lookup instead of an Ed25519 verification (about 50 µs on this project's machines).
///
/// Sound as a memo: an entry is the exact bytes that verified (public key, signature, signed message), and
/// verification is a pure function of them, so a hit gives the answer verification would. Only successes are kept.
/// It changes no protocol outcome, only the time spent, so a process-wide table is not the hidden state DESIGN.md
/// warns of: a simulation's trace is the same with or without it. Bounded: at `capacity` entries the table starts
/// over.
enum VerifiedSignatures {
    /// Entries kept before the table starts over.
    static let capacity = 1 << 16

    private static let table = Mutex<Set<Entry>>([])

    /// The exact bytes that verified, hashed in one pass (`[UInt8]`'s own hashing feeds the hasher a byte at a time,
    /// which was most of a lookup's cost); equality still compares every byte.
    private struct Entry: Hashable {
        var bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// Whether `signature` over `message` verifies for `key`; a memo of earlier successes answers first.
    static func isValid(_ signature: Bytes64, for message: [UInt8], key: Ed25519PublicKey) -> Bool {
        var entry = key.rawValue.bytes
        entry.reserveCapacity(32 + 64 + message.count)
        signature.withUnsafeBytes { entry.append(contentsOf: $0) }
        entry.append(contentsOf: message)
        let memo = Entry(bytes: entry)
        if table.withLock({ $0.contains(memo) }) { return true }
        guard key.isValidSignature(signature, for: message) else { return false }
        table.withLock { known in
            if known.count >= capacity { known.removeAll(keepingCapacity: true) }
            known.insert(memo)
        }
        return true
    }
}

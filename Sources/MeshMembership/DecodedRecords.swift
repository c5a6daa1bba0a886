import MeshCore
import MeshWire
import Synchronization

/// The peer records this process has decoded (and whose signatures verified), the latest per node: bytes that arrive
/// again equal to one of them decode to it at once — no parsing, no signature check, no new storage. A record
/// reaches a node many times over (join walks, shuffles and their replies pass records along every hop), and in a
/// simulation every node decodes the same few thousand records; parsing them and checking their signatures against
/// a memo was a fifth of a formed overlay's time, and each node kept its own copies.
///
/// Sound as a cache: a record's encoding is self-delimiting and its decoding a pure function of its bytes, so bytes
/// equal to an encoding that decoded and verified before decode to the same record. It changes no protocol outcome,
/// only the time spent and the memory shared, so a process-wide table is not the hidden state DESIGN.md warns of: a
/// simulation's trace is the same with or without it. Bounded: at `capacity` nodes the table starts over.
enum DecodedRecords {
    /// Nodes whose latest record is kept before the table starts over.
    static let capacity = 1 << 16

    private static let table = Mutex<[NodeID: PeerRecord]>([:])

    /// The record whose encoding the bytes at `reader`'s offset begin with, if one decoded before.
    static func match(_ reader: WireReader) -> PeerRecord? {
        // The node id follows the version byte.
        guard let id = reader.peekBytes32(ahead: 1),
            let known = table.withLock({ $0[NodeID(publicKey: id)] }),
            reader.startsWith(known.encoded)
        else { return nil }
        return known
    }

    /// Keeps `record` (just decoded and verified) as its node's latest.
    static func remember(_ record: PeerRecord) {
        table.withLock { known in
            if known.count >= capacity, known[record.nodeID] == nil { known.removeAll(keepingCapacity: true) }
            known[record.nodeID] = record
        }
    }
}

public import MeshCore

/// What a node knows about how to reach another: its id and addresses, and the signed record they came from when
/// there is one (a seed list entry has none; its list's signature vouches for it instead).
public struct PeerContact: Sendable, Equatable {
    /// The fields, shared by copies: views, walks and effects copy contacts all the time, and a copy of the fields
    /// themselves (a record with its addresses and signature inline) cost a simulation a tenth of its time.
    private final class Storage: Sendable {
        let nodeID: NodeID
        let addresses: [SocketAddress]
        let record: PeerRecord?

        init(nodeID: NodeID, addresses: [SocketAddress], record: PeerRecord?) {
            self.nodeID = nodeID
            self.addresses = addresses
            self.record = record
        }
    }

    private var storage: Storage

    /// The peer's node id: the key its Noise handshake must prove.
    public var nodeID: NodeID { storage.nodeID }
    /// Where to reach it, in order of preference.
    public var addresses: [SocketAddress] { storage.addresses }
    /// The peer's own signed record, passed on in peer exchange; nil for a seed list entry.
    public var record: PeerRecord? { storage.record }

    /// A contact from a signed record.
    public init(record: PeerRecord) {
        storage = Storage(nodeID: record.nodeID, addresses: record.addresses, record: record)
    }

    /// A contact from a seed list entry.
    public init(seed: SeedList.Seed) {
        storage = Storage(nodeID: seed.peerID, addresses: seed.addresses, record: nil)
    }

    /// A peer known by id and addresses an operator gave (no record vouches for them); with no addresses, it is
    /// reachable only over a session that is already up.
    public init(nodeID: NodeID, addresses: [SocketAddress] = []) {
        storage = Storage(nodeID: nodeID, addresses: addresses, record: nil)
    }

    /// Equal when id, addresses and record are (the same storage is equal at once).
    public static func == (lhs: PeerContact, rhs: PeerContact) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.nodeID == rhs.nodeID && lhs.addresses == rhs.addresses && lhs.record == rhs.record)
    }

    /// Replaces the record (and addresses) with `record` if it is newer; true if it was.
    mutating func update(with record: PeerRecord) -> Bool {
        guard record.nodeID == nodeID else { return false }
        if let current = self.record, !record.supersedes(current) { return false }
        storage = Storage(nodeID: nodeID, addresses: record.addresses, record: record)
        return true
    }
}

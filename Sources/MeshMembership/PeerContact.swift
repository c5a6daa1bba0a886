public import MeshCore

/// What a node knows about how to reach another: its id and addresses, and the signed record they came from when
/// there is one (a seed list entry has none; its list's signature vouches for it instead).
public struct PeerContact: Sendable, Equatable {
    /// The other fields, shared by copies: views, walks and effects copy contacts all the time, and a copy of the
    /// fields themselves (a record with its addresses and signature inline) cost a simulation a tenth of its time.
    private final class Storage: Sendable {
        let addresses: [SocketAddress]
        let record: PeerRecord?

        init(addresses: [SocketAddress], record: PeerRecord?) {
            self.addresses = addresses
            self.record = record
        }
    }

    /// The peer's node id: the key its Noise handshake must prove. Inline, not in `storage`: views are searched by
    /// id all the time, and following each contact's reference to its storage was most of a search (a cache miss
    /// per contact, in a simulation of 10,000 nodes).
    public let nodeID: NodeID
    private var storage: Storage

    /// Where to reach it, in order of preference.
    public var addresses: [SocketAddress] { storage.addresses }
    /// The peer's own signed record, passed on in peer exchange; nil for a seed list entry.
    public var record: PeerRecord? { storage.record }

    /// A contact from a signed record.
    public init(record: PeerRecord) {
        nodeID = record.nodeID
        storage = Storage(addresses: record.addresses, record: record)
    }

    /// A contact from a seed list entry.
    public init(seed: SeedList.Seed) {
        nodeID = seed.peerID
        storage = Storage(addresses: seed.addresses, record: nil)
    }

    /// A peer known by id and addresses an operator gave (no record vouches for them); with no addresses, it is
    /// reachable only over a session that is already up.
    public init(nodeID: NodeID, addresses: [SocketAddress] = []) {
        self.nodeID = nodeID
        storage = Storage(addresses: addresses, record: nil)
    }

    /// Equal when id, addresses and record are (the same storage is equal at once).
    public static func == (lhs: PeerContact, rhs: PeerContact) -> Bool {
        lhs.nodeID == rhs.nodeID
            && (lhs.storage === rhs.storage || (lhs.addresses == rhs.addresses && lhs.record == rhs.record))
    }

    /// Replaces the record (and addresses) with `record` if it is newer; true if it was.
    mutating func update(with record: PeerRecord) -> Bool {
        guard record.nodeID == nodeID else { return false }
        if let current = self.record, !record.supersedes(current) { return false }
        storage = Storage(addresses: record.addresses, record: record)
        return true
    }
}

public import MeshCore

/// What a node knows about how to reach another: its id and addresses, and the signed record they came from when
/// there is one (a seed list entry has none; its list's signature vouches for it instead).
public struct PeerContact: Sendable, Equatable {
    /// The peer's node id: the key its Noise handshake must prove.
    public var nodeID: NodeID
    /// Where to reach it, in order of preference.
    public var addresses: [SocketAddress]
    /// The peer's own signed record, passed on in peer exchange; nil for a seed list entry.
    public var record: PeerRecord?

    /// A contact from a signed record.
    public init(record: PeerRecord) {
        nodeID = record.nodeID
        addresses = record.addresses
        self.record = record
    }

    /// A contact from a seed list entry.
    public init(seed: SeedList.Seed) {
        nodeID = seed.peerID
        addresses = seed.addresses
        record = nil
    }

    /// A peer known by id and addresses an operator gave (no record vouches for them); with no addresses, it is
    /// reachable only over a session that is already up.
    public init(nodeID: NodeID, addresses: [SocketAddress] = []) {
        self.nodeID = nodeID
        self.addresses = addresses
        record = nil
    }

    /// Replaces the record (and addresses) with `record` if it is newer; true if it was.
    mutating func update(with record: PeerRecord) -> Bool {
        guard record.nodeID == nodeID else { return false }
        if let current = self.record, !record.supersedes(current) { return false }
        self.record = record
        addresses = record.addresses
        return true
    }
}

import MeshCore

/// The endpoint's peers, each in a slot of a slab that it keeps while it is in the table, and each slot's earliest
/// deadline.
///
/// A peer is about 1.8 KB of state. Kept in a dictionary, it had to be moved out and back in for every packet (so
/// that its buffers had one owner while they changed), which cost a tenth of the receiver's time. In a slab it is
/// changed where it lies: `Endpoint.withPeer` lends the whole slab out of the endpoint (a pointer swap) for the
/// length of one input, so the endpoint and the peer can both be changed at once without copying either.
struct PeerTable {
    /// The peers by slot; nil for a free slot, or one whose peer is checked out (`checkOut`).
    private(set) var slots: [Peer?] = []
    /// Each slot's peer id (nil for a free slot), so that finding the due peers reads no peer.
    private var ids: [NodeID?] = []
    /// Each slot's earliest deadline (`Peer.nextDeadline`), written whenever its peer is stored or changed in place,
    /// heap-ordered: the earliest and the due ones are found without a scan.
    private var order = DeadlineHeap()
    private var slotByID: [NodeID: Int] = [:]
    private var freeSlots: [Int] = []
    /// Whether `slots` is lent out (see `lend`); the table refuses to change while it is.
    private var isLent = false

    /// How many peers the table holds, those checked out included.
    var count: Int { slotByID.count }

    /// The ids of the peers whose deadline is at or before `now`, in ascending order (the order timers run in, so
    /// that runs are reproducible).
    ///
    /// Complexity: O(k log k) for k due peers.
    func dueIDs(at now: Instant) -> [NodeID] {
        var due = order.due(at: now).compactMap { ids[$0] }
        if due.count > 1 { due.sort() }
        return due
    }

    /// The slot of `id`, if the table holds it.
    func slot(of id: NodeID) -> Int? { slotByID[id] }

    /// The peer `id`, read-only; nil when it is not in the table, checked out, or the slab is lent.
    subscript(id: NodeID) -> Peer? {
        guard let slot = slotByID[id], slot < slots.count else { return nil }
        return slots[slot]
    }

    /// The peers in the table, in no particular order.
    var peers: some Sequence<Peer> { slots.lazy.compactMap { $0 } }

    /// The earliest deadline of any peer.
    ///
    /// Complexity: O(1).
    var earliestDeadline: Instant? { order.earliest }

    /// Takes `id`'s peer out of its slot, which stays reserved for `store` to put it back.
    mutating func checkOut(_ id: NodeID) -> Peer? {
        precondition(!isLent, "the peer table changed while its slots were lent")
        guard let slot = slotByID[id] else { return nil }
        return slots[slot].take()
    }

    /// Puts `peer` into its slot (a new peer gets a free one) with its deadline.
    mutating func store(_ peer: consuming Peer, deadline: Instant?) {
        precondition(!isLent, "the peer table changed while its slots were lent")
        let slot: Int
        if let existing = slotByID[peer.id] {
            slot = existing
        } else if let free = freeSlots.popLast() {
            slot = free
            slotByID[peer.id] = slot
            ids[slot] = peer.id
        } else {
            slot = slots.count
            slots.append(nil)
            ids.append(peer.id)
            slotByID[peer.id] = slot
        }
        order.set(slot, deadline)
        slots[slot] = consume peer
    }

    /// Forgets `id` and frees its slot.
    mutating func remove(_ id: NodeID) {
        precondition(!isLent, "the peer table changed while its slots were lent")
        guard let slot = slotByID.removeValue(forKey: id) else { return }
        slots[slot] = nil
        order.set(slot, nil)
        ids[slot] = nil
        freeSlots.append(slot)
    }

    /// Hands the slab out, leaving the table's empty until `giveBack`: the borrower holds its only reference, so
    /// changing a peer in it copies nothing.
    mutating func lend() -> [Peer?] {
        precondition(!isLent, "the peer table's slots are already lent")
        isLent = true
        var lent: [Peer?] = []
        swap(&lent, &slots)
        return lent
    }

    /// Takes the slab back from `lend`, with the new deadline of the peer in `slot`, which the borrower changed
    /// (nil when it found the slot empty).
    mutating func giveBack(_ lent: inout [Peer?], changed slot: Int, deadline: Instant??) {
        precondition(isLent && slots.isEmpty, "the peer table's slots were not lent")
        swap(&lent, &slots)
        if let deadline { order.set(slot, deadline) }
        isLent = false
    }
}

import MeshCore
import MeshCrypto

/// What the endpoint knows about one peer.
struct Peer {
    let id: NodeID
    /// The peer's static X25519 key, derived from its node id.
    let staticKey: X25519PublicKey
    /// mac1 key of packets we send to it.
    let mac1Key: [UInt8]
    var address: SocketAddress?
    /// DH(our static key, its static key), computed once: every handshake with this peer needs it.
    var staticShared: SymmetricKey?
    var handshake: PendingHandshake?
    /// The session we send with.
    var current: Session?
    /// The session before the last handshake, kept for packets in flight.
    var previous: Session?
    /// A session we created as responder; it becomes `current` when the first packet arrives on it.
    var next: Session?
    /// The newest initiation timestamp accepted from this peer.
    var lastTimestamp: TAI64N?
    /// A cookie the peer gave us, and when.
    var cookie: (value: Bytes16, receivedAt: Instant)?
    /// Datagrams waiting for a session.
    var queue: [[UInt8]] = []
    /// The reliable stream we send on (created with the first reliable message; ends when the peer goes down).
    var streamOut: StreamSender?
    /// The reliable stream we receive on (replaced when a frame of a new generation arrives).
    var streamIn: StreamReceiver?
    /// Whether the next packet should carry our current MAX_DATA grant (the last one was lost or is due).
    var announceMaxData = false
    var congestion = CongestionController()
    var pacer = Pacer()
    /// Whether a datagram send was refused for congestion and the caller waits for `.writable`.
    var datagramBlocked = false
    /// When the pacer lets the next stream packet go, if it held one back.
    var pacedUntil: Instant?
    /// When the peer last sent us an authenticated packet or we last sent it one (for evicting idle peers).
    var lastActivity = Instant.epoch
    /// When a packet with frames arrived that we have not answered with any packet yet (passive keepalive).
    var unansweredSince: Instant?
    /// When we sent a packet with frames without receiving anything since (the peer may be gone).
    var awaitingAnswerSince: Instant?
    /// When the connection came up (the first session after none); nil while none is up.
    var connectedSince: Instant?
    /// Whether this endpoint initiated the handshake that brought the connection up.
    var outbound = false
    /// Packets and bytes exchanged with the peer.
    var traffic = PeerTraffic()

    /// A peer whose id is a valid Ed25519 key; nil otherwise.
    init?(id: NodeID) {
        guard let key = try? Ed25519PublicKey(id).x25519PublicKey() else { return nil }
        self.id = id
        staticKey = key
        mac1Key = PacketMAC.mac1Key(receiverStatic: key)
    }

    /// Whether a session is up (`current` is set), read without copying the session.
    var isUp: Bool {
        if case .none = current { return false }
        return true
    }

    /// Whether nothing is going on with this peer: no session, no handshake, nothing queued.
    var isIdle: Bool {
        current == nil && previous == nil && next == nil && handshake == nil && queue.isEmpty
            && (streamOut?.bufferedBytes ?? 0) == 0
    }

    /// The cookie to put in mac2, if one is fresh.
    func validCookie(now: Instant, settings: EndpointSettings) -> Bytes16? {
        guard let cookie, now - cookie.receivedAt < settings.cookieLifetime else { return nil }
        return cookie.value
    }

    /// The earliest instant a timer of this peer is due.
    ///
    /// `mutating` though it changes nothing: through `inout` access the sessions' trackers are read where they lie,
    /// while reading them from a borrowed peer copied each one (about 1 KB per input) to compute a deadline.
    mutating func nextDeadline(settings: EndpointSettings) -> Instant? {
        var earliest: Instant?
        func consider(_ candidate: Instant?) {
            guard let candidate else { return }
            if earliest.map({ candidate < $0 }) ?? true { earliest = candidate }
        }
        consider(handshake?.retryAt)
        // Both are read whether or not a session is up, as `Endpoint.runTimers` does: it runs only for a peer whose
        // deadline is due, so every condition it acts on must be a deadline here.
        consider(unansweredSince.map { $0 + settings.keepaliveTimeout })
        consider(awaitingAnswerSince.map { $0 + settings.unresponsiveTimeout })
        if current != nil { consider(Self.deadline(of: &current!, settings: settings)) }
        if next != nil { consider(Self.deadline(of: &next!, settings: settings)) }
        if previous != nil { consider(Self.deadline(of: &previous!, settings: settings)) }
        consider(pacedUntil)
        return earliest
    }

    /// The earliest of a session's timers: expiry, the ACK owed, loss detection.
    private static func deadline(of session: inout Session, settings: EndpointSettings) -> Instant? {
        var earliest = session.createdAt + settings.rejectAfterTime
        if let ack = session.received.ackDeadline, ack < earliest { earliest = ack }
        if let loss = session.sent.lossDetectionDeadline, loss < earliest { earliest = loss }
        return earliest
    }

    /// Takes the session in `slot` out, leaving the slot empty: the caller then holds its only reference, so
    /// changing it copies none of its buffers. Put it back with `put`.
    mutating func take(_ slot: SessionSlot) -> Session? {
        // Swapped out, not copied: a copy would retain (and then release) everything the session holds.
        var taken: Session? = nil
        switch slot {
        case .current: swap(&taken, &current)
        case .previous: swap(&taken, &previous)
        case .next: swap(&taken, &next)
        }
        return taken
    }

    /// Runs `body` on the session in `slot` where it lies (neither copied nor moved); nil when the slot is empty.
    mutating func withSession<Result, Failure: Error>(
        _ slot: SessionSlot, _ body: (inout Session) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        switch slot {
        case .current: current == nil ? nil : try body(&current!)
        case .previous: previous == nil ? nil : try body(&previous!)
        case .next: next == nil ? nil : try body(&next!)
        }
    }

    /// Puts a session (back) into `slot`.
    mutating func put(_ session: consuming Session?, _ slot: SessionSlot) {
        switch slot {
        case .current: current = session
        case .previous: previous = session
        case .next: next = session
        }
    }

    /// The slot holding the session with our index `index`. (`mutating` only to read the sessions in place:
    /// through a borrowed peer, each `current?.localIndex` copied a whole session.)
    mutating func slot(ofLocalIndex index: UInt32) -> SessionSlot? {
        if withSession(.current, { $0.localIndex }) == index { return .current }
        if withSession(.next, { $0.localIndex }) == index { return .next }
        if withSession(.previous, { $0.localIndex }) == index { return .previous }
        return nil
    }
}

/// Where a peer's session sits: sending (`current`), kept for packets in flight (`previous`), or offered as
/// responder and not yet confirmed (`next`).
enum SessionSlot: CaseIterable {
    case current, next, previous

    /// The slots other than the current one.
    static let older: [SessionSlot] = [.previous, .next]
}

/// A handshake we initiated and are waiting to complete.
struct PendingHandshake {
    var noise: NoiseIKInitiator
    let localIndex: UInt32
    /// mac1 of the initiation sent, to open a cookie reply about it.
    var mac1: Bytes16
    var retryAt: Instant
    var attempts: Int
}

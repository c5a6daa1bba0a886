public import MeshCore
public import MeshCrypto
import MeshWire

/// The transport's sans-IO core: Noise IK handshakes with WireGuard's hygiene, and encrypted sessions that carry
/// datagrams, for one node (`Specs/transport.md`).
///
/// Inputs are a datagram with its source address, a send request, or a timer firing, each with `now`; outputs are
/// `EndpointEffect`s the shell carries out in order. The endpoint never reads a clock, touches a socket or draws
/// from a global generator: secrets (ephemeral keys, cookie secrets) come from the injected `RandomBytesSource`,
/// protocol choices (indices, jitter) from its own seeded generator, so the simulator replays it exactly.
public struct Endpoint {
    /// Why a send request was refused.
    public enum SendError: Error, Equatable, CustomStringConvertible {
        /// The message does not fit one datagram frame (`maxDatagramMessage` bytes).
        case messageTooLarge(Int, limit: Int)
        /// No session and no known address to start a handshake to.
        case unknownAddress(NodeID)
        /// The node id is not a valid Ed25519 key, so no handshake to it can succeed.
        case invalidPeerKey(NodeID)
        /// The peer table is full.
        case tooManyPeers
        /// The peer's reliable stream holds `maxStreamSendBuffer` bytes not yet acknowledged: try again later.
        case sendBufferFull(NodeID)
        /// No session with the peer is up.
        case notConnected(NodeID)
        /// The congestion window to the peer is full, or so many packets await acknowledgment that no more can be
        /// tracked: try again after some are acknowledged (backpressure for datagrams and pings).
        case congested(NodeID)

        /// What was refused and, where the application can do something about it, what.
        public var description: String {
            switch self {
            case .messageTooLarge(let size, let limit):
                "a message of \(size) bytes does not fit one datagram (at most \(limit))"
            case .unknownAddress(let peer): "no address is known for \(peer.shortText)…; connect to it first"
            case .invalidPeerKey(let peer): "\(peer.shortText)… is not a valid Ed25519 public key"
            case .tooManyPeers: "the peer table is full"
            case .sendBufferFull(let peer): "the reliable stream to \(peer.shortText)… is full; try again later"
            case .notConnected(let peer): "no session with \(peer.shortText)… is up"
            case .congested(let peer):
                "the path to \(peer.shortText)… is congested (too much awaits acknowledgment); try again later"
            }
        }
    }

    /// The largest message one datagram carries.
    public static let maxDatagramMessage = Session.maxPlaintext - SessionFrame.datagramOverhead
    /// The largest message the reliable stream carries, 1 MiB.
    public static let maxReliableMessage = Limits.maxStreamMessageSize
    /// Flow-control window of every reliable stream: the initial MAX_DATA, and how far beyond what it delivered a
    /// receiver lets its sender go (`Specs/transport.md`, "Stream"). A protocol constant: both sides assume it.
    public static let streamWindow: UInt64 = 2 << 20

    /// The timers and limits the endpoint was created with; fixed for its lifetime.
    public let settings: EndpointSettings
    /// This node's identity.
    public let nodeID: NodeID

    let identity: Ed25519PrivateKey
    let staticKey: X25519PrivateKey
    let prologue: [UInt8]
    /// mac1 key of packets addressed to us.
    let ourMAC1Key: [UInt8]
    var random: any RandomBytesSource
    var generator: Xoshiro256StarStar
    var cookies: CookieMaker
    var rateLimiter: SourceRateLimiter
    /// The peers, each changed where it lies (`withPeer`), with their deadlines.
    var peers = PeerTable()
    /// Our indices: which peer each belongs to. Pending handshakes and sessions both have one.
    var indices: [UInt32: NodeID] = [:]
    var loadWindow: (start: Instant, count: Int, previous: Int)
    var reportedDeadline: Instant?
    /// Out-of-order stream bytes held across all peers (bounded by `settings.maxReassemblyBytes`).
    var reassemblyBytes = 0
    /// DH(s, rs) of peers seen, by their static key (see `rememberStaticShared`).
    var staticSharedByKey: [X25519PublicKey: SymmetricKey] = [:]
    /// Peers whose initiations are refused, until when (`block`), at most `maxBlocked`.
    public private(set) var blocked: [NodeID: Instant] = [:]
    /// The most peers blocked at once.
    public static let maxBlocked = 4096
    /// Ephemeral keys made ahead, at most `ephemeralBatch`, each used for one handshake (see `newEphemeral`).
    var ephemeralKeys: [X25519PrivateKey] = []
    /// Datagrams dropped, by reason.
    public internal(set) var drops: [DropReason: Int] = [:]
    /// Datagrams, bytes, handshakes and sessions counted so far.
    public internal(set) var counters = EndpointCounters()
    /// SHA-256 digests of the sending keys of the sessions made, oldest first, when
    /// `settings.keepsSessionKeyDigests` (at most `maxSessionKeyDigests`; older ones are forgotten).
    public internal(set) var sessionKeyDigests: [Bytes32] = []
    /// How many digests `sessionKeyDigests` keeps.
    public static let maxSessionKeyDigests = 4096
    /// Packet and message buffers for reuse (see `recycle(_:)`).
    var buffers: BufferPool
    /// The plaintext of the data packet being read, kept between packets for its capacity.
    var plaintextScratch: [UInt8] = []
    /// Frames of the packet being built or read, kept between packets for their capacity.
    var frameScratch: [SessionFrame] = []
    /// Messages completed by the stream chunk being read, kept between chunks for its capacity.
    var messageScratch: [[UInt8]] = []
    /// The outcome of the ACK being applied, kept between ACKs for its arrays' capacity.
    var ackOutcomeScratch = AckOutcome<PacketRecord>()

    /// An endpoint for `identity`.
    /// - Parameters:
    ///   - random: the source of secrets (the runtime passes `SystemRandom`, the simulator a seeded source).
    ///   - seed: seeds the generator for protocol choices (indices, jitter).
    public init(
        identity: Ed25519PrivateKey, settings: EndpointSettings = EndpointSettings(),
        random: some RandomBytesSource, seed: UInt64, now: Instant
    ) {
        self.identity = identity
        self.settings = settings
        nodeID = identity.nodeID
        staticKey = identity.x25519PrivateKey()
        prologue = TransportPrologue.bytes(network: settings.network)
        ourMAC1Key = PacketMAC.mac1Key(receiverStatic: staticKey.publicKey)
        var source = random
        cookies = CookieMaker(localStatic: staticKey.publicKey, random: &source, now: now)
        self.random = source
        generator = Xoshiro256StarStar(seed: seed)
        rateLimiter = SourceRateLimiter(settings: settings.rateLimiter)
        loadWindow = (now, 0, 0)
        buffers = BufferPool(limit: settings.maxPooledBuffers)
        plaintextScratch.reserveCapacity(Limits.maxDatagramSize)
    }

    // MARK: Public inputs

    /// Records `address` for `peer` and starts a handshake unless a session is up or one is under way.
    public mutating func connect(
        to peer: NodeID, at address: SocketAddress, now: Instant
    ) throws(SendError) -> [EndpointEffect] {
        var effects: [EndpointEffect] = []
        try connect(to: peer, at: address, now: now, effects: &effects)
        return effects
    }

    /// `connect(to:at:now:)`, appending its effects to `effects`.
    public mutating func connect(
        to peer: NodeID, at address: SocketAddress, now: Instant, effects: inout [EndpointEffect]
    ) throws(SendError) {
        var state = try takePeer(peer)
        state.address = address
        state.lastActivity = now
        if state.current == nil && state.handshake == nil {
            startHandshake(&state, now: now, effects: &effects)
        }
        store(consume state)
        finish(now: now, effects: &effects)
    }

    /// Sends `message` to `peer` as one datagram: now if a session is up, after the handshake otherwise (queued,
    /// bounded by `maxQueuedMessagesPerPeer`).
    public mutating func send(_ message: [UInt8], to peer: NodeID, now: Instant) throws(SendError) -> [EndpointEffect] {
        var effects: [EndpointEffect] = []
        try send(message, to: peer, now: now, effects: &effects)
        return effects
    }

    /// `send(_:to:now:)`, appending its effects to `effects`: with an effects array the shell reuses (and the
    /// packet buffers it recycles), sending a datagram allocates nothing.
    public mutating func send(
        _ message: [UInt8], to peer: NodeID, now: Instant, effects: inout [EndpointEffect]
    ) throws(SendError) {
        guard message.count <= Self.maxDatagramMessage else {
            throw .messageTooLarge(message.count, limit: Self.maxDatagramMessage)
        }
        try updatePeer(peer, ifUnknown: .unknownAddress(peer), now: now, effects: &effects) {
            (endpoint, state, effects) throws(SendError) in
            guard state.address != nil else { throw .unknownAddress(peer) }
            // Datagrams are congestion controlled (as RFC 9221 asks of QUIC's): refused while the window is full.
            let settings = endpoint.settings
            if let (canSend, canTrackMore) = state.withSession(
                .current, { ($0.canSend(now: now, settings: settings), $0.sent.canTrackMore) }),
                canSend,
                !canTrackMore
                    || !state.congestion.canSend(bytes: TransportPacket.minimumDataLength + message.count + 3)
            {
                state.datagramBlocked = true
                throw .congested(peer)
            }
            endpoint.sendDatagram(message, to: &state, now: now, effects: &effects)
        }
    }

    /// Sends `message` (up to 1 MiB) on the peer's reliable, ordered stream: delivered exactly once and in order
    /// while the connection lasts, resent as needed, paced by congestion control. Starts a handshake if no session
    /// is up.
    /// - Throws: `messageTooLarge`, `unknownAddress`, or `sendBufferFull` when `maxStreamSendBuffer` bytes wait for
    ///   acknowledgment (backpressure: try again after some are acknowledged).
    public mutating func sendReliable(
        _ message: [UInt8], to peer: NodeID, now: Instant
    ) throws(SendError) -> [EndpointEffect] {
        var effects: [EndpointEffect] = []
        try sendReliable(message, to: peer, now: now, effects: &effects)
        return effects
    }

    /// `sendReliable(_:to:now:)`, appending its effects to `effects`.
    public mutating func sendReliable(
        _ message: [UInt8], to peer: NodeID, now: Instant, effects: inout [EndpointEffect]
    ) throws(SendError) {
        guard message.count <= Self.maxReliableMessage else {
            throw .messageTooLarge(message.count, limit: Self.maxReliableMessage)
        }
        try updatePeer(peer, ifUnknown: .unknownAddress(peer), now: now, effects: &effects) {
            (endpoint, state, effects) throws(SendError) in
            guard state.address != nil else { throw .unknownAddress(peer) }
            var sender =
                state.streamOut
                ?? StreamSender(
                    id: endpoint.newStreamID(), capacity: endpoint.settings.maxStreamSendBuffer,
                    initialLimit: Self.streamWindow)
            state.streamOut = nil  // one owner of the send buffer while it grows
            let written = sender.write(message)
            state.streamOut = consume sender
            guard written else { throw .sendBufferFull(peer) }
            if state.current == nil {
                if state.handshake == nil { endpoint.startHandshake(&state, now: now, effects: &effects) }
            } else {
                endpoint.flush(&state, now: now, effects: &effects)
            }
        }
    }

    /// Sends a PING to `peer`; when it is acknowledged, a `.pong` effect reports the round-trip time.
    /// - Throws: `notConnected` when no session is up.
    public mutating func ping(_ peer: NodeID, now: Instant) throws(SendError) -> [EndpointEffect] {
        var effects: [EndpointEffect] = []
        try ping(peer, now: now, effects: &effects)
        return effects
    }

    /// `ping(_:now:)`, appending its effects to `effects`.
    /// - Throws: `notConnected` when no session is up, `congested` when the session tracks too many packets.
    public mutating func ping(
        _ peer: NodeID, now: Instant, effects: inout [EndpointEffect]
    ) throws(SendError) {
        try updatePeer(peer, ifUnknown: .notConnected(peer), now: now, effects: &effects) {
            (endpoint, state, effects) throws(SendError) in
            guard state.current != nil else { throw .notConnected(peer) }
            guard state.current?.sent.canTrackMore == true else { throw .congested(peer) }
            var record = PacketRecord()
            record.isPing = true
            guard endpoint.transmit([.ping], record: record, to: &state, now: now, effects: &effects) else {
                throw .notConnected(peer)
            }
        }
    }

    /// Closes every session with `peer` (telling it with CLOSE) and abandons its streams and queue.
    public mutating func close(_ peer: NodeID, now: Instant) -> [EndpointEffect] {
        var effects: [EndpointEffect] = []
        guard var state = checkOut(peer) else { return effects }
        if var session = state.take(.current) {
            if session.canSend(now: now, settings: settings), let address = state.address {
                let (packet, _) = session.seal([.close(code: 0, reason: "closed")])
                emit(packet, to: address, effects: &effects)
            }
            state.current = session
        }
        endConnection(&state, reason: .closedLocally, effects: &effects)
        if let handshake = state.handshake { indices[handshake.localIndex] = nil }
        state.handshake = nil
        state.queue.removeAll()
        store(state)
        finish(now: now, effects: &effects)
        return effects
    }

    /// Hands back a buffer the endpoint gave out — the datagram of a `.send` effect once it is sent, the message of
    /// a `.deliver` effect once it is consumed — so the next packet or message reuses its storage instead of
    /// allocating. Optional: a buffer never recycled is simply released. Recycling one that is still in use elsewhere
    /// is safe (the next writer copies it first), only wasted.
    public mutating func recycle(_ buffer: consuming [UInt8]) {
        buffers.give(buffer)
    }

    /// Handles one datagram received from `source`.
    public mutating func receive(_ datagram: [UInt8], from source: SocketAddress, now: Instant) -> [EndpointEffect] {
        var effects: [EndpointEffect] = []
        receive(datagram, from: source, now: now, effects: &effects)
        return effects
    }

    /// `receive(_:from:now:)`, appending its effects to `effects`: with an effects array the shell reuses (and the
    /// buffers it recycles), reading a data packet allocates nothing.
    public mutating func receive(
        _ datagram: [UInt8], from source: SocketAddress, now: Instant, effects: inout [EndpointEffect]
    ) {
        counters.datagramsReceived += 1
        counters.bytesReceived += datagram.count
        if datagram.first == TransportPacket.Kind.data.rawValue {
            // Data packets, the bulk of traffic, are read in place rather than decoded into a copy.
            if let (index, counter) = try? TransportPacket.dataHeader(datagram) {
                handleData(
                    receiverIndex: index, counter: counter, datagram: datagram, from: source, now: now,
                    effects: &effects)
            } else {
                count(.malformed)
            }
            finish(now: now, effects: &effects)
            return
        }
        let packet: TransportPacket
        do {
            packet = try TransportPacket.decode(datagram)
        } catch {
            count(.malformed)
            return
        }
        switch packet {
        case .initiation(let initiation):
            handleInitiation(initiation, bytes: datagram, from: source, now: now, effects: &effects)
        case .response(let response):
            handleResponse(response, bytes: datagram, from: source, now: now, effects: &effects)
        case .cookieReply(let reply):
            handleCookieReply(reply, now: now)
        case .data:
            preconditionFailure("data packets are handled before decoding")
        }
        finish(now: now, effects: &effects)
    }

    /// Runs every timer that is due at `now`.
    public mutating func timerFired(now: Instant) -> [EndpointEffect] {
        var effects: [EndpointEffect] = []
        timerFired(now: now, effects: &effects)
        return effects
    }

    /// `timerFired(now:)`, appending its effects to `effects`.
    public mutating func timerFired(now: Instant, effects: inout [EndpointEffect]) {
        cookies.rotateIfDue(now: now, random: &random)
        // Only the peers with a deadline due: each peer's deadline covers every timer `runTimers` acts on, and a
        // seed holds sessions with thousands of peers.
        for peer in peers.dueIDs(at: now) {
            guard let slot = peers.slot(of: peer) else { continue }
            withPeer(inSlot: slot) { endpoint, state in endpoint.runTimers(&state, now: now, effects: &effects) }
        }
        finish(now: now, effects: &effects)
    }

    /// The earliest instant at which `timerFired` has work, if any.
    ///
    /// Complexity: O(1), from the deadlines kept in a heap as peers are stored.
    public var nextDeadline: Instant? {
        peers.earliestDeadline
    }

    /// Stores `state` (checked out, or new) in the peer table with its deadline.
    mutating func store(_ state: consuming Peer) {
        var state = state
        let deadline = state.nextDeadline(settings: settings)
        peers.store(state, deadline: deadline)
    }

    /// Runs `body` on the peer in `slot` where it lies in the table, with the endpoint (the table's slab is lent out
    /// meanwhile, so the peer is neither copied nor moved), then records the peer's new deadline. Nil when the slot
    /// is empty. While `body` runs, the table reads as empty and must not be changed.
    @discardableResult
    mutating func withPeer<Result, Failure: Error>(
        inSlot slot: Int, _ body: (inout Endpoint, inout Peer) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        var slab = peers.lend()
        var deadline: Instant?? = nil
        defer { peers.giveBack(&slab, changed: slot, deadline: deadline) }
        // Through the element's inout access: reading it (even to compare it with nil) would copy the whole peer.
        return try Self.visit(&slab[slot], with: &self, deadline: &deadline, body)
    }

    /// `withPeer`'s work on the slot: runs `body` on its peer and records the peer's deadline in `deadline`.
    private static func visit<Result, Failure: Error>(
        _ slot: inout Peer?, with endpoint: inout Endpoint, deadline: inout Instant??,
        _ body: (inout Endpoint, inout Peer) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard slot != nil else { return nil }
        defer { deadline = .some(Self.deadline(of: &slot!, settings: endpoint.settings)) }
        return try body(&endpoint, &slot!)
    }

    /// `peer.nextDeadline`, with the peer passed in place.
    private static func deadline(of peer: inout Peer, settings: EndpointSettings) -> Instant? {
        peer.nextDeadline(settings: settings)
    }

    /// Runs `body` on `peer`'s state in place (`withPeer`); on success `finish` follows, which reads every peer's
    /// deadline.
    /// - Throws: `unknown` when the peer is not in the table, or what `body` throws.
    private mutating func updatePeer(
        _ peer: NodeID, ifUnknown unknown: SendError, now: Instant, effects: inout [EndpointEffect],
        _ body: (inout Endpoint, inout Peer, inout [EndpointEffect]) throws(SendError) -> Void
    ) throws(SendError) {
        guard let slot = peers.slot(of: peer),
            try withPeer(inSlot: slot, { (endpoint, state) throws(SendError) in try body(&endpoint, &state, &effects) })
                != nil
        else { throw unknown }
        finish(now: now, effects: &effects)
    }

    /// Refuses `peer`'s handshakes until `until` (a ban): its initiations are dropped (`blockedPeer`) once
    /// authenticated, and a session already up is left to the caller to close. When the list is full, the block that
    /// ends first makes room.
    public mutating func block(_ peer: NodeID, until: Instant) {
        if blocked.count >= Self.maxBlocked, blocked[peer] == nil,
            let soonest = blocked.min(by: { ($0.value, $0.key) < ($1.value, $1.key) })
        {
            blocked[soonest.key] = nil
        }
        blocked[peer] = until
    }

    /// Whether `peer` is blocked at `now`.
    public func isBlocked(_ peer: NodeID, now: Instant) -> Bool {
        blocked[peer].map { $0 > now } ?? false
    }

    /// Lifts a block.
    public mutating func unblock(_ peer: NodeID) {
        blocked[peer] = nil
    }

    /// Whether a session with `peer` is up.
    public func isConnected(to peer: NodeID) -> Bool { peers[peer]?.current != nil }

    /// The address of `peer` as last authenticated (or as given to `connect`).
    public func address(of peer: NodeID) -> SocketAddress? { peers[peer]?.address }

    /// What the endpoint knows about `peer`, nil if it has no state for it.
    public func status(of peer: NodeID) -> PeerStatus? {
        guard let state = peers[peer] else { return nil }
        let rtt = state.current.flatMap { session in
            session.sent.rtt.hasSample ? session.sent.rtt.smoothedRTT : nil
        }
        return PeerStatus(
            nodeID: peer, address: state.address, connectedSince: state.connectedSince, outbound: state.outbound,
            smoothedRTT: rtt, traffic: state.traffic)
    }

    /// How many peers have a session up.
    public var connectedPeers: Int { peers.peers.reduce(0) { $0 + ($1.isUp ? 1 : 0) } }

    /// How many peers the endpoint keeps state for (connected, connecting or idle).
    public var knownPeers: Int { peers.count }

    // MARK: Shared steps

    mutating func count(_ reason: DropReason) {
        drops[reason, default: 0] += 1
    }

    /// Asks the shell to send `packet` to `address`, counting it.
    mutating func emit(_ packet: [UInt8], to address: SocketAddress, effects: inout [EndpointEffect]) {
        counters.datagramsSent += 1
        counters.bytesSent += packet.count
        effects.append(.send(datagram: packet, to: address))
    }

    /// Marks `state`'s connection up (the first session after none) and reports it.
    mutating func connectionUp(
        _ state: inout Peer, address: SocketAddress, outbound: Bool, now: Instant, effects: inout [EndpointEffect]
    ) {
        state.connectedSince = now
        state.outbound = outbound
        counters.sessionsUp += 1
        effects.append(.sessionUp(peer: state.id, address: address))
    }

    /// Takes `peer`'s state out of the table for the caller to change and `store` back (inputs that are not on the
    /// packet path; those change peers in place with `withPeer`).
    mutating func checkOut(_ peer: NodeID) -> Peer? {
        peers.checkOut(peer)
    }

    /// The state of `peer`, created if needed, checked out (the caller stores it back).
    ///
    /// A full table makes room by forgetting the peer idle longest among those with no session, handshake or queued
    /// message; if every peer is busy, the new one is refused.
    mutating func takePeer(_ peer: NodeID) throws(SendError) -> Peer {
        if let existing = checkOut(peer) { return existing }
        guard let created = Peer(id: peer) else { throw .invalidPeerKey(peer) }
        if peers.count >= settings.maxPeers {
            let idle = peers.peers.filter(\.isIdle).min { ($0.lastActivity, $0.id) < ($1.lastActivity, $1.id) }
            guard let idle else { throw .tooManyPeers }
            peers.remove(idle.id)
        }
        return created
    }

    /// Appends a `wake` effect when the earliest deadline changed.
    mutating func finish(now: Instant, effects: inout [EndpointEffect]) {
        let deadline = nextDeadline
        if deadline != reportedDeadline, let deadline {
            effects.append(.wake(at: deadline))
        }
        reportedDeadline = deadline
    }

    /// Ephemeral keys made at a time (`X25519PrivateKey.batch`): made together, with libsodium's base-point table
    /// in cache and one shared field inversion, they cost a handshake's side about a tenth less than one at a time
    /// (`Tools/bench-transport.sh`). Eight keep the up-front cost of a batch near 0.2 ms.
    static let ephemeralBatch = 8

    /// A fresh ephemeral key for one handshake, never used before: the next of a batch drawn from `random`. (The
    /// keys waiting in the batch were never used, so holding them costs no forward secrecy.)
    mutating func newEphemeral() -> X25519PrivateKey {
        if ephemeralKeys.isEmpty {
            ephemeralKeys = X25519PrivateKey.batch(count: Self.ephemeralBatch, using: &random)
            ephemeralKeys.reverse()  // taken from the end, in the order drawn
        }
        return ephemeralKeys.removeLast()
    }

    /// A fresh index not in use.
    mutating func newIndex() -> UInt32 {
        while true {
            let candidate = UInt32(truncatingIfNeeded: generator.next())
            if candidate != 0 && indices[candidate] == nil { return candidate }
        }
    }

    mutating func dropSessions(_ state: inout Peer) {
        for slot in SessionSlot.allCases { retire(slot, of: &state) }
    }

    /// Removes the session in `slot`: its index is forgotten, and what its unacknowledged packets carried goes out
    /// again on the next session.
    mutating func retire(_ slot: SessionSlot, of state: inout Peer) {
        guard var session = state.take(slot) else { return }
        indices[session.localIndex] = nil
        let abandoned = session.sent.abandonAll()
        state.congestion.onPacketsDiscarded(abandoned)
        for packet in abandoned { lost(packet.payload, state: &state) }
    }

    /// A stream generation id, never zero.
    mutating func newStreamID() -> UInt32 {
        while true {
            let candidate = UInt32(truncatingIfNeeded: generator.next())
            if candidate != 0 { return candidate }
        }
    }
}

public import MeshCore
public import MeshCrypto
public import MeshMembership
public import MeshNode
public import MeshTransport

/// A node running for real: the `NodeCore` (transport and membership) on one event loop, with a UDP socket per
/// address family and one timer (DESIGN.md, "pure cores, thin shells"). It feeds the core datagrams and timer
/// firings with the loop's clock and carries out its effects in order; it decides no protocol question itself.
///
/// Secrets come from `SystemRandom`, and so do the seeds of the cores' protocol-choice generators: a host cannot be
/// made to run on a seeded source (the simulator is where runs replay).
///
/// The thread that calls `run()` owns the host; every method is for that thread.
public final class NodeHost {
    /// The event loop; shells add their signal watchers to it and close them before `shutdown()`.
    public let loop: EventLoop
    /// This node's id.
    public let nodeID: NodeID
    /// Receives the node's events on the loop thread, in order.
    public var onEvent: ((NodeEvent) -> Void)?

    /// The bound addresses, with the ports the kernel chose where port 0 was asked for.
    public var localAddresses: [SocketAddress] { sockets.map(\.localAddress) }
    /// The active view: the neighbours this node keeps sessions with.
    public var neighbors: [NodeID] { core.membership.active.map(\.nodeID) }
    /// The passive view's size.
    public var knownPeers: Int { core.membership.passive.count }
    /// Datagrams the transport dropped, by reason.
    public var endpointDrops: [DropReason: Int] { core.endpoint.drops }

    private var core: NodeCore
    private var sockets: [UDPSocket]
    private var timer: LoopTimer?
    /// Where known peers and bans are kept across restarts, if anywhere; saved every `storeInterval` and at
    /// `shutdown()`.
    private let store: PeerStore?
    private var storeTimer: LoopTimer?
    /// Effects of restoring stored bans in `init`, carried out by `start()`.
    private var restoredEffects: [NodeEffect] = []
    /// How often the peer store is written while the node runs (a crash loses at most this much).
    public static let storeInterval = Duration.seconds(30)
    /// When the peer store is first written after the start.
    public static let firstStoreDelay = Duration.seconds(5)
    /// The last failure to write the peer store, for the shell to report; nil while writes succeed.
    public private(set) var storeError: SQLiteError?
    private var state = HandleState.open

    /// Binds one socket per address, and makes the node's core: its peer record lists the bound addresses (so bind
    /// concrete addresses, not wildcards, until address discovery exists) with `seq` = the current time in
    /// nanoseconds, so a restarted node's record replaces its old one.
    ///
    /// - Throws: `RuntimeError.bindFailed` if an address cannot be bound, `RuntimeError.libuv` if libuv cannot set
    ///   up the loop, a socket or the timer. Nothing is left open when it throws.
    public init(
        identity: Ed25519PrivateKey, addresses: [SocketAddress], seeds: [PeerContact],
        settings: EndpointSettings = EndpointSettings(), membership: MembershipSettings = MembershipSettings(),
        roles: PeerRecord.Roles = [], store: PeerStore? = nil,
        socketSettings: UDPSocket.Settings = UDPSocket.Settings()
    ) throws(RuntimeError) {
        self.store = store
        precondition((1...2).contains(addresses.count), "a node listens on one or two addresses, not \(addresses)")
        let loop = try EventLoop()
        var sockets: [UDPSocket] = []
        do throws(RuntimeError) {
            for address in addresses {
                sockets.append(try UDPSocket(loop: loop, address: address, settings: socketSettings))
            }
        } catch {
            for socket in sockets { socket.close() }
            try? loop.close()
            throw error
        }
        self.loop = loop
        self.sockets = sockets
        nodeID = identity.nodeID
        let now = loop.now
        var random = SystemRandom()
        let endpoint = Endpoint(identity: identity, settings: settings, random: random, seed: random.next(), now: now)
        let record = PeerRecord(
            key: identity, seq: UInt64(max(now.nanosecondsSinceEpoch, 1)), issuedAt: now, roles: roles,
            addresses: sockets.map(\.localAddress))
        let membershipCore = Membership(
            selfRecord: record, seeds: seeds, settings: membership, seed: random.next(), now: now)
        core = NodeCore(endpoint: endpoint, membership: membershipCore)
        if let store {
            let stored = (try? store.load().records) ?? []
            core.remember(stored)
            // Their effects (closes, the next wake) are carried out by `start()`, once the timer exists: dropping
            // them would leave the core believing a wake was requested that never was.
            for (peer, until) in (try? store.loadBans(now: now)) ?? [:] {
                restoredEffects += core.ban(peer, until: until, now: now)
            }
        }
        do throws(RuntimeError) {
            timer = try LoopTimer(loop: loop) { [unowned self] in
                self.carryOut(self.core.timerFired(now: self.loop.now))
            }
            if store != nil {
                storeTimer = try LoopTimer(loop: loop) { [unowned self] in
                    self.savePeers()
                    self.storeTimer?.arm(at: self.loop.now + Self.storeInterval)
                }
                // The first write comes soon, once the views have formed, so that a node killed early still finds
                // its peers on restart; then every `storeInterval`.
                storeTimer?.arm(at: now + Self.firstStoreDelay)
            }
            for socket in sockets {
                try socket.startReceiving { [unowned self] bytes, source in
                    self.carryOut(self.core.receive(Array(bytes), from: source, now: self.loop.now))
                }
            }
        } catch {
            for socket in sockets { socket.close() }
            timer?.close()
            storeTimer?.close()
            try? loop.close()
            state = .closed
            throw error
        }
    }

    /// Joins the overlay through the seeds. Call once, before `run()`.
    public func start() {
        carryOut(restoredEffects)
        restoredEffects = []
        carryOut(core.start(now: loop.now))
    }

    /// Bans `peer` for `duration` (`NodeCore.ban`).
    public func ban(_ peer: NodeID, for duration: Duration) {
        let now = loop.now
        carryOut(core.ban(peer, until: now + duration, now: now))
    }

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        precondition(state == .open, "run() on a node host that is \(state)")
        loop.run()
        for socket in sockets { socket.flush() }
    }

    /// Makes `run()` return after the current loop iteration.
    public func stop() {
        loop.stop()
    }

    /// Closes the sockets and the timer, then the loop. Call it after `run()` returned.
    /// - Throws: `RuntimeError.handlesStillOpen` if a handle someone else added to `loop` is still open.
    public func shutdown() throws(RuntimeError) {
        switch state {
        case .closed:
            return
        case .open:
            state = .closing
            savePeers()
            for socket in sockets { socket.close() }
            timer?.close()
            timer = nil
            storeTimer?.close()
            storeTimer = nil
            onEvent = nil
        case .closing:
            break
        }
        try loop.close()
        state = .closed
    }

    /// Writes the known peers and the bans to the store (a failure is kept in `storeError`; the node runs on).
    private func savePeers() {
        guard let store else { return }
        do {
            try store.save(core.membership.knownRecords, seenAt: loop.now)
            try store.saveBans(core.membership.bans)
            storeError = nil
        } catch {
            storeError = error
        }
    }

    private func carryOut(_ effects: [NodeEffect]) {
        for effect in effects {
            switch effect {
            case .send(let datagram, let address):
                guard let socket = sockets.first(where: { $0.localAddress.addressFamily == address.addressFamily })
                else { continue }
                _ = datagram.withUnsafeBytes { socket.send($0, to: address) }
            case .wake(let at):
                timer?.arm(at: at)
            case .event(let event):
                onEvent?(event)
            }
        }
    }
}

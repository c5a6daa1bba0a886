public import MeshCore
public import MeshCrypto
public import MeshTransport

/// The transport running for real: one event loop, a UDP socket per address family, one timer, and the sans-IO
/// `Endpoint` they drive (DESIGN.md, "pure cores, thin shells").
///
/// The host feeds the endpoint every received datagram and every timer firing, each with the loop's clock, and
/// carries out the effects it returns in the order it returned them: datagrams go to the socket of the destination's
/// address family, `wake` re-arms the timer, and sessions, messages and pongs reach `onEvent`. It decides no protocol
/// question itself.
///
/// The endpoint's secrets (ephemeral keys, cookie secrets) come from `SystemRandom`, the operating system's CSPRNG,
/// and even the seed of its protocol-choice generator is drawn from it: a host cannot be made to run on a seeded
/// source. The simulator, not the runtime, is where runs replay from a seed.
///
/// The thread that calls `run()` owns the host; every method is for that thread (or for the time before `run()` on
/// the thread that made it). The one thread-safe entry is `loop.remote`. Until `shutdown()`, the loop's handles keep
/// the host alive.
public final class TransportHost {
    /// The event loop the host runs on. Shells add their own timers and signal watchers to it, and close them before
    /// `shutdown()`.
    public let loop: EventLoop
    /// This node's identity.
    public let nodeID: NodeID
    /// Receives sessions, messages and pongs on the loop thread, in the order the endpoint reported them.
    ///
    /// The handler may call back into the host (send, ping, close, stop): the effects of such a call are carried out
    /// after those of the input being handled, so that they keep the order in which the endpoint produced them.
    public var onEvent: ((Event) -> Void)?

    /// Peers with a session up, sorted.
    public var connectedPeers: [NodeID] { connected.sorted() }
    /// The bound addresses, with the ports the kernel chose where port 0 was asked for.
    public var localAddresses: [SocketAddress] { sockets.map(\.localAddress) }
    /// What each socket has received, sent and dropped, in the order of `localAddresses`.
    public var socketCounters: [UDPSocket.Counters] { sockets.map(\.counters) }
    /// What the sockets together have received, sent and dropped: `socketCounters` summed field by field, for a
    /// shell that measures the host as a whole rather than one address family.
    public var totalSocketCounters: UDPSocket.Counters {
        sockets.reduce(into: UDPSocket.Counters()) { $0.add($1.counters) }
    }
    /// Datagrams received that the endpoint did not act on, by reason.
    public var endpointDrops: [DropReason: Int] { endpoint.drops }
    /// Datagrams the endpoint asked to send that did not leave, by reason: those to an address family the host has
    /// no socket for, and those its sockets dropped (refused, no room in the pending-send queue, failed, cancelled by
    /// `shutdown()`).
    public var unsent: [UnsentReason: UInt64] {
        var unsent: [UnsentReason: UInt64] = [:]
        if unsentForLackOfSocket > 0 { unsent[.noSocketForFamily] = unsentForLackOfSocket }
        let counters = totalSocketCounters
        for reason in UDPSocket.DropReason.allCases where reason.isOutgoing && counters[dropped: reason] > 0 {
            unsent[.socket(reason)] = counters[dropped: reason]
        }
        return unsent
    }
    /// The `now` the endpoint was given with the input being handled, a received datagram or the timer firing; before
    /// the first input, the time the host was made.
    ///
    /// An event handler timestamps what it is told with it rather than reading the clock again, so that its times
    /// agree with the endpoint's: a message arrived at `inputTime`, and the pong answering a ping has
    /// `inputTime - rtt` equal to the instant `ping(_:)` returned.
    public private(set) var inputTime: Instant

    /// The protocol core. The host's inputs run it with `inputEffects` and `receiveBuffer`, and give the packet and
    /// message buffers of its effects back (`Endpoint.recycle`), so a packet costs no allocation here either.
    var endpoint: Endpoint
    /// The effects array each input appends to, kept between inputs for its capacity.
    var inputEffects: [EndpointEffect] = []
    /// The received datagram handed to the endpoint, kept between datagrams for its capacity.
    var receiveBuffer: [UInt8] = []
    var sockets: [UDPSocket]
    /// Armed at the endpoint's deadline. Nil only until `init` made it (its callback needs `self`) and after
    /// `shutdown()`.
    var timer: LoopTimer?
    var connected: Set<NodeID> = []
    /// Datagrams to an address family the host has no socket for.
    var unsentForLackOfSocket: UInt64 = 0
    /// Whether `run()` is running the loop: then the sockets send their batches before the loop waits for I/O;
    /// otherwise a command's datagrams are sent before it returns.
    var isRunning = false
    /// Effects waiting to be carried out; `isCarryingOut` marks that a drain is under way further up the stack.
    var pendingEffects: [EndpointEffect] = []
    var isCarryingOut = false
    var state = HandleState.open

    /// Sets up a loop, binds one socket per address in `addresses` and starts receiving.
    ///
    /// - Parameters:
    ///   - identity: the node's key.
    ///   - addresses: one or two addresses, at most one per address family (port 0 for an ephemeral port).
    ///   - settings: the endpoint's timers, limits and network id.
    ///   - socketSettings: buffer and queue sizes of each socket.
    /// - Throws: `RuntimeError.bindFailed` if an address cannot be bound, `RuntimeError.libuv` if libuv cannot set
    ///   up the loop, a socket or the timer. Nothing is left open when it throws.
    public init(
        identity: Ed25519PrivateKey, addresses: [SocketAddress], settings: EndpointSettings = EndpointSettings(),
        socketSettings: UDPSocket.Settings = UDPSocket.Settings()
    ) throws(RuntimeError) {
        precondition((1...2).contains(addresses.count), "a host listens on one or two addresses, not \(addresses)")
        precondition(
            Set(addresses.map(\.addressFamily)).count == addresses.count,
            "a host listens on at most one address per family, not \(addresses)")
        let loop = try EventLoop()
        var sockets: [UDPSocket] = []
        do throws(RuntimeError) {
            for address in addresses {
                sockets.append(try UDPSocket(loop: loop, address: address, settings: socketSettings))
            }
        } catch {
            Self.release(loop: loop, sockets: sockets, timer: nil)
            throw error
        }
        self.loop = loop
        self.sockets = sockets
        nodeID = identity.nodeID
        let now = loop.now
        inputTime = now
        var random = SystemRandom()
        let seed = random.next()
        endpoint = Endpoint(identity: identity, settings: settings, random: random, seed: seed, now: now)
        do throws(RuntimeError) {
            timer = try LoopTimer(loop: loop) { self.timerFired() }
            for socket in sockets {
                try socket.startReceiving { bytes, source in self.received(bytes, from: source) }
            }
        } catch {
            Self.release(loop: loop, sockets: sockets, timer: timer)
            state = .closed
            throw error
        }
    }

    /// Closes what a failed `init` had opened.
    private static func release(loop: EventLoop, sockets: [UDPSocket], timer: LoopTimer?) {
        for socket in sockets { socket.close() }
        timer?.close()
        // Every handle on the loop is closing now, so closing the loop cannot find one open.
        try? loop.close()
    }

    // MARK: Commands (loop thread)

    /// Records `address` for `peer` and starts a handshake unless a session is up or one is under way.
    ///
    /// - Throws: `Endpoint.SendError` if the id is not a valid key or the peer table is full.
    public func connect(to peer: NodeID, at address: SocketAddress) throws(Endpoint.SendError) {
        precondition(state == .open, "connect(to:at:) on a transport host that is \(state)")
        try handle { (endpoint, effects) throws(Endpoint.SendError) in
            try endpoint.connect(to: peer, at: address, now: loop.now, effects: &effects)
        }
    }

    /// Sends `message` to `peer` as one datagram, after the handshake if no session is up yet.
    ///
    /// - Throws: `Endpoint.SendError` if the message is too large or no address is known for the peer.
    public func send(_ message: [UInt8], to peer: NodeID) throws(Endpoint.SendError) {
        precondition(state == .open, "send(_:to:) on a transport host that is \(state)")
        try handle { (endpoint, effects) throws(Endpoint.SendError) in
            try endpoint.send(message, to: peer, now: loop.now, effects: &effects)
        }
    }

    /// Sends `message` on the reliable stream to `peer`, which delivers it once and in order (`Endpoint.sendReliable`).
    ///
    /// - Throws: `Endpoint.SendError` if the message is too large, no address is known for the peer, or
    ///   `.sendBufferFull` while the stream holds its limit of unacknowledged bytes (try again after acknowledgements).
    public func sendReliable(_ message: [UInt8], to peer: NodeID) throws(Endpoint.SendError) {
        precondition(state == .open, "sendReliable(_:to:) on a transport host that is \(state)")
        try handle { (endpoint, effects) throws(Endpoint.SendError) in
            try endpoint.sendReliable(message, to: peer, now: loop.now, effects: &effects)
        }
    }

    /// Sends a PING to `peer`; `onEvent` gets `.pong` with the round-trip time when the peer acknowledges it.
    ///
    /// - Returns: the instant the ping was sent at, which names it: the pong that answers it arrives with
    ///   `inputTime - rtt` equal to this instant.
    /// - Throws: `Endpoint.SendError` if the ping cannot be sent (see `Endpoint.ping`), e.g. `.congested` while the
    ///   session tracks as many unacknowledged packets as it can.
    public func ping(_ peer: NodeID) throws(Endpoint.SendError) -> Instant {
        precondition(state == .open, "ping(_:) on a transport host that is \(state)")
        let now = loop.now
        carryOut(try endpoint.ping(peer, now: now))
        return now
    }

    /// Closes every session with `peer`, telling it with CLOSE, and drops the messages queued for it.
    public func close(_ peer: NodeID) {
        precondition(state == .open, "close(_:) on a transport host that is \(state)")
        carryOut(endpoint.close(peer, now: loop.now))
    }

    /// Closes every session that is up, telling each peer: the graceful part of a shutdown.
    public func closeAllSessions() {
        for peer in connectedPeers { close(peer) }
    }

    // MARK: Life cycle

    /// Runs the loop on the calling thread until `stop()` (or `loop.remote.requestStop()` from another thread).
    ///
    /// While it runs, the datagrams that the inputs and commands of one loop iteration produce leave together before
    /// the loop next waits for I/O (`UDPSocket.send`); when it returns, none is left waiting.
    public func run() {
        precondition(state == .open, "run() on a transport host that is \(state)")
        isRunning = true
        loop.run()
        isRunning = false
        // A stop requested from an I/O callback ends the loop before its next flush: send what that iteration left.
        for socket in sockets { socket.flush() }
    }

    /// Makes `run()` return after the current loop iteration. Loop thread only.
    public func stop() {
        loop.stop()
    }

    /// Closes the sockets and the timer, then the loop. Call it after `run()` returned; calling it again does
    /// nothing.
    ///
    /// Datagrams still waiting in a socket's send queue are cancelled (`UDPSocket.DropReason.cancelledAtClose`).
    ///
    /// - Throws: `RuntimeError.handlesStillOpen` if a timer or watcher someone else added to `loop` is still open;
    ///   the host's own handles are closed by then, and another call retries closing the loop.
    public func shutdown() throws(RuntimeError) {
        switch state {
        case .closed:
            return
        case .open:
            state = .closing
            for socket in sockets { socket.close() }
            timer?.close()
            timer = nil
            onEvent = nil
        case .closing:
            break
        }
        try loop.close()
        state = .closed
    }

    // MARK: Inputs

    private func received(_ bytes: UnsafeRawBufferPointer, from source: SocketAddress) {
        inputTime = loop.now
        var datagram = receiveBuffer
        receiveBuffer = []
        datagram.removeAll(keepingCapacity: true)
        datagram.append(contentsOf: bytes)
        let now = inputTime
        handle { endpoint, effects in endpoint.receive(datagram, from: source, now: now, effects: &effects) }
        receiveBuffer = datagram
    }

    private func timerFired() {
        inputTime = loop.now
        let now = inputTime
        handle { endpoint, effects in endpoint.timerFired(now: now, effects: &effects) }
    }

    /// Runs one input on the endpoint with the reused effects array, then carries the effects out. (An input made
    /// by an event handler while effects are carried out gets an array of its own, which only costs its allocation.)
    private func handle<Failure: Error>(
        _ input: (inout Endpoint, inout [EndpointEffect]) throws(Failure) -> Void
    ) throws(Failure) {
        var effects = inputEffects
        inputEffects = []
        effects.removeAll(keepingCapacity: true)
        defer {
            effects.removeAll(keepingCapacity: true)
            if effects.capacity > inputEffects.capacity { inputEffects = effects }
        }
        try input(&endpoint, &effects)
        carryOut(&effects)
    }
}

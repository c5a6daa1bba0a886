import Glibc
import Logging
public import MeshControl
public import MeshCore
public import MeshCrypto
public import MeshIndicators
public import MeshMembership
public import MeshNode
public import MeshSignals
public import MeshTransport

/// A price feed replayed into a node: every `interval`, the next bar of each symbol (its strategies run over them),
/// until the bars run out.
public struct FeedReplay: Sendable {
    /// Each symbol's bars, oldest first.
    public var bars: [String: [TimeBar]]
    /// Their timeframe, nil when unknown.
    public var timeframe: Timeframe?
    /// The time between two bars.
    public var interval: Duration

    /// A replay of `bars` (of `timeframe`), one bar of each symbol every `interval`.
    public init(bars: [String: [TimeBar]], timeframe: Timeframe?, interval: Duration) {
        self.bars = bars
        self.timeframe = timeframe
        self.interval = interval
    }
}

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
    /// Called on the loop thread when a control client asked the node to stop (`node.stop`); without it the host
    /// stops the loop itself.
    public var onStopRequest: (() -> Void)?

    /// Where the control socket listens and what it tells clients about the node.
    public struct ControlOptions: Sendable {
        /// The socket's path (`<datadir>/control.sock`).
        public var path: String
        /// The node software's version.
        public var version: String
        /// The network name.
        public var network: String
        /// The data directory, if any.
        public var dataDirectory: String?
        /// Whether the node runs the seed profile.
        public var seedProfile: Bool
        /// The control server's limits.
        public var settings = ControlServerSettings()

        /// Options from their parts.
        public init(path: String, version: String, network: String, dataDirectory: String?, seedProfile: Bool) {
            self.path = path
            self.version = version
            self.network = network
            self.dataDirectory = dataDirectory
            self.seedProfile = seedProfile
        }
    }

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
    /// The control socket's protocol core, its libuv shell and its poll timer; nil without a control socket.
    private var control: ControlServer?
    private var controlSocket: ControlSocket?
    private var controlTimer: LoopTimer?
    private var hostInfo: NodeHostInfo?
    /// The price feed replayed into the core, how far it has got, and its timer; nil without a feed.
    private let feed: FeedReplay?
    private var feedPosition = 0
    private var feedTimer: LoopTimer?
    /// The live NDJSON feed's reader thread, line counter and name (`startLineFeed`); nil without one.
    private var lineFeed: (thread: LineReaderThread, reader: Feed.LineReader, name: String)?
    /// The structured log, if the node keeps one.
    private let log: NodeLog?
    /// This boot's id: random, so a client can tell a restarted node's event ids from the last boot's.
    public let bootID: String

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
        socketSettings: UDPSocket.Settings = UDPSocket.Settings(), control controlOptions: ControlOptions? = nil,
        exchangeLimit: SourceRateLimiter.Settings? = nil, log: NodeLog? = nil,
        signals: SignalEngine = try! SignalEngine(), feed: FeedReplay? = nil, liveFeed: LiveFeed? = nil,
        subscriptions: [String] = []
    ) throws(NodeHostError) {
        self.store = store
        self.log = log
        self.feed = feed
        precondition((1...2).contains(addresses.count), "a node listens on one or two addresses, not \(addresses)")
        let loop: EventLoop
        do { loop = try EventLoop() } catch { throw .runtime(error) }
        var sockets: [UDPSocket] = []
        do throws(RuntimeError) {
            for address in addresses {
                sockets.append(try UDPSocket(loop: loop, address: address, settings: socketSettings))
            }
        } catch {
            for socket in sockets { socket.close() }
            try? loop.close()
            throw .runtime(error)
        }
        self.loop = loop
        self.sockets = sockets
        nodeID = identity.nodeID
        let now = loop.now
        var random = SystemRandom()
        bootID = (0..<16).map { _ in String(UInt8(truncatingIfNeeded: random.next()), radix: 16) }
            .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        let endpoint = Endpoint(identity: identity, settings: settings, random: random, seed: random.next(), now: now)
        let record = PeerRecord(
            key: identity, seq: UInt64(max(now.nanosecondsSinceEpoch, 1)), issuedAt: now, roles: roles,
            addresses: sockets.map(\.localAddress))
        let membershipCore = Membership(
            selfRecord: record, seeds: seeds, settings: membership, seed: random.next(), now: now)
        core = NodeCore(
            endpoint: endpoint, membership: membershipCore, exchangeLimit: exchangeLimit, signals: signals,
            signingKey: identity, subscriptions: subscriptions, liveFeed: liveFeed, now: now)
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
                    self.log?.flushRepeats()
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
            if feed != nil {
                feedTimer = try LoopTimer(loop: loop) { [unowned self] in self.replayNextBars() }
            }
            if controlOptions != nil {
                controlTimer = try LoopTimer(loop: loop) { [unowned self] in
                    self.carryOutControl { server, now in server.timerFired(now: now) }
                }
            }
        } catch {
            closeHandles()
            try? loop.close()
            state = .closed
            throw .runtime(error)
        }
        if let controlOptions {
            do {
                try openControl(controlOptions, now: now)
            } catch {
                closeHandles()
                try? loop.close()
                state = .closed
                throw .control(error)
            }
        }
    }

    private func openControl(_ options: ControlOptions, now: Instant) throws(ControlSocketError) {
        let socket = try ControlSocket(loop: loop, path: options.path)
        controlSocket = socket
        control = ControlServer(bootID: bootID, settings: options.settings)
        hostInfo = NodeHostInfo(
            version: options.version, network: options.network, bootID: bootID, startedAt: now,
            processID: Int64(getpid()), dataDirectory: options.dataDirectory, addresses: localAddresses,
            seedProfile: options.seedProfile)
        socket.onAccept = { [unowned self] id in
            self.carryOutControl { server, _ in server.accepted(id) }
        }
        socket.onData = { [unowned self] id, bytes in self.controlReceived(bytes, from: id) }
        socket.onWritten = { [unowned self] id, count in
            self.carryOutControl { server, _ in server.wrote(count, to: id) }
        }
        socket.onClosed = { [unowned self] id in self.control?.closed(id) }
        socket.onInputEnded = { [unowned self] id in
            self.carryOutControl { server, _ in server.inputEnded(id) }
        }
        socket.onRefused = { [unowned self] uid in
            self.log?.logger("control").warning(
                "refused a connection from another user", metadata: ["uid": "\(uid.map(String.init) ?? "unknown")"])
        }
    }

    /// Closes every handle the host made (for a failed `init` and for `shutdown`).
    private func closeHandles() {
        for socket in sockets { socket.close() }
        timer?.close()
        timer = nil
        storeTimer?.close()
        storeTimer = nil
        controlTimer?.close()
        controlTimer = nil
        feedTimer?.close()
        feedTimer = nil
        lineFeed?.thread.stop()
        lineFeed = nil
        loop.onWakeUp = nil
    }

    /// Gives the core the next bar of each symbol of the feed, and arms the feed's timer for the next ones while any
    /// are left.
    private func replayNextBars() {
        guard let feed else { return }
        let now = loop.now
        var left = false
        for symbol in feed.bars.keys.sorted() {
            guard let bars = feed.bars[symbol], feedPosition < bars.count else { continue }
            carryOut(core.feed(symbol: symbol, bar: bars[feedPosition], timeframe: feed.timeframe, now: now))
            left = left || feedPosition + 1 < bars.count
        }
        feedPosition += 1
        if left {
            feedTimer?.arm(at: now + feed.interval)
        } else {
            log?.logger("signals").notice("feed ended", metadata: ["bars": "\(feedPosition)"])
            record(type: "feed.ended", data: ["bars": .integer(feedPosition)])
        }
    }

    /// Reads a live NDJSON feed (ticks or bars, `Specs/indicators.md` section 7) from `descriptor` — stdin, a file or
    /// a named pipe, left open — on a thread of its own; each line goes to the core as it arrives, a line it refuses
    /// is logged with its number and skipped, and the end of the input closes the bars still forming. `name` names
    /// the input in logs and events. Call before `run()`.
    /// - Throws: `NodeHostError.runtime` when the thread cannot be made.
    public func startLineFeed(descriptor: Int32, name: String) throws(NodeHostError) {
        precondition(lineFeed == nil, "one live feed per node")
        let remote = loop.remote
        let thread = LineReaderThread(descriptor: descriptor, maxLineBytes: Feed.maxLineBytes) { remote.wakeUp() }
        lineFeed = (thread, Feed.LineReader(), name)
        loop.onWakeUp = { [unowned self] in self.drainLineFeed() }
        do { try thread.start() } catch {
            lineFeed = nil
            throw .runtime(error)
        }
        log?.logger("signals").info("reading a live feed", metadata: ["source": "\(name)"])
    }

    /// Gives the core the lines the feed's thread has read; at the end of the input, ends the feed.
    private func drainLineFeed() {
        guard var feed = lineFeed else { return }
        let (items, ended, failure) = feed.thread.take()
        let now = loop.now
        var effects: [NodeEffect] = []
        for item in items {
            do throws(Feed.Problem) {
                switch item {
                case .line(let bytes):
                    effects += try core.ingest(
                        line: Substring(String(decoding: bytes, as: UTF8.self)), reader: &feed.reader, now: now)
                case .tooLong(let bytes):
                    let problem = feed.reader.skipLine(
                        reason: "\(bytes) bytes, longer than \(Feed.maxLineBytes): skipped")
                    core.refuseFeedLine(problem)
                    throw problem
                }
            } catch {
                log?.logger("signals").warning(
                    "feed line refused",
                    metadata: ["source": "\(feed.name)", "line": "\(error.line)", "reason": "\(error.reason)"])
            }
        }
        lineFeed = feed
        carryOut(effects)
        guard ended else { return }
        carryOut(core.endFeed(now: now))
        lineFeed = nil
        var metadata: Logger.Metadata = ["source": "\(feed.name)", "lines": "\(feed.reader.line)"]
        var data: [String: JSONValue] = ["source": .string(feed.name), "lines": .integer(feed.reader.line)]
        if let failure {
            metadata["error"] = "\(failure)"
            data["error"] = .string(failure)
        }
        log?.logger("signals").notice("feed ended", metadata: metadata)
        record(type: "feed.ended", data: .object(data))
    }

    /// Joins the overlay through the seeds. Call once, before `run()`.
    public func start() {
        log?.logger("node").info(
            "started",
            metadata: [
                "node_id": "\(nodeID.text)", "addresses": "\(localAddresses.map(\.description).joined(separator: " "))",
                "boot_id": "\(bootID)",
            ])
        record(
            type: "node.started",
            data: [
                "node_id": .string(nodeID.text), "addresses": .array(localAddresses.map { .string($0.description) }),
            ])
        carryOut(restoredEffects)
        restoredEffects = []
        carryOut(core.start(now: loop.now))
        if let feed { feedTimer?.arm(at: loop.now + feed.interval) }
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
            record(type: "node.stopping", data: [:])
            log?.logger("node").info("stopping")
            log?.flushRepeats(force: true)
            savePeers()
            closeHandles()
            onEvent = nil
            // Control clients get what was written to them (the answer to `node.stop`, the last events) before
            // their connections close, and the socket file goes.
            controlSocket?.drain()
            controlSocket = nil
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
            log?.logger("store").error(
                "the peer store could not be written", metadata: ["error": "\(error.description)"])
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
                record(type: event.controlType, data: event.controlData)
                logEvent(event)
            }
        }
    }

    // MARK: Control socket

    /// Writes `event` to the log under its category.
    private func logEvent(_ event: NodeEvent) {
        guard let log else { return }
        let category: String
        let level: Logger.Level
        switch event {
        case .neighborUp, .neighborDown: (category, level) = ("membership", .info)
        case .sessionUp, .sessionDown: (category, level) = ("transport", .debug)
        case .malformedMessage: (category, level) = ("membership", .warning)
        case .banned, .unbanned: (category, level) = ("node", .notice)
        case .signal: (category, level) = ("signals", .notice)
        case .signalReceived: (category, level) = ("signals", .info)
        }
        var metadata: Logger.Metadata = [:]
        if case .object(let members) = event.controlData {
            for (key, value) in members {
                if case .string(let text) = value {
                    metadata[key] = .string(text)
                } else {
                    metadata[key] = .string(String(decoding: value.encoded, as: UTF8.self))
                }
            }
        }
        log.logger(category).log(level: level, "\(event.controlType)", metadata: metadata)
    }

    /// Appends an event to the control socket's stream.
    private func record(type: String, data: JSONValue) {
        carryOutControl { server, now in server.record(type: type, data: data, now: now) }
    }

    /// Runs `body` on the control server and carries out its effects.
    private func carryOutControl(_ body: (inout ControlServer, Instant) -> [ControlEffect]) {
        guard control != nil else { return }
        let effects = body(&control!, loop.now)
        for effect in effects {
            switch effect {
            case .write(let id, let bytes): controlSocket?.write(bytes, to: id)
            case .close(let id, _): controlSocket?.close(id)
            case .drop(let id, let reason):
                log?.logger("control").warning(
                    "dropped a client", metadata: ["connection": "\(id)", "reason": "\(reason)"])
                controlSocket?.abort(id)
            case .wake(let at): controlTimer?.arm(at: at)
            }
        }
    }

    /// Handles bytes from a control client: requests outside `events.*` act on the core; their effects are carried
    /// out after the server is done with the bytes.
    private func controlReceived(_ bytes: UnsafeRawBufferPointer, from id: ControlConnectionID) {
        guard var info = hostInfo, let status = control.map(NodeMetrics.ControlStatus.init) else { return }
        info.storeError = storeError?.description
        var nodeEffects: [NodeEffect] = []
        var stop = false
        carryOutControl { server, now in
            server.received(bytes, from: id, now: now) { request in
                if request.method == "node.log_level" { return self.setLogLevel(request) }
                let outcome = NodeMethods.call(request, core: &self.core, host: info, now: now) { core in
                    self.metricsText(core: core, info: info, control: status, now: now)
                }
                nodeEffects += outcome.effects
                stop = stop || outcome.stop
                return outcome.result
            }
        }
        carryOut(nodeEffects)
        if stop {
            if let onStopRequest { onStopRequest() } else { self.stop() }
        }
    }

    /// `node.log_level {level, category?}`: changes the log's level while the node runs; answers the levels.
    private func setLogLevel(_ request: RPCRequest) -> Result<JSONValue, RPCError> {
        guard let log else { return .failure(.refused("this node keeps no log")) }
        do throws(RPCError) {
            let params = try Params(request, allowed: ["level", "category"])
            if let text = try params.string("level", maxLength: 16) {
                guard let level = Logger.Level(rawValue: text) else {
                    throw .invalidParams(
                        "\"level\" must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let category = try params.string("category", maxLength: 32)
                if let category, !NodeLog.categories.contains(category) {
                    throw .invalidParams(
                        "\"category\" must be one of \(NodeLog.categories.joined(separator: ", ")), or absent for all")
                }
                log.setLevel(level, for: category)
                log.logger("node").notice(
                    "log level changed", metadata: ["new_level": "\(text)", "for_category": "\(category ?? "all")"])
            } else if params["category"] != nil {
                throw .invalidParams("\"category\" needs \"level\"")
            }
            var levels: [String: JSONValue] = [:]
            for category in NodeLog.categories { levels[category] = .string(log.level(of: category).rawValue) }
            return .success(["levels": .object(levels), "path": .string(log.path)])
        } catch {
            return .failure(error)
        }
    }

    /// The metrics text: the cores' counts, the control server's, and the UDP sockets'.
    private func metricsText(
        core: NodeCore, info: NodeHostInfo, control: NodeMetrics.ControlStatus, now: Instant
    ) -> String {
        var socketCounts = UDPSocket.Counters()
        for socket in sockets { socketCounts.add(socket.counters) }
        let extra = [
            NodeMetrics.Family(
                name: "signalmesh_udp_socket_drops_total", type: "counter",
                help: "Datagrams the UDP sockets dropped, by reason.",
                samples: UDPSocket.DropReason.allCases.map {
                    ([("reason", $0.description)], Double(socketCounts[dropped: $0]))
                }),
            NodeMetrics.Family(
                name: "signalmesh_udp_socket_receive_errors_total", type: "counter",
                help: "Receive calls the kernel failed.", samples: [([], Double(socketCounts.receiveErrors))]),
            NodeMetrics.Family(
                name: "signalmesh_control_credentials_refused_total", type: "counter",
                help: "Control connections refused because another user's process opened them.",
                samples: [([], Double(controlSocket?.refusedCredentials ?? 0))]),
            NodeMetrics.Family(
                name: "signalmesh_peer_store_failing", type: "gauge",
                help: "1 while the peer store cannot be written.", samples: [([], storeError == nil ? 0 : 1)]),
        ]
        return NodeMetrics.render(
            core: core, host: info, control: control, now: now, extra: extra)
    }
}

/// Why a node host could not be made.
public enum NodeHostError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The loop, a UDP socket or a timer could not be set up.
    case runtime(RuntimeError)
    /// The control socket could not be set up.
    case control(ControlSocketError)

    /// The underlying error's sentence.
    public var description: String {
        switch self {
        case .runtime(let error): error.description
        case .control(let error): error.description
        }
    }
}

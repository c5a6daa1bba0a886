public import MeshCore
public import MeshCrypto
public import MeshGossip
public import MeshIndicators
public import MeshMembership
public import MeshSignals
public import MeshTransport
import MeshWire

/// What the node core asks its shell (the libuv runtime or the simulator) to do.
public enum NodeEffect: Sendable, Equatable {
    /// Send `datagram` to `address` over UDP.
    case send(datagram: [UInt8], to: SocketAddress)
    /// Call `timerFired` at this instant (replaces any earlier request).
    case wake(at: Instant)
    /// Something an operator or a subscriber may want to see.
    case event(NodeEvent)
}

/// The node's observable happenings, for logs and (later) the control socket's event stream.
public enum NodeEvent: Sendable, Equatable {
    /// `peer` joined the active view.
    case neighborUp(NodeID)
    /// `peer` left the active view.
    case neighborDown(NodeID)
    /// A peer sent something that is not a membership message of this version (counted; the peer stays).
    case malformedMessage(from: NodeID, reason: String)
    /// An encrypted session with `peer` came up (the first after none), reached at `address`.
    case sessionUp(NodeID, address: SocketAddress)
    /// The last session with `peer` ended, for `reason`.
    case sessionDown(NodeID, reason: SessionDownReason)
    /// `peer` was banned until `until`.
    case banned(NodeID, until: Instant)
    /// The ban on `peer` was lifted.
    case unbanned(NodeID)
    /// One of the node's strategies gave `signal` on a bar of its feed (signed and published as `record` when the
    /// node signs; nil without a key).
    case signal(Signal, record: SignalRecord?)
    /// A peer's signal arrived by gossip from the neighbour `from`, checked (`SignalValidator`).
    case signalReceived(SignalRecord, from: NodeID)
}

/// The node core: the transport endpoint and the membership core, composed (`../shared/DESIGN.md`, "The one
/// architectural rule"). Pure: datagrams, timers and `now` in, `NodeEffect`s out. Membership messages travel on the
/// transport's reliable stream; a peer the transport cannot reach is reported to the membership core, which replaces
/// it from its passive view.
///
/// Gossip, signals, matching and the ledger plug in here later as further cores with their own messages.
public struct NodeCore {
    /// How long a session no view needs is kept after the membership core dropped its peer, so that a DISCONNECT
    /// sent just before still goes out on it.
    public static let linger = Duration.seconds(5)

    /// The transport core.
    public private(set) var endpoint: Endpoint
    /// The membership core.
    public private(set) var membership: Membership
    /// Per-IP limits on peer-exchange requests (a direct JOIN or SHUFFLE), for seed nodes; nil for none.
    private var exchangeLimiter: SourceRateLimiter?
    /// Peer-exchange requests refused by `exchangeLimiter`.
    public private(set) var exchangeRequestsLimited = 0
    /// Peers whose sessions are closed at the given instant unless they become neighbours again.
    private var closing = ClosingQueue()
    private var reportedDeadline: Instant?
    /// The strategies the node runs over its price feed, and the signals they gave.
    public private(set) var signals: SignalEngine
    /// The live price feed (`ingest`) into the strategies; nil without strategies.
    public private(set) var liveFeed: LiveFeed?
    /// Gossip: signals to and from the peers (`Specs/gossip.md`).
    public private(set) var gossip: GossipRouter
    /// The checks on peers' signals.
    public private(set) var validator = SignalValidator()
    /// The key that signs this node's signals; nil: they stay local.
    private let signingKey: Ed25519PrivateKey?
    /// The sequence of this node's next signal record (starts at the start time in milliseconds, so that a
    /// restarted node's records follow its earlier ones).
    private var nextSequence: UInt64
    /// The most recent signal records, this node's and its peers', oldest first (at most `SignalEngine.capacity`).
    public private(set) var signalRecords: [SignalRecord] = []
    /// Gossip frames the transport could not take and that could not wait (no session, a stream full), dropped.
    public private(set) var gossipSendDrops = 0
    /// Gossip datagrams waiting for room on the path to a neighbour (bounded, by class; `Specs/gossip.md`
    /// section 5, "Backpressure").
    public private(set) var gossipQueues = GossipSendQueues()
    /// While this node's own publication is handed to the transport (its frames queue in class `own`).
    private var sendingOwn = false
    /// Whether the node signs and gossips its signals.
    public var signs: Bool { signingKey != nil }
    /// How long a signal record holds after it is issued.
    public static let signalLifetime: Int64 = 3_600_000

    /// A node core from an endpoint and a membership core made by the caller (the shell knows the
    /// settings, the seeds and the random source).
    ///
    /// - Parameter exchangeLimit: per-IP limits on peer-exchange requests: a seed answers every JOIN with its
    ///   neighbours' attention and every SHUFFLE with records, so one address sending them in a loop must not get
    ///   unbounded work or a map of the network out of it. Nil (the default) for a node that is not a seed.
    /// - Parameters:
    ///   - signals: the strategies the node runs over the bars `feed` gives it (none by default).
    ///   - signingKey: the node's key, to sign its signals and gossip them; nil keeps them local.
    ///   - subscriptions: symbols whose signals the node receives by gossip (its strategies' symbols are added).
    ///   - liveFeed: how records given to `ingest` become bars; by default (with strategies) ticks make bars of the
    ///     strategies' shortest timeframe, with no grace.
    public init(
        endpoint: Endpoint, membership: Membership, exchangeLimit: SourceRateLimiter.Settings? = nil,
        signals: SignalEngine = try! SignalEngine(), signingKey: Ed25519PrivateKey? = nil, subscriptions: [String] = [],
        liveFeed: LiveFeed? = nil, now: Instant? = nil
    ) {
        precondition(endpoint.nodeID == membership.nodeID, "the endpoint and the membership core are one node's")
        precondition(signingKey.map { $0.nodeID == endpoint.nodeID } ?? true, "the signing key is the node's")
        self.endpoint = endpoint
        self.membership = membership
        exchangeLimiter = exchangeLimit.map(SourceRateLimiter.init(settings:))
        self.signals = signals
        if let liveFeed {
            self.liveFeed = liveFeed
        } else if let shortest = LiveFeed.shortest(signals.strategies.map(\.timeframe)) {
            self.liveFeed = try? LiveFeed(symbols: signals.symbols, timeframe: shortest)
        }
        self.signingKey = signingKey
        let start = now ?? Instant(nanosecondsSinceEpoch: 0)
        nextSequence = UInt64(max(1, start.nanosecondsSinceEpoch / 1_000_000))
        gossip = GossipRouter(nodeID: endpoint.nodeID, now: start)
        for symbol in Set(subscriptions.map { $0.uppercased() } + signals.symbols).sorted() {
            if let topic = Topic.signals(symbol) { _ = gossip.subscribe(topic) }
        }
    }

    /// A closed bar of `symbol`'s price feed (of `timeframe`, nil when unknown): the node's strategies for that
    /// symbol run over it, and each signal they give is an event. (Signing and gossiping signals come with
    /// `Specs/gossip.md`.)
    public mutating func feed(symbol: String, bar: TimeBar, timeframe: Timeframe?, now: Instant) -> [NodeEffect] {
        var effects: [NodeEffect] = []
        for signal in signals.feed(symbol: symbol, bar: bar, timeframe: timeframe) {
            guard let key = signingKey, let topic = Topic.signals(signal.symbol) else {
                effects.append(.event(.signal(signal, record: nil)))
                continue
            }
            let record = SignalRecord(
                signing: signal, with: key, sequence: nextSequence, issuedAt: Self.milliseconds(now),
                lifetime: Self.signalLifetime)
            nextSequence += 1
            remember(record)
            effects.append(.event(.signal(signal, record: record)))
            sendingOwn = true
            apply(gossip.publish(record.encoded, on: topic, now: now).effects, now: now, into: &effects)
            sendingOwn = false
        }
        finish(into: &effects)
        return effects
    }

    /// A record of the node's live price feed (a tick or a bar, `LiveFeed`): the bars it closes go to the strategies
    /// as `feed` gives them.
    /// - Throws: `Feed.Refusal` for a record the feed cannot use (what was wrong), or when the node runs no strategies.
    public mutating func ingest(_ record: Feed.Record, now: Instant) throws(Feed.Refusal) -> [NodeEffect] {
        guard liveFeed != nil else {
            throw Feed.Refusal(reason: "this node runs no strategies: nothing would use the feed")
        }
        var effects: [NodeEffect] = []
        for (symbol, bar) in try liveFeed!.add(record, clock: Self.milliseconds(now)) {
            effects += feed(symbol: symbol, bar: bar, timeframe: liveFeed?.timeframe, now: now)
        }
        finish(into: &effects)
        return effects
    }

    /// A line of an NDJSON feed (read by `reader`, which counts the lines): its record goes to `ingest`.
    /// - Throws: `Feed.Problem` naming the line and what was wrong with it (unreadable, or refused by the feed).
    public mutating func ingest(
        line text: Substring, reader: inout Feed.LineReader, now: Instant
    ) throws(Feed.Problem) -> [NodeEffect] {
        let record: Feed.Record?
        do {
            record = try reader.read(text)
        } catch {
            liveFeed?.noteUnreadable(error.reason)
            throw error
        }
        guard let record else { return [] }
        do {
            return try ingest(record, now: now)
        } catch {
            throw Feed.Problem(line: reader.line, reason: error.reason)
        }
    }

    /// Counts a feed line that could not be read at all (`problem`: too long, say).
    public mutating func refuseFeedLine(_ problem: Feed.Problem) {
        liveFeed?.noteUnreadable(problem.reason)
    }

    /// The live feed has ended (its input closed): the bars still forming are closed and go to the strategies.
    public mutating func endFeed(now: Instant) -> [NodeEffect] {
        var effects: [NodeEffect] = []
        for (symbol, bar) in liveFeed?.finish() ?? [] {
            effects += feed(symbol: symbol, bar: bar, timeframe: liveFeed?.timeframe, now: now)
        }
        finish(into: &effects)
        return effects
    }

    /// Publishes a signal given by the operator (`signals.publish`): signed with the node's key and gossiped on its
    /// symbol's topic, as a strategy's would be.
    /// - Returns: the record, or nil when the node has no key or the symbol makes no topic.
    public mutating func publish(_ signal: Signal, now: Instant) -> (record: SignalRecord?, effects: [NodeEffect]) {
        guard let key = signingKey, let topic = Topic.signals(signal.symbol) else { return (nil, []) }
        let record = SignalRecord(
            signing: signal, with: key, sequence: nextSequence, issuedAt: Self.milliseconds(now),
            lifetime: Self.signalLifetime)
        nextSequence += 1
        remember(record)
        var effects: [NodeEffect] = [.event(.signal(signal, record: record))]
        sendingOwn = true
        apply(gossip.publish(record.encoded, on: topic, now: now).effects, now: now, into: &effects)
        sendingOwn = false
        finish(into: &effects)
        return (record, effects)
    }

    static func milliseconds(_ instant: Instant) -> Int64 { instant.nanosecondsSinceEpoch / 1_000_000 }

    private mutating func remember(_ record: SignalRecord) {
        signalRecords.append(record)
        if signalRecords.count > SignalEngine.capacity {
            signalRecords.removeFirst(signalRecords.count - SignalEngine.capacity)
        }
    }

    /// Sends `message` to `peer` as a membership message, unchecked: a node misbehaving on purpose (the simulator's
    /// sybils trying to eclipse joining nodes, `signalmesh sim --attackers P%:eclipse`); a node never calls it on its
    /// own. A session is opened to the peer's address as for any membership message.
    public mutating func injectMembership(
        _ message: MembershipMessage, to peer: PeerContact, now: Instant
    )
        -> [NodeEffect]
    {
        var effects: [NodeEffect] = []
        apply([.send(message, to: peer)], now: now, into: &effects)
        finish(into: &effects)
        return effects
    }

    /// Sends `frame` to the neighbour `peer` as a gossip frame, unchecked: a node misbehaving on purpose. This is the
    /// simulator's hook for adversaries (`signalmesh sim --attackers`: invalid or replayed messages); a node never
    /// calls it on its own.
    public mutating func injectGossip(_ frame: [UInt8], to peer: NodeID, now: Instant) -> [NodeEffect] {
        var effects: [NodeEffect] = []
        apply([.send(frame: frame, to: peer)], now: now, into: &effects)
        finish(into: &effects)
        return effects
    }

    /// A gossip frame from the neighbour `peer`: signals are checked before they are delivered or forwarded.
    private mutating func receiveGossip(
        _ bytes: [UInt8], from peer: NodeID, now: Instant, into output: inout [NodeEffect]
    ) {
        // Moved out while the router runs (and back after): a copy left behind would make every accepted record's
        // bookkeeping copy the validator's per-issuer table.
        var validator = SignalValidator()
        swap(&validator, &self.validator)
        var accepted: [MessageID: SignalRecord] = [:]
        let time = Self.milliseconds(now)
        let effects = gossip.receive(bytes, from: peer, now: now) { message in
            switch validator.check(message.payload, now: time) {
            case .accept(let record):
                // The record must be about the topic's symbol: a valid record on another topic is misrouted.
                guard Topic.signals(record.signal.symbol) == message.topic else {
                    return .reject(reason: "a signal for \(record.signal.symbol) on \(message.topic)")
                }
                accepted[message.id] = record
                return .accept
            case .reject(let reason): return .reject(reason: reason)
            case .ignore: return .ignore
            }
        }
        swap(&validator, &self.validator)
        for effect in effects {
            if case .deliver(let message) = effect, let record = accepted[message.id] {
                remember(record)
                output.append(.event(.signalReceived(record, from: peer)))
            }
        }
        apply(effects, now: now, into: &output)
    }

    /// Carries out the gossip core's effects: messages and announcements go as transport datagrams (on the reliable
    /// stream when larger than a datagram), subscriptions, GRAFTs and PRUNEs on the reliable stream; a neighbour
    /// penalised is reported.
    private mutating func apply(_ effects: [GossipEffect], now: Instant, into output: inout [NodeEffect]) {
        for effect in effects {
            switch effect {
            case .send(let frame, let peer), .sendReliably(let frame, let peer):
                guard !endpoint.isBlocked(peer, now: now) else { continue }
                var sent: [EndpointEffect] = []
                var reliable = false
                if case .sendReliably = effect { reliable = true }
                do throws(Endpoint.SendError) {
                    // A neighbour the membership core has just taken in may not have a session yet: connect to it
                    // at its record's address, as a membership message to it would.
                    if !endpoint.isConnected(to: peer), endpoint.address(of: peer) == nil,
                        let address = membership.active.first(where: { $0.nodeID == peer })?.addresses.first
                    {
                        try endpoint.connect(to: peer, at: address, now: now, effects: &sent)
                    }
                    if !reliable && frame.count <= Endpoint.maxDatagramMessage {
                        // Behind frames already waiting for this neighbour, or refused for a full window: wait.
                        let kind = Self.sendClass(of: frame, own: sendingOwn)
                        if gossipQueues.isWaiting(peer) {
                            enqueueGossip(frame, kind, to: peer, now: now)
                        } else {
                            do throws(Endpoint.SendError) {
                                try endpoint.send(frame, to: peer, now: now, effects: &sent)
                            } catch .congested {
                                enqueueGossip(frame, kind, to: peer, now: now)
                            }
                        }
                    } else {
                        try endpoint.sendReliable(frame, to: peer, now: now, effects: &sent)
                    }
                } catch {
                    gossipSendDrops += 1
                }
                apply(sent, now: now, into: &output)
            case .deliver:
                break  // reported by `receiveGossip`, which knows the record
            case .penalized(let peer, let reason):
                output.append(.event(.malformedMessage(from: peer, reason: "gossip: \(reason)")))
            }
        }
    }

    /// The limits a seed puts on peer-exchange requests per IP address: a burst of 64 (a devnet's or a NAT's many
    /// nodes behind one address joining at once), then 2 a second.
    public static let seedExchangeLimit: SourceRateLimiter.Settings = {
        var settings = SourceRateLimiter.Settings()
        settings.rate = 2
        settings.burst = 64
        return settings
    }()

    /// This node's id.
    public var nodeID: NodeID { endpoint.nodeID }

    /// Joins the overlay through the seeds.
    public mutating func start(now: Instant) -> [NodeEffect] {
        var effects: [NodeEffect] = []
        apply(membership.start(now: now), now: now, into: &effects)
        finish(into: &effects)
        return effects
    }

    /// Handles a datagram from `source`.
    public mutating func receive(_ datagram: [UInt8], from source: SocketAddress, now: Instant) -> [NodeEffect] {
        var effects: [NodeEffect] = []
        apply(endpoint.receive(datagram, from: source, now: now), now: now, into: &effects)
        flushGossipQueues(now: now, into: &effects)
        finish(into: &effects)
        return effects
    }

    /// Runs what is due in every core.
    public mutating func timerFired(now: Instant) -> [NodeEffect] {
        var effects: [NodeEffect] = []
        // Each core's own deadline is read rather than its wake effects tracked: it is always current.
        if let deadline = endpoint.nextDeadline, deadline <= now {
            apply(endpoint.timerFired(now: now), now: now, into: &effects)
        }
        if membership.nextDeadline <= now {
            apply(membership.timerFired(now: now), now: now, into: &effects)
        }
        if let deadline = gossip.nextDeadline, deadline <= now {
            apply(gossip.timerFired(now: now), now: now, into: &effects)
        }
        if let due = liveFeed?.nextClose, due <= Self.milliseconds(now) {
            for (symbol, bar) in liveFeed?.close(clock: Self.milliseconds(now)) ?? [] {
                effects += feed(symbol: symbol, bar: bar, timeframe: liveFeed?.timeframe, now: now)
            }
        }
        for entry in closing.popDue(at: now)
        where !membership.isActive(entry.peer) || endpoint.isBlocked(entry.peer, now: now) {
            apply(endpoint.close(entry.peer, now: now), now: now, into: &effects)
        }
        flushGossipQueues(now: now, into: &effects)
        // The shell's timer has fired and forgotten its deadline: ask for the next wake even if it is the same.
        reportedDeadline = nil
        finish(into: &effects)
        return effects
    }

    /// Puts stored records into the membership core's passive view (`Membership.remember`).
    public mutating func remember(_ records: [PeerRecord]) {
        membership.remember(records)
    }

    /// Bans `peer` until `until` (`Membership.ban`): out of the views, its session closed, its messages refused.
    public mutating func ban(_ peer: NodeID, until: Instant, now: Instant) -> [NodeEffect] {
        var effects: [NodeEffect] = []
        // Its handshakes are refused from now on; the session up is closed after the DISCONNECT went out.
        endpoint.block(peer, until: until)
        apply(membership.ban(peer, until: until, now: now), now: now, into: &effects)
        effects.append(.event(.banned(peer, until: until)))
        finish(into: &effects)
        return effects
    }

    /// Lifts the ban on `peer` in both cores; false if it was not banned.
    public mutating func unban(_ peer: NodeID, now: Instant) -> (lifted: Bool, effects: [NodeEffect]) {
        let wasBanned = membership.isBanned(peer, now: now) || endpoint.isBlocked(peer, now: now)
        membership.unban(peer)
        endpoint.unblock(peer)
        return (wasBanned, wasBanned ? [.event(.unbanned(peer))] : [])
    }

    /// Asks `peer` to become a neighbour now (`Membership.connect`), on an operator's request.
    /// - Throws: `OperatorRequestError` when the membership core refuses.
    public mutating func connect(_ peer: PeerContact, now: Instant) throws(OperatorRequestError) -> [NodeEffect] {
        routed(try membership.connect(peer, now: now), now: now)
    }

    /// Drops neighbour `peer` (`Membership.disconnect`), on an operator's request.
    /// - Throws: `OperatorRequestError.notNeighbor` if it is not a neighbour.
    public mutating func disconnect(_ peer: NodeID, now: Instant) throws(OperatorRequestError) -> [NodeEffect] {
        routed(try membership.disconnect(peer, now: now), now: now)
    }

    /// The node effects of a membership core's effects (an operator's request), with the next wake.
    private mutating func routed(_ requested: [MembershipEffect], now: Instant) -> [NodeEffect] {
        var effects: [NodeEffect] = []
        apply(requested, now: now, into: &effects)
        finish(into: &effects)
        return effects
    }

    // MARK: Routing

    private mutating func apply(_ effects: [EndpointEffect], now: Instant, into output: inout [NodeEffect]) {
        for effect in effects {
            switch effect {
            case .send(let datagram, let address):
                output.append(.send(datagram: datagram, to: address))
            case .wake:
                break  // read from `endpoint.nextDeadline` in `finish`
            case .deliver(let message, let peer) where Self.isGossip(message):
                receiveGossip(message, from: peer, now: now, into: &output)
            case .deliver(let message, let peer):
                switch Result(catching: { () throws(MembershipMessageError) in
                    try MembershipMessage(decoding: message)
                }) {
                case .success(let decoded):
                    if isLimitedExchange(decoded, from: peer, now: now) {
                        exchangeRequestsLimited += 1
                        continue
                    }
                    apply(
                        membership.received(decoded, from: peer, address: endpoint.address(of: peer), now: now),
                        now: now, into: &output)
                case .failure(let error):
                    output.append(.event(.malformedMessage(from: peer, reason: error.description)))
                }
            case .sessionUp(let peer, let address):
                output.append(.event(.sessionUp(peer, address: address)))
            case .writable:
                break
            case .pong(let peer, _):
                apply(membership.probeAnswered(by: peer, now: now), now: now, into: &output)
            case .pinged(let peer):
                apply(membership.pinged(by: peer, now: now), now: now, into: &output)
            case .sessionDown(let peer, let reason):
                output.append(.event(.sessionDown(peer, reason: reason)))
                // A peer that closed on purpose after a DISCONNECT is already out of the active view; any other end
                // of the last session means the peer cannot be reached now.
                if case .closedByPeer = reason, !membership.isActive(peer) { continue }
                if case .closedLocally = reason { continue }
                apply(membership.peerUnreachable(peer, now: now), now: now, into: &output)
            }
        }
    }

    /// Whether `message` is a peer-exchange request from `peer` over its address's limit.
    private mutating func isLimitedExchange(_ message: MembershipMessage, from peer: NodeID, now: Instant) -> Bool {
        guard exchangeLimiter != nil, let address = endpoint.address(of: peer) else { return false }
        switch message {
        case .join: break
        case .shuffle(let origin, _, _, _) where origin.nodeID == peer: break  // asked directly, not a walk passing by
        default: return false
        }
        return !exchangeLimiter!.allow(address, now: now)
    }

    private mutating func apply(_ effects: [MembershipEffect], now: Instant, into output: inout [NodeEffect]) {
        for effect in effects {
            switch effect {
            case .send(let message, let contact):
                send(message, to: contact, now: now, into: &output)
            case .probe(let contact, let nonce):
                probe(contact, nonce: nonce, now: now, into: &output)
            case .disconnect(let peer):
                // A close already scheduled keeps its time: a peer that keeps talking must not postpone it.
                if !closing.contains(peer) { closing.add(peer, at: now + Self.linger) }
            case .neighborUp(let peer):
                closing.remove(peer)
                output.append(.event(.neighborUp(peer)))
                let group = endpoint.address(of: peer).flatMap(GossipRouter.addressGroup(of:))
                apply(gossip.neighbourUp(peer, group: group, now: now), now: now, into: &output)
            case .neighborDown(let peer):
                output.append(.event(.neighborDown(peer)))
                gossip.neighbourDown(peer)
                gossipQueues.remove(peer)
            case .wake:
                break  // read from `membership.nextDeadline` in `finish`
            }
        }
    }

    /// A neighbour's liveness probe: a transport PING, two packets with nothing for either membership core to encode
    /// or decode (a PING message on the stream took three: PING, the ACK, and the acknowledgment of the ACK), or the
    /// PING message when no session is up (it opens one).
    private mutating func probe(_ contact: PeerContact, nonce: UInt32, now: Instant, into output: inout [NodeEffect]) {
        if endpoint.isBlocked(contact.nodeID, now: now) { return }
        if endpoint.isConnected(to: contact.nodeID) {
            var effects: [EndpointEffect] = []
            do throws(Endpoint.SendError) {
                try endpoint.ping(contact.nodeID, now: now, effects: &effects)
                apply(effects, now: now, into: &output)
                return
            } catch {
                // Congested: the stream's own traffic is backed up; the message waits its turn behind it.
                apply(effects, now: now, into: &output)
            }
        }
        send(.ping(nonce: nonce), to: contact, now: now, into: &output)
    }

    /// Sends a membership message on the peer's reliable stream, connecting first when no session is up.
    private mutating func send(
        _ message: MembershipMessage, to contact: PeerContact, now: Instant, into output: inout [NodeEffect]
    ) {
        // Nothing goes to a blocked (banned) peer, whatever a core asks.
        if endpoint.isBlocked(contact.nodeID, now: now) { return }
        var effects: [EndpointEffect] = []
        do throws(Endpoint.SendError) {
            if !endpoint.isConnected(to: contact.nodeID), let address = contact.addresses.first {
                try endpoint.connect(to: contact.nodeID, at: address, now: now, effects: &effects)
            }
            try endpoint.sendReliable(message.encoded, to: contact.nodeID, now: now, effects: &effects)
            apply(effects, now: now, into: &output)
        } catch {
            apply(effects, now: now, into: &output)
            switch error {
            case .sendBufferFull:
                // The stream is backed up; membership messages are small and periodic, the next round retries.
                break
            case .unknownAddress, .invalidPeerKey, .tooManyPeers, .notConnected, .congested, .messageTooLarge:
                apply(membership.peerUnreachable(contact.nodeID, now: now), now: now, into: &output)
            }
        }
    }

    /// Whether a delivered message is a gossip frame (its wire frame type), not a membership message.
    static func isGossip(_ message: [UInt8]) -> Bool {
        var reader = WireReader(message)
        guard let header = try? FrameHeader.decode(from: &reader, maxPayload: .max) else { return false }
        return header.type == GossipFrame.wireType
    }

    /// The class a gossip frame waits in: PUBLISH is `own` while this node publishes, else `forwarded`; anything
    /// else is `control`.
    static func sendClass(of frame: [UInt8], own: Bool) -> GossipSendQueues.Class {
        guard GossipFrame.isPublish(frame) else { return .control }
        return own ? .own : .forwarded
    }

    private mutating func enqueueGossip(
        _ frame: [UInt8], _ kind: GossipSendQueues.Class, to peer: NodeID, now: Instant
    ) {
        if gossipQueues.enqueue(frame, kind, to: peer, now: now) {
            gossip.demote(peer, until: now + gossipQueues.limits.demotion)
        }
    }

    /// Hands the transport what waits in the send queues, each neighbour's in order, until its window is full again
    /// (run after every input: an acknowledgment or a timer can have opened it).
    private mutating func flushGossipQueues(now: Instant, into output: inout [NodeEffect]) {
        guard gossipQueues.total > 0 else { return }
        for peer in gossipQueues.peersWaiting {
            var sent: [EndpointEffect] = []
            while let (frame, kind) = gossipQueues.popFirst(for: peer) {
                do throws(Endpoint.SendError) {
                    try endpoint.send(frame, to: peer, now: now, effects: &sent)
                } catch .congested {
                    gossipQueues.putBack(frame, kind, for: peer)
                    break
                } catch {
                    gossipSendDrops += 1
                }
            }
            apply(sent, now: now, into: &output)
        }
    }

    private mutating func finish(into output: inout [NodeEffect]) {
        var deadline = [endpoint.nextDeadline, membership.nextDeadline].compactMap { $0 }.min()
        if let next = gossip.nextDeadline, deadline.map({ next < $0 }) ?? true { deadline = next }
        if let first = closing.earliest, deadline.map({ first < $0 }) ?? true { deadline = first }
        // The live feed's next bar to close on the clock (milliseconds since the epoch).
        // (A time past what an Instant holds, years 1678 to 2262, is never reached.)
        if let close = liveFeed?.nextClose, (Int64.min / 1_000_000...Int64.max / 1_000_000).contains(close),
            case let close = Instant(nanosecondsSinceEpoch: close * 1_000_000),
            deadline.map({ close < $0 }) ?? true
        {
            deadline = close
        }
        if let deadline, deadline != reportedDeadline { output.append(.wake(at: deadline)) }
        reportedDeadline = deadline
    }
}

/// Peers whose sessions close at a given instant, in the order they were added. Every close is `linger` after it
/// was asked for, so that order is also time order: the earliest is the first live entry, and the due ones are a
/// prefix. A seed drops a neighbour for nearly every JOIN; the list it used to scan per input held thousands.
struct ClosingQueue {
    private var at: [NodeID: Instant] = [:]
    private var queue: [(peer: NodeID, at: Instant)] = []
    private var head = 0

    func contains(_ peer: NodeID) -> Bool { at[peer] != nil }

    /// Adds `peer`, to close at `instant` (not before any added earlier).
    mutating func add(_ peer: NodeID, at instant: Instant) {
        at[peer] = instant
        queue.append((peer, instant))
    }

    mutating func remove(_ peer: NodeID) {
        at[peer] = nil
        skipStale()
    }

    /// The earliest close.
    var earliest: Instant? { head < queue.count ? queue[head].at : nil }

    /// Removes and returns the entries due at `now`, in order.
    mutating func popDue(at now: Instant) -> [(peer: NodeID, at: Instant)] {
        var due: [(peer: NodeID, at: Instant)] = []
        while head < queue.count, queue[head].at <= now {
            let entry = queue[head]
            head += 1
            if at[entry.peer] == entry.at {
                at[entry.peer] = nil
                due.append(entry)
            }
            skipStale()
        }
        if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return due
    }

    /// Moves past removed entries, so that `earliest` is a live one.
    private mutating func skipStale() {
        while head < queue.count, at[queue[head].peer] != queue[head].at { head += 1 }
    }
}

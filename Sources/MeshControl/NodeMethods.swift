public import MeshCore
import MeshGossip
import MeshMembership
public import MeshNode
import MeshSignals
import MeshTransport

/// What the shell knows about the running node that its cores do not (`node.info`, `node.health`, metrics).
public struct NodeHostInfo: Sendable, Equatable {
    /// The node software's version.
    public var version: String
    /// The network name.
    public var network: String
    /// This boot's id (the event stream's `boot_id`).
    public var bootID: String
    /// When the node started.
    public var startedAt: Instant
    /// The node's process id (0 in the simulator).
    public var processID: Int64
    /// The data directory, if any.
    public var dataDirectory: String?
    /// The bound addresses.
    public var addresses: [SocketAddress]
    /// Whether the node runs the seed profile.
    public var seedProfile: Bool
    /// The last failure to write the peer store, nil while writes succeed.
    public var storeError: String?

    /// Info from its parts.
    public init(
        version: String, network: String, bootID: String, startedAt: Instant, processID: Int64,
        dataDirectory: String?, addresses: [SocketAddress], seedProfile: Bool, storeError: String? = nil
    ) {
        self.version = version
        self.network = network
        self.bootID = bootID
        self.startedAt = startedAt
        self.processID = processID
        self.dataDirectory = dataDirectory
        self.addresses = addresses
        self.seedProfile = seedProfile
        self.storeError = storeError
    }
}

/// The control methods that act on the node core: `node.*`, `peers.*` and `metrics.get` (`Specs/control-api.md`).
/// Pure: the request, the core and `now` in; the answer, the core's effects and whether to stop out. The runtime
/// and the simulator call the same code.
public enum NodeMethods {
    /// The answer to one call.
    public struct Outcome {
        /// The result or the error to send back.
        public var result: Result<JSONValue, RPCError>
        /// Effects of the core the shell carries out (a ban's DISCONNECT, a connect's handshake).
        public var effects: [NodeEffect] = []
        /// Whether the shell should stop the node (after the answer went out).
        public var stop = false
    }

    /// The longest ban an operator may set: ten years.
    public static let maxBanSeconds: Int64 = 10 * 365 * 86_400
    /// A ban's length when the request gives none: one day.
    public static let defaultBanSeconds: Int64 = 86_400

    /// Handles `request`. `metrics` renders the metrics text of the core it is given when `metrics.get` asks for it.
    public static func call(
        _ request: RPCRequest, core: inout NodeCore, host: NodeHostInfo, now: Instant, metrics: (NodeCore) -> String
    ) -> Outcome {
        do throws(RPCError) {
            switch request.method {
            case "node.hello":
                return Outcome(result: .success(try hello(request, core: core, host: host)))
            case "node.info":
                _ = try Params(request, allowed: [])
                return Outcome(result: .success(info(core: core, host: host, now: now)))
            case "node.health":
                _ = try Params(request, allowed: [])
                return Outcome(result: .success(health(core: core, host: host)))
            case "node.stop":
                _ = try Params(request, allowed: [])
                return Outcome(result: .success(["stopping": true]), stop: true)
            case "peers.list":
                return Outcome(result: .success(try peers(request, core: core, now: now)))
            case "peers.connect":
                return try connect(request, core: &core, now: now)
            case "peers.disconnect":
                let params = try Params(request, allowed: ["id"])
                let peer = try params.nodeID("id")
                do {
                    let effects = try core.disconnect(peer, now: now)
                    return Outcome(result: .success(["disconnected": .string(peer.text)]), effects: effects)
                } catch {
                    throw .refused(error.description)
                }
            case "peers.ban":
                let params = try Params(request, allowed: ["id", "duration_seconds"])
                let peer = try params.nodeID("id")
                guard peer != core.nodeID else { throw .refused("a node cannot ban itself") }
                let seconds = try params.integer("duration_seconds", in: 1...maxBanSeconds) ?? defaultBanSeconds
                let until = now + .seconds(seconds)
                let effects = core.ban(peer, until: until, now: now)
                return Outcome(
                    result: .success(["banned": .string(peer.text), "until": .string(RFC3339.text(until))]),
                    effects: effects)
            case "peers.unban":
                let params = try Params(request, allowed: ["id"])
                let peer = try params.nodeID("id")
                let (lifted, effects) = core.unban(peer, now: now)
                guard lifted else { throw .refused("\(peer.text) is not banned") }
                return Outcome(result: .success(["unbanned": .string(peer.text)]), effects: effects)
            case "peers.bans":
                _ = try Params(request, allowed: [])
                let bans = core.membership.bans.filter { $0.value > now }.sorted { $0.key.text < $1.key.text }
                return Outcome(
                    result: .success([
                        "bans": .array(
                            bans.map { ["id": .string($0.key.text), "until": .string(RFC3339.text($0.value))] })
                    ]))
            case "metrics.get":
                let params = try Params(request, allowed: ["format"])
                let format = try params.string("format") ?? "prometheus"
                guard format == "prometheus" else {
                    throw .invalidParams("\"format\" must be \"prometheus\" (the only format), not \"\(format)\"")
                }
                return Outcome(result: .success(["format": "prometheus", "text": .string(metrics(core))]))
            case "node.log_level":
                // The log belongs to the shell; one that keeps a log answers this before it gets here.
                throw .refused("this node keeps no log")
            case "signals.list":
                return Outcome(result: .success(try signals(request, core: core)))
            case "signals.publish":
                return try publishSignal(request, core: &core, now: now)
            case "feed.push":
                return try pushFeed(request, core: &core, now: now)
            case let method where AnalysisMethods.methods.contains(method):
                return Outcome(result: AnalysisMethods.call(request))
            default:
                throw .methodNotFound(request.method)
            }
        } catch {
            return Outcome(result: .failure(error))
        }
    }

    /// The most recent signals of the node's strategies, oldest first: all, or those of `symbol` or `strategy`, the
    /// last `limit` (100 by default).
    private static func signals(_ request: RPCRequest, core: NodeCore) throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["symbol", "strategy", "issuer", "limit"])
        let symbol = try params.string("symbol", maxLength: 32)?.uppercased()
        let strategy = try params.string("strategy", maxLength: 64)
        let issuer = try params.string("issuer", maxLength: 256).map { (text) throws(RPCError) in
            do { return try NodeID(text: text) } catch { throw .invalidParams("\"issuer\" is not a node id") }
        }
        let limit = Int(try params.integer("limit", in: 1...Int64(SignalEngine.capacity)) ?? 100)
        func wanted(_ signal: Signal) -> Bool {
            (symbol == nil || signal.symbol == symbol) && (strategy == nil || signal.strategy == strategy)
        }
        // A node that signs keeps its own and its peers' records; one that does not, its strategies' signals.
        let listed: [JSONValue] =
            core.signs
            ? core.signalRecords.filter { wanted($0.signal) && (issuer == nil || $0.issuer == issuer) }.suffix(limit)
                .map { $0.controlJSON.merging(["origin": $0.issuer == core.nodeID ? "local" : "peer"]) }
            : core.signals.recent.filter(wanted).suffix(limit).map(\.controlJSON)
        return [
            "signals": .array(listed), "given": .integer(core.signals.given),
            "received": .integer(core.validator.accepted),
            "strategies": .array(
                core.signals.strategies.map {
                    [
                        "id": .string($0.id), "symbol": .string($0.symbol),
                        "timeframe": .string($0.timeframe.description),
                    ]
                }),
        ]
    }

    /// An operator's signal, signed with the node's key and gossiped on its symbol's topic.
    private static func publishSignal(
        _ request: RPCRequest, core: inout NodeCore, now: Instant
    ) throws(RPCError) -> Outcome {
        let params = try Params(
            request, allowed: ["symbol", "side", "kind", "strength", "price", "strategy", "rule", "timeframe"])
        let symbol = try params.requiredString("symbol", maxLength: 32).uppercased()
        guard Topic.signals(symbol) != nil, !symbol.isEmpty else {
            throw .invalidParams("\"symbol\" must be letters, digits, . _ or -")
        }
        let sideText = try params.requiredString("side", maxLength: 8)
        guard let side = Strategy.Side(rawValue: sideText) else {
            throw .invalidParams("\"side\" must be buy, sell or flat, not \"\(sideText)\"")
        }
        let kindText = try params.string("kind", maxLength: 8) ?? "entry"
        guard let kind = Strategy.Kind(rawValue: kindText) else {
            throw .invalidParams("\"kind\" must be entry or exit, not \"\(kindText)\"")
        }
        let price = try number(params, "price") ?? 0
        guard price.isFinite, price > 0 else { throw .invalidParams("\"price\" must be a number above 0") }
        let strength = try number(params, "strength") ?? 1
        guard (0...1).contains(strength) else { throw .invalidParams("\"strength\" must be from 0 to 1") }
        let signal = Signal(
            strategy: try params.string("strategy", maxLength: 64) ?? "manual",
            rule: try params.string("rule", maxLength: 128) ?? "operator", symbol: symbol,
            timeframe: try params.string("timeframe", maxLength: 8) ?? "-",
            time: now.nanosecondsSinceEpoch / 1_000_000, price: price, side: side, kind: kind, strength: strength,
            snapshot: [:])
        let (record, effects) = core.publish(signal, now: now)
        guard let record else { throw .refused("this node has no key to sign signals with") }
        return Outcome(result: .success(record.controlJSON.merging(["origin": "local"])), effects: effects)
    }

    /// The most records one `feed.push` takes, and the most refusals it lists.
    public static let maxFeedRecords = 10_000
    static let maxListedRefusals = 100

    /// `feed.push {records}`: ticks or bars (the NDJSON feed's objects) into the node's live feed, in order; each
    /// record is used or refused on its own, and the refused are listed with their index and reason.
    private static func pushFeed(_ request: RPCRequest, core: inout NodeCore, now: Instant) throws(RPCError) -> Outcome
    {
        let params = try Params(request, allowed: ["records"])
        guard case .array(let records)? = params["records"] else {
            throw .invalidParams("\"records\" must be an array of ticks or bars")
        }
        guard records.count <= maxFeedRecords else {
            throw .invalidParams("\"records\" has \(records.count) records; at most \(maxFeedRecords) a request")
        }
        guard let before = core.liveFeed else {
            throw .refused("this node runs no strategies: nothing would use a feed (run it with --strategy)")
        }
        let signalsBefore = core.signals.given
        var reader = Feed.LineReader()
        var refusals: [JSONValue] = []
        var refused = 0
        var effects: [NodeEffect] = []
        for (index, record) in records.enumerated() {
            var bytes: [UInt8] = []
            record.write(into: &bytes)
            do {
                effects += try core.ingest(
                    line: Substring(String(decoding: bytes, as: UTF8.self)), reader: &reader, now: now)
            } catch {
                refused += 1
                if refusals.count < maxListedRefusals {
                    refusals.append(["index": .integer(index), "reason": .string(error.reason)])
                }
            }
        }
        let after = core.liveFeed ?? before
        let result: JSONValue = [
            "accepted": .integer(records.count - refused - (after.unusedRecords - before.unusedRecords)),
            "unused": .integer(after.unusedRecords - before.unusedRecords), "refused": .integer(refused),
            "refusals": .array(refusals), "bars": .integer(after.bars - before.bars),
            "signals": .integer(core.signals.given - signalsBefore),
        ]
        return Outcome(result: .success(result), effects: effects)
    }

    /// The live feed's state for `node.info`.
    static func feedJSON(_ feed: LiveFeed?) -> JSONValue {
        guard let feed else { return .null }
        return [
            "timeframe": .string(feed.timeframe.description), "grace_ms": .integer(feed.grace),
            "symbols": .array(feed.symbols.map { .string($0) }), "records": .integer(feed.records),
            "bars": .integer(feed.bars), "refused": .integer(feed.refused), "unused": .integer(feed.unusedRecords),
            "late_ticks": .integer(feed.lateTicks), "last_refusal": feed.lastRefusal.map { .string($0) } ?? .null,
        ]
    }

    private static func number(_ params: Params, _ name: String) throws(RPCError) -> Double? {
        switch params[name] {
        case nil, .null?: return nil
        case .int(let value)?: return Double(value)
        case .double(let value)?: return value
        case let other?: throw .invalidParams("\"\(name)\" must be a number, not \(other.typeName)")
        }
    }

    private static func hello(_ request: RPCRequest, core: NodeCore, host: NodeHostInfo) throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["api_versions", "client"])
        _ = try params.string("client", maxLength: 256)
        if let asked = params["api_versions"], asked != .null {
            guard case .array(let entries) = asked, !entries.isEmpty, entries.count <= 16 else {
                throw .invalidParams("\"api_versions\" must be a non-empty array of integers")
            }
            var versions: [Int64] = []
            for entry in entries {
                guard case .int(let version) = entry else {
                    throw .invalidParams("\"api_versions\" must hold integers, not \(entry.typeName)")
                }
                versions.append(version)
            }
            guard versions.contains(Int64(ControlAPI.version)) else { throw .unsupportedVersion(versions) }
        }
        return [
            "api_version": .integer(ControlAPI.version), "node_version": .string(host.version),
            "capabilities": .array(ControlAPI.capabilities.map(JSONValue.string)), "node_id": .string(core.nodeID.text),
            "network": .string(host.network), "boot_id": .string(host.bootID),
        ]
    }

    /// `node.info`.
    public static func info(core: NodeCore, host: NodeHostInfo, now: Instant) -> JSONValue {
        let membership = core.membership
        let counters = core.endpoint.counters
        return [
            "node_id": .string(core.nodeID.text), "network": .string(host.network), "version": .string(host.version),
            "boot_id": .string(host.bootID), "pid": .integer(host.processID),
            "started_at": .string(RFC3339.text(host.startedAt)),
            "uptime_seconds": .integer(max(0, (now - host.startedAt).nanoseconds / 1_000_000_000)),
            "addresses": .array(host.addresses.map { .string($0.description) }),
            "data_dir": .optional(host.dataDirectory), "seed_profile": .bool(host.seedProfile),
            "record_seq": .integer(membership.selfRecord.seq),
            "peers": [
                "active": .integer(membership.active.count), "passive": .integer(membership.passive.count),
                "seeds": .integer(membership.seeds.count), "connected": .integer(core.endpoint.connectedPeers),
                "banned": .integer(membership.bans.values.filter { $0 > now }.count),
            ],
            "traffic": [
                "datagrams_in": .integer(counters.datagramsReceived), "datagrams_out": .integer(counters.datagramsSent),
                "bytes_in": .integer(counters.bytesReceived), "bytes_out": .integer(counters.bytesSent),
                "handshakes_completed": .integer(counters.handshakesCompleted),
                "handshakes_answered": .integer(counters.handshakesAnswered),
            ],
            "limits": [
                "active_view": .integer(membership.settings.activeViewSize),
                "passive_view": .integer(membership.settings.passiveViewSize),
            ],
            "gossip": [
                "subscriptions": .array(core.gossip.subscriptions.sorted().map { .string($0.name) }),
                "delivered": .integer(core.gossip.counters.delivered),
                "duplicates": .integer(core.gossip.counters.duplicates),
                "rejected": .integer(core.gossip.counters.rejected), "ignored": .integer(core.gossip.counters.ignored),
                "published": .integer(core.gossip.counters.published),
                "dropped_in": .integer(core.gossip.counters.droppedFrames),
                "dropped_out": .integer(core.gossipSendDrops),
                "send_queue": [
                    "waiting": .integer(core.gossipQueues.total), "delayed": .integer(core.gossipQueues.delayed),
                    "dropped": .object(
                        Dictionary(
                            uniqueKeysWithValues: GossipSendQueues.Class.allCases.map {
                                ($0.name, JSONValue.integer(core.gossipQueues.dropped[$0.rawValue]))
                            })),
                    "slow_neighbours": .integer(core.gossipQueues.slowNeighbours),
                ],
            ],
            "signals": [
                "given": .integer(core.signals.given), "received": .integer(core.validator.accepted),
                "feed": feedJSON(core.liveFeed),
            ],
        ]
    }

    /// `node.health`: `ok` with neighbours and a writable store, `degraded` when something needs attention,
    /// `isolated` with no neighbour at all.
    public static func health(core: NodeCore, host: NodeHostInfo) -> JSONValue {
        let membership = core.membership
        var problems: [JSONValue] = []
        let active = membership.active.count
        // No more neighbours can be wanted than there are distinct peers to have (a small network's whole size).
        let reachable = Set((membership.active + membership.passive + membership.seeds).map(\.nodeID)).count
        let wanted = min(membership.settings.lowWatermark, reachable)
        if active == 0 { problems.append("no neighbours: the node is not connected to the network") }
        if active > 0 && active < wanted {
            problems.append(.string("only \(active) neighbour(s); at least \(wanted) wanted"))
        }
        if membership.seeds.isEmpty && membership.passive.isEmpty && active == 0 {
            problems.append("no seeds and no known peers: give a seed list or connect to a peer")
        }
        if membership.localHealth > membership.settings.maxLocalHealth / 2 {
            problems.append(.string("local health \(membership.localHealth): probes are being missed (overload?)"))
        }
        if let error = host.storeError { problems.append(.string("the peer store cannot be written: \(error)")) }
        let status = active == 0 ? "isolated" : problems.isEmpty ? "ok" : "degraded"
        return [
            "status": .string(status), "problems": .array(problems),
            "checks": [
                "neighbors": .integer(active), "neighbors_wanted": .integer(wanted),
                "local_health": .integer(membership.localHealth), "suspects": .integer(membership.suspects.count),
                "peer_store": host.storeError == nil ? "ok" : "failing",
            ],
        ]
    }

    private static func peers(_ request: RPCRequest, core: NodeCore, now: Instant) throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["view"])
        let view = try params.string("view") ?? "active"
        let membership = core.membership
        let entries: [(PeerContact, String)]
        switch view {
        case "active": entries = membership.active.map { ($0, "active") }
        case "passive": entries = membership.passive.map { ($0, "passive") }
        case "all": entries = membership.active.map { ($0, "active") } + membership.passive.map { ($0, "passive") }
        default: throw .invalidParams("\"view\" must be \"active\", \"passive\" or \"all\", not \"\(view)\"")
        }
        let suspects = Set(membership.suspects.map(\.id))
        return [
            "peers": .array(entries.map { peer(contact: $0.0, view: $0.1, core: core, suspects: suspects, now: now) })
        ]
    }

    /// One peer's entry in `peers.list`.
    static func peer(
        contact: PeerContact, view: String, core: NodeCore, suspects: Set<NodeID>, now: Instant
    ) -> JSONValue {
        let status = core.endpoint.status(of: contact.nodeID)
        var addresses = contact.addresses.map(\.description)
        if let current = status?.address?.description, !addresses.contains(current) { addresses.insert(current, at: 0) }
        let connected = status?.connectedSince != nil
        var entry: [String: JSONValue] = [
            "id": .string(contact.nodeID.text), "view": .string(view),
            "addresses": .array(addresses.map(JSONValue.string)), "connected": .bool(connected),
            "is_seed": .bool(core.membership.isSeed(contact.nodeID)),
            "suspect": .bool(suspects.contains(contact.nodeID)),
            "direction": connected ? (status!.outbound ? "outbound" : "inbound") : .null,
            "connected_since": status?.connectedSince.map { .string(RFC3339.text($0)) } ?? .null,
            "rtt_ms": status?.smoothedRTT.map { .double(Double($0.nanoseconds) / 1e6) } ?? .null,
            "bytes_in": .integer(status?.traffic.bytesIn ?? 0), "bytes_out": .integer(status?.traffic.bytesOut ?? 0),
            "packets_in": .integer(status?.traffic.packetsIn ?? 0),
            "packets_out": .integer(status?.traffic.packetsOut ?? 0),
        ]
        if let record = contact.record { entry["record_seq"] = .integer(record.seq) }
        // Its gossip score (gossip.md, section 5), for a neighbour gossip uses.
        if let parts = core.gossip.scoreComponents(of: contact.nodeID) {
            entry["gossip_score"] = .double(parts.total)
            entry["gossip_score_parts"] = .object([
                "time_in_mesh": .double(parts.timeInMesh), "first_deliveries": .double(parts.firstDeliveries),
                "invalid_messages": .double(parts.invalidMessages), "behaviour": .double(parts.behaviour),
                "broken_promises": .double(parts.brokenPromises), "colocation": .double(parts.colocation),
            ])
            entry["gossip_graylisted"] = .bool(core.gossip.isGraylisted(contact.nodeID))
            entry["gossip_queued"] = .integer(core.gossipQueues.waiting(for: contact.nodeID))
            entry["gossip_demoted"] = .bool(core.gossip.isDemoted(contact.nodeID))
        }
        return .object(entry)
    }

    private static func connect(_ request: RPCRequest, core: inout NodeCore, now: Instant) throws(RPCError) -> Outcome {
        let params = try Params(request, allowed: ["peer"])
        let text = try params.requiredString("peer", maxLength: 512)
        let contact: PeerContact
        if let at = text.firstIndex(of: "@") {
            let id: NodeID
            do { id = try NodeID(text: String(text[..<at])) } catch {
                throw .invalidParams("the node id before '@' in \"peer\" is wrong: \(error.description)")
            }
            let address: SocketAddress
            do { address = try SocketAddress(text: String(text[text.index(after: at)...])) } catch {
                throw .invalidParams("the address after '@' in \"peer\" is wrong: \(error.description)")
            }
            contact = PeerContact(nodeID: id, addresses: [address])
        } else {
            do { contact = PeerContact(nodeID: try NodeID(text: text)) } catch {
                throw .invalidParams(
                    "\"peer\" must be <node-id>@<host:port> or a known peer's node id: \(error.description)")
            }
        }
        do {
            let effects = try core.connect(contact, now: now)
            return Outcome(result: .success(["requested": .string(contact.nodeID.text)]), effects: effects)
        } catch {
            throw .refused(error.description)
        }
    }
}

public import MeshCore
public import MeshNode
import MeshTransport

/// The node's metrics in the Prometheus text format (`metrics.get`; names in `Specs/control-api.md`, "Metrics").
public enum NodeMetrics {
    /// A sample the shell adds (socket counters, its own timings): a family name, type, help and samples.
    public struct Family: Sendable {
        /// The metric name (`signalmesh_…`).
        public var name: String
        /// `counter` or `gauge`.
        public var type: String
        /// One line of help.
        public var help: String
        /// Label sets and values.
        public var samples: [(labels: [(String, String)], value: Double)]

        /// A family from its parts.
        public init(name: String, type: String, help: String, samples: [(labels: [(String, String)], value: Double)]) {
            self.name = name
            self.type = type
            self.help = help
            self.samples = samples
        }
    }

    /// What the metrics read of the control server: taken before a request is handled, so rendering them does not
    /// read the server while it is being changed.
    public struct ControlStatus: Sendable, Equatable {
        /// The server's counters.
        public var counters: ControlCounters
        /// Connections open.
        public var connections: Int
        /// Connections subscribed to events.
        public var subscribers: Int
        /// The newest event id.
        public var lastEventID: UInt64

        /// The status of `server` now.
        public init(_ server: ControlServer) {
            counters = server.counters
            connections = server.connectionCount
            subscribers = server.subscriberCount
            lastEventID = server.log.lastID
        }
    }

    /// The text for `core`, the control server's counts and the shell's own `extra` families.
    public static func render(
        core: NodeCore, host: NodeHostInfo, control: ControlStatus, now: Instant, extra: [Family] = []
    ) -> String {
        let uptimeSeconds = Double((now - host.startedAt).nanoseconds) / 1e9
        var text = PrometheusText()
        let counters = core.endpoint.counters
        text.family(
            "signalmesh_build_info", type: "gauge", help: "The node's version and network; the value is always 1.",
            samples: [([("version", host.version), ("network", host.network)], 1)])
        text.single(
            "signalmesh_uptime_seconds", type: "gauge", help: "Seconds since the node started.", value: uptimeSeconds)
        text.family(
            "signalmesh_datagrams_total", type: "counter", help: "UDP datagrams the transport received and sent.",
            samples: [
                ([("direction", "in")], Double(counters.datagramsReceived)),
                ([("direction", "out")], Double(counters.datagramsSent)),
            ])
        text.family(
            "signalmesh_bytes_total", type: "counter", help: "UDP payload bytes the transport received and sent.",
            samples: [
                ([("direction", "in")], Double(counters.bytesReceived)),
                ([("direction", "out")], Double(counters.bytesSent)),
            ])
        text.family(
            "signalmesh_handshakes_total", type: "counter",
            help: "Noise handshakes: initiations sent, completed as initiator, answered as responder, given up.",
            samples: [
                ([("event", "initiated")], Double(counters.handshakesInitiated)),
                ([("event", "completed")], Double(counters.handshakesCompleted)),
                ([("event", "answered")], Double(counters.handshakesAnswered)),
                ([("event", "failed")], Double(counters.handshakesFailed)),
            ])
        text.single(
            "signalmesh_cookie_replies_total", type: "counter", help: "Cookie replies sent under handshake load.",
            value: Double(counters.cookieRepliesSent))
        let drops = core.endpoint.drops
        text.family(
            "signalmesh_drops_total", type: "counter", help: "Datagrams and messages the transport dropped, by reason.",
            samples: DropReason.allCases.sorted().map { ([("reason", snakeCase($0.rawValue))], Double(drops[$0] ?? 0)) }
        )
        text.family(
            "signalmesh_sessions_total", type: "counter", help: "Peers whose connection came up, and went down.",
            samples: [
                ([("event", "up")], Double(counters.sessionsUp)), ([("event", "down")], Double(counters.sessionsDown)),
            ])
        text.single(
            "signalmesh_sessions", type: "gauge", help: "Peers with an encrypted session up.",
            value: Double(core.endpoint.connectedPeers))
        let membership = core.membership
        text.family(
            "signalmesh_peers", type: "gauge", help: "Peers by membership state.",
            samples: [
                ([("state", "active")], Double(membership.active.count)),
                ([("state", "passive")], Double(membership.passive.count)),
                ([("state", "suspect")], Double(membership.suspects.count)),
                ([("state", "banned")], Double(membership.bans.values.filter { $0 > now }.count)),
                ([("state", "seed")], Double(membership.seeds.count)),
                ([("state", "transport")], Double(core.endpoint.knownPeers)),
            ])
        text.single(
            "signalmesh_membership_failures_total", type: "counter",
            help: "Neighbours declared failed after suspicion and indirect probes.",
            value: Double(membership.failuresDeclared))
        text.family(
            "signalmesh_membership_shuffles_total", type: "counter",
            help: "Shuffle replies: this node's shuffles answered, replies for it that came unawaited, and replies it"
                + " could not pass back because the next hop had left its active view.",
            samples: [
                ([("outcome", "completed")], Double(membership.shufflesCompleted)),
                ([("outcome", "unexpected")], Double(membership.shuffleRepliesUnexpected)),
                ([("outcome", "relay_lost")], Double(membership.shuffleRepliesLost)),
            ])
        text.single(
            "signalmesh_membership_local_health", type: "gauge",
            help: "Lifeguard local health: 0 is healthy; higher means this node misses its own probe deadlines.",
            value: Double(membership.localHealth))
        text.single(
            "signalmesh_exchange_requests_limited_total", type: "counter",
            help: "Peer-exchange requests (JOIN, SHUFFLE) refused by a seed's per-IP limit.",
            value: Double(core.exchangeRequestsLimited))
        text.family(
            "signalmesh_membership_refused_total", type: "counter", help: "Membership messages refused, by reason.",
            samples: membership.refused.sorted { $0.key < $1.key }.map {
                ([("reason", labelValue($0.key))], Double($0.value))
            })
        let gossip = core.gossip.counters
        text.family(
            "signalmesh_gossip_messages_total", type: "counter",
            help: "Gossip messages: delivered (first copies accepted), duplicates, rejected and ignored by the checks, "
                + "published here.",
            samples: [
                ([("outcome", "delivered")], Double(gossip.delivered)),
                ([("outcome", "duplicate")], Double(gossip.duplicates)),
                ([("outcome", "rejected")], Double(gossip.rejected)),
                ([("outcome", "ignored")], Double(gossip.ignored)),
                ([("outcome", "published")], Double(gossip.published)),
            ])
        text.family(
            "signalmesh_gossip_frames_sent_total", type: "counter",
            help: "Gossip control frames sent and messages sent to repair requests, by kind.",
            samples: [
                ([("kind", "ihave")], Double(gossip.ihavesSent)), ([("kind", "graft")], Double(gossip.graftsSent)),
                ([("kind", "prune")], Double(gossip.prunesSent)),
                ([("kind", "idontwant")], Double(gossip.idontwantsSent)),
                ([("kind", "repair")], Double(gossip.repairsSent)),
            ])
        text.family(
            "signalmesh_gossip_dropped_total", type: "counter",
            help: "Gossip frames dropped: received that did not decode or came from a graylisted neighbour, and "
                + "to be sent that the transport refused (congested, no session).",
            samples: [
                ([("direction", "in")], Double(gossip.droppedFrames)),
                ([("direction", "out")], Double(core.gossipSendDrops)),
            ])
        text.family(
            "signalmesh_gossip_send_queue_dropped_total", type: "counter",
            help: "Gossip datagrams dropped from a neighbour's send queue (over its bound, or the neighbour left), by "
                + "class: control frames, own publications, forwarded messages.",
            samples: GossipSendQueues.Class.allCases.map {
                ([("class", $0.name)], Double(core.gossipQueues.dropped[$0.rawValue]))
            })
        text.family(
            "signalmesh_gossip_send_queue_waiting", type: "gauge",
            help: "Gossip datagrams waiting for room on the path to a neighbour.",
            samples: [([], Double(core.gossipQueues.total))])
        text.family(
            "signalmesh_gossip_slow_neighbours_total", type: "counter",
            help: "Neighbours found slow (their send queue kept overflowing) and demoted: pushed no forwarded messages "
                + "for 30 s, announced them instead.",
            samples: [([], Double(core.gossipQueues.slowNeighbours))])
        text.family(
            "signalmesh_gossip_score_events_total", type: "counter",
            help: "Gossip scoring: neighbours graylisted, promises broken (announced, asked for, never sent), "
                + "announcements ignored from neighbours under the gossip threshold, requests beyond a repair budget.",
            samples: [
                ([("event", "graylisted")], Double(gossip.graylisted)),
                ([("event", "broken_promise")], Double(gossip.brokenPromises)),
                ([("event", "gossip_ignored")], Double(gossip.gossipIgnored)),
                ([("event", "repair_refused")], Double(gossip.repairsRefused)),
            ])
        text.single(
            "signalmesh_gossip_subscriptions", type: "gauge", help: "Topics this node subscribes to.",
            value: Double(core.gossip.subscriptions.count))
        text.family(
            "signalmesh_signals_total", type: "counter",
            help: "Signals: given by this node's strategies, and received from peers and accepted.",
            samples: [
                ([("origin", "local")], Double(core.signals.given)),
                ([("origin", "peer")], Double(core.validator.accepted)),
            ])
        if let feed = core.liveFeed {
            text.family(
                "signalmesh_feed_records_total", type: "counter",
                help: "Records of the live price feed: used, of symbols no strategy trades, refused.",
                samples: [
                    ([("outcome", "used")], Double(feed.records - feed.unusedRecords - feed.refused)),
                    ([("outcome", "unused")], Double(feed.unusedRecords)),
                    ([("outcome", "refused")], Double(feed.refused)),
                ])
            text.single(
                "signalmesh_feed_bars_total", type: "counter", help: "Bars the live feed gave the strategies.",
                value: Double(feed.bars))
        }
        let controlCounts = control.counters
        text.single(
            "signalmesh_control_connections", type: "gauge", help: "Control socket connections open.",
            value: Double(control.connections))
        text.single(
            "signalmesh_control_subscribers", type: "gauge", help: "Control connections subscribed to events.",
            value: Double(control.subscribers))
        text.family(
            "signalmesh_control_connections_total", type: "counter",
            help: "Control connections accepted, refused at the limit, and dropped for not reading.",
            samples: [
                ([("event", "accepted")], Double(controlCounts.connectionsAccepted)),
                ([("event", "refused")], Double(controlCounts.connectionsRefused)),
                ([("event", "dropped_slow")], Double(controlCounts.slowClientsDropped)),
            ])
        text.single(
            "signalmesh_control_requests_total", type: "counter", help: "Control requests handled.",
            value: Double(controlCounts.requests))
        text.single(
            "signalmesh_control_errors_total", type: "counter", help: "Control requests answered with an error.",
            value: Double(controlCounts.errors))
        text.single(
            "signalmesh_events_total", type: "counter", help: "Events recorded since the start.",
            value: Double(control.lastEventID))
        text.single(
            "signalmesh_event_gaps_total", type: "counter", help: "Gap markers sent to readers that missed events.",
            value: Double(controlCounts.gaps))
        for family in extra {
            text.family(family.name, type: family.type, help: family.help, samples: family.samples)
        }
        return text.text
    }

    /// A reason written for people ("join record not the sender's") as a label value (`join_record_not_the_senders`).
    static func labelValue(_ reason: String) -> String {
        String(reason.lowercased().compactMap { $0 == " " || $0 == "-" ? "_" : $0.isLetter || $0.isNumber ? $0 : nil })
    }

    /// `unknownIndex` as `unknown_index`, `badMAC1` as `bad_mac1`: Prometheus label values in the usual style.
    static func snakeCase(_ name: String) -> String {
        var text = ""
        var previous: Character?
        for character in name {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { text += "_" }
            text += character.lowercased()
            previous = character
        }
        return text
    }
}

import HeapModule
public import MeshCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A message delivered to this node: its id, topic, payload and the neighbour it came from (nil: published here).
public struct GossipMessage: Sendable, Equatable {
    /// The id (`MessageID`).
    public let id: MessageID
    /// The topic.
    public let topic: Topic
    /// The signed envelope, opaque to gossip.
    public let payload: [UInt8]
    /// The neighbour it came from; nil for one this node published.
    public let from: NodeID?
}

/// What the application says about a message before it is delivered or forwarded (`Specs/gossip.md`, section 5).
public enum GossipValidation: Sendable, Equatable {
    /// Deliver and forward it.
    case accept
    /// Neither; the sender is at fault (a bad signature, a malformed record): it loses score.
    case reject(reason: String)
    /// Neither; nobody is at fault (expired by now, a sequence already seen).
    case ignore
}

/// What the router asks its shell to do.
public enum GossipEffect: Sendable, Equatable {
    /// Send `frame` (an encoded `GossipFrame`) to the neighbour `peer` as a datagram (messages and announcements:
    /// a loss is repaired by the protocol).
    case send(frame: [UInt8], to: NodeID)
    /// Send `frame` to `peer` on the reliable stream (subscriptions, GRAFT, PRUNE: state a loss would leave wrong).
    case sendReliably(frame: [UInt8], to: NodeID)
    /// Hand `message` to the application: this node subscribes to its topic and it was accepted.
    case deliver(GossipMessage)
    /// `peer` sent a message the application rejected, or a frame that does not decode.
    case penalized(NodeID, reason: String)
}

/// Counters, for metrics and the simulator's reports.
public struct GossipCounters: Sendable, Equatable {
    /// Messages delivered (first copies accepted on a subscribed topic, own publications excluded).
    public var delivered = 0
    /// Copies of messages already seen.
    public var duplicates = 0
    /// Messages the application rejected.
    public var rejected = 0
    /// Messages the application ignored.
    public var ignored = 0
    /// Frames that did not decode, or came from a graylisted neighbour.
    public var droppedFrames = 0
    /// PRUNEs sent.
    public var prunesSent = 0
    /// GRAFTs sent.
    public var graftsSent = 0
    /// IHAVE frames sent.
    public var ihavesSent = 0
    /// IDONTWANT frames sent.
    public var idontwantsSent = 0
    /// Messages sent to IWANT or GRAFT requests.
    public var repairsSent = 0
    /// Messages published here.
    public var published = 0
    /// DIGEST frames sent (anti-entropy with a new neighbour).
    public var digestsSent = 0
    /// Message ids offered (IHAVE) in answer to a neighbour's DIGEST that differed.
    public var catchUpOffered = 0
    /// Times a neighbour's score fell to the graylist score (its frames are then dropped unread).
    public var graylisted = 0
    /// Messages asked for (IWANT, GRAFT) beyond the asker's repair budget, not sent.
    public var repairsRefused = 0
    /// Promises broken: messages a neighbour announced (IHAVE) and was asked for (GRAFT), that had not come from
    /// anyone `promiseTimeout` later.
    public var brokenPromises = 0
    /// Announcements (IHAVE, DIGEST) ignored because their sender's score was under the gossip threshold.
    public var gossipIgnored = 0
    /// Neighbours demoted as slow (`demote`).
    public var demotions = 0
}

/// A neighbour's score and its parts (`Specs/gossip.md`, section 5: GossipSub v1.1's score, fitted to trees):
/// `total` = `timeInMesh` + `firstDeliveries` + `invalidMessages` + `behaviour` + `brokenPromises` + `colocation`.
public struct GossipScore: Sendable, Equatable {
    /// Time as a neighbour on the topics it shares with this node: up to +10 after an hour.
    public var timeInMesh = 0.0
    /// Messages it delivered first (decaying): up to +10.
    public var firstDeliveries = 0.0
    /// Penalties for invalid messages and undecodable frames (decaying slowly: a persistent sender of them stays
    /// graylisted).
    public var invalidMessages = 0.0
    /// Penalties for duplicates pushed after a PRUNE and requests beyond the repair budget (decaying fast: honest
    /// races cause a few).
    public var behaviour = 0.0
    /// Penalties for announced messages it did not send when asked (decaying).
    public var brokenPromises = 0.0
    /// The penalty for sharing its IP address with more than `colocationThreshold` neighbours.
    public var colocation = 0.0

    /// The score.
    public var total: Double {
        timeInMesh + firstDeliveries + invalidMessages + behaviour + brokenPromises + colocation
    }
}

/// The gossip core of one node (`Specs/gossip.md`): Plumtree's eager-push trees with lazy repair, one tree per
/// origin (the node that published a message) so that each origin's messages take the shortest paths the first of
/// them found; GossipSub's frames, IDONTWANT for large messages, flood publishing of one's own messages, fan-out for
/// topics published to without subscribing, bounded seen and message caches, and a score that graylists neighbours
/// sending invalid messages. Pure: frames, neighbour changes and `now` in; `GossipEffect`s out.
public struct GossipRouter: Sendable {
    /// The router's parameters (`Specs/gossip.md`, section 6).
    public struct Settings: Sendable, Equatable {
        /// Neighbours that keep pushing an origin's messages here (its parents in that origin's tree): the senders of
        /// the first this many copies of an origin's latest message are left alone, later ones pruned. Two parents
        /// cost about one duplicate per node per message and keep a lost datagram from delaying a delivery until
        /// the lazy repair; one is Plumtree's single tree.
        public var eagerParents = 2
        /// How often lazy announcements (IHAVE) are sent and the caches aged.
        public var heartbeat = Duration.milliseconds(100)
        /// How long after the first IHAVE of a missing message its announcer is asked for it (GRAFT).
        public var graftTimeout = Duration.milliseconds(600)
        /// How long after a GRAFT the next announcer is asked.
        public var retryTimeout = Duration.milliseconds(300)
        /// How long a message id is remembered (duplicates within it are recognised) and a message kept for repair.
        public var seenWindow = Duration.seconds(120)
        /// The most message ids remembered.
        public var maxSeen = 200_000
        /// The most messages kept for repair (their bytes bounded by `maxCachedBytes`).
        public var maxCachedMessages = 16_384
        /// The most payload bytes kept for repair.
        public var maxCachedBytes = 16 << 20
        /// Messages at least this large make the receiver send IDONTWANT to the neighbours it pushes to.
        public var idontwantThreshold = 1024
        /// Neighbours a message is pushed to on a topic this node publishes to without subscribing (fan-out).
        public var fanout = 6
        /// Missing messages tracked at once (IHAVEs beyond are ignored until some are found or given up).
        public var maxMissing = 4096
        /// Origins whose trees a node keeps per topic (the least recently used is forgotten beyond).
        public var maxOrigins = 1024
        /// Score lost per rejected message or undecodable frame.
        public var rejectPenalty = -10.0
        /// Score lost per duplicate a neighbour sends after this node pruned that origin's tree towards it (a
        /// neighbour that keeps pushing what it was told not to, or replays messages, is graylisted; the few
        /// duplicates of honest races decay away).
        public var duplicatePenalty = -1.0
        /// Messages a neighbour may have sent to it on request (IWANT, GRAFT) at once: a catch-up after a partition
        /// asks for up to `maxMissing`. The budget comes back at `repairRate` a second; requests beyond are not served
        /// and cost a point per request (a neighbour asking for the cache again and again must not turn this node
        /// into an amplifier).
        public var repairBurst = 4096.0
        /// See `repairBurst`.
        public var repairRate = 200.0
        /// A duplicate is answered with PRUNE at most once per neighbour and origin in this time (a flood of
        /// duplicates must not make this node send a flood of PRUNEs).
        public var pruneInterval = Duration.seconds(1)
        /// Copies that arrive within this time of the first PRUNE sent for an origin cost the sender nothing: they
        /// were in flight, or answered this node's own requests, before the PRUNE reached it (a catch-up after a
        /// partition brings hundreds of such copies over every link). Later ones cost `duplicatePenalty` each.
        public var pruneGrace = Duration.seconds(2)
        /// Duplicates from a neighbour this node sent a GRAFT in this time cost it nothing either: the answers to
        /// a catch-up's requests queue on its reliable stream and can arrive seconds later, after the same messages
        /// came from others and this node pruned it.
        public var requestGrace = Duration.seconds(10)
        /// A missing message's GRAFT goes to its next announcer after `retryTimeout` only if the one asked has
        /// delivered nothing here first in that time; one that is delivering is waited for up to this long from the
        /// first GRAFT.
        public var requestPatience = Duration.seconds(10)
        /// A neighbour at or under this score is ignored entirely (graylisted).
        public var graylistScore = -50.0
        /// A neighbour under this score gets no announcements (IHAVE, DIGEST) and its own are ignored.
        public var gossipThreshold = -10.0
        /// A neighbour under this score is not pushed messages (this node's own or forwarded): it can only learn of
        /// them as any peer would, by announcements while it is above the gossip threshold.
        public var publishThreshold = -20.0
        /// The penalties and the first-delivery credit decay toward 0 by this factor per heartbeat interval elapsed.
        public var scoreDecay = 0.98
        /// The invalid-message penalty decays by this factor per heartbeat interval (0.99 a second: from the
        /// graylist score back to the gossip threshold takes about 160 s).
        public var invalidDecay = 0.999
        /// Score per second as a neighbour on a shared topic, up to `timeInMeshCap` seconds.
        public var timeInMeshWeight = 10.0 / 3600
        /// See `timeInMeshWeight`.
        public var timeInMeshCap = Duration.seconds(3600)
        /// Score per message a neighbour delivered first, the credit capped at `firstDeliveryCap` points.
        public var firstDeliveryWeight = 0.5
        /// See `firstDeliveryWeight`.
        public var firstDeliveryCap = 10.0
        /// Score lost per broken promise: a message announced and asked for that had come from no one this long
        /// after the GRAFT.
        public var brokenPromisePenalty = -2.0
        /// See `brokenPromisePenalty`.
        public var promiseTimeout = Duration.seconds(3)
        /// Neighbours that may share one IP address before each of them loses score: (count − threshold)² times
        /// `colocationWeight`. Loopback addresses (a devnet, tests) are exempt.
        public var colocationThreshold = 3
        /// See `colocationThreshold`.
        public var colocationWeight = -20.0
        /// After a DIGEST exchange that found differences, how long until the next with that neighbour (messages
        /// that were still spreading during one are caught by the next).
        public var digestFollowUp = Duration.seconds(3)
        /// Follow-up DIGESTs per neighbour and topic at most (each only after one that found differences).
        public var digestFollowUps = 3
        /// How often a DIGEST of each topic goes to one neighbour, in turn (anti-entropy that catches what a
        /// neighbour lost while the views were out of step); nil for none.
        public var digestInterval: Duration? = .seconds(30)
        /// A periodic DIGEST covers the messages held at least this long (younger ones are still spreading).
        public var digestSettle = Duration.seconds(5)

        /// The defaults.
        public init() {}
    }

    /// The most neighbours gossip uses (each has a bit in the trees' masks).
    public static let maxNeighbours = 64
    /// The ids a neighbour remembers as unwanted.
    static let maxDontWant = 256

    private struct Neighbour: Sendable {
        var id: NodeID
        var topics: Set<Topic> = []
        /// When it became a neighbour.
        var since: Instant
        /// Its address group (`neighbourUp`), and the colocation penalty it has now.
        var group: UInt64?
        var colocation = 0.0
        /// Decaying parts of its score as of `decayedAt`: penalties, broken promises, first-delivery credit (points).
        var invalid = 0.0
        var behaviour = 0.0
        var broken = 0.0
        var firstDeliveries = 0.0
        var decayedAt: Instant
        /// Whether it was graylisted when last looked at (to count graylistings).
        var graylisted = false
        /// Ids it said it does not want (IDONTWANT), newest last, at most `maxDontWant`.
        var dontWant: [MessageID] = []
        /// When this node first and last sent it PRUNE for an origin since it last asked it for that origin's
        /// messages (GRAFT), at most `maxPruneMemory` origins, the least recently pruned forgotten.
        var prunedAt: [OriginTag: (first: Instant, last: Instant)] = [:]
        /// Messages it may still be sent on request, and when that was last brought up to date.
        var repairTokens: Double
        var repairCountedAt: Instant
        /// When this node last sent it a GRAFT, and when it last delivered a message here first (a promise of a
        /// neighbour that is delivering is not broken: its answers queue on its reliable stream behind one
        /// another).
        var lastGraft: Instant?
        var lastPush: Instant?
        /// Pushed no forwarded messages until then (`demote`): it gets announcements instead.
        var demotedUntil: Instant?
    }

    /// Origins whose last PRUNE to a neighbour is remembered.
    static let maxPruneMemory = 256

    /// One origin's tree on a topic: the neighbours this node pushes its messages to (its children), by slot bit.
    private struct Tree: Sendable {
        var eager: UInt64
        var lastUsed: Instant
        /// The origin's latest message delivered here, and the copies of it received so far.
        var latest: MessageID?
        var copies = 0
    }

    private struct Missing: Sendable {
        var topic: Topic
        var origin: OriginTag
        var announcers: [NodeID]
        var deadline: Instant
        /// GRAFTs sent for it so far.
        var attempts = 0
        /// The announcer asked last, and when this node first asked anyone.
        var asked: NodeID?
        var firstAsked: Instant?
    }

    /// A missing message's deadline, in a heap by time: an entry whose message is no longer missing, or whose
    /// deadline has moved, is stale and skipped (so that the earliest deadline is found without a scan).
    private struct MissingDeadline: Comparable, Sendable {
        var at: Instant
        var id: MessageID
        /// Ordered by time alone: the heap needs no more.
        static func < (lhs: Self, rhs: Self) -> Bool { lhs.at < rhs.at }
        static func == (lhs: Self, rhs: Self) -> Bool { lhs.at == rhs.at && lhs.id == rhs.id }
    }

    /// GRAFTs sent for one missing message (to its announcers in turn) before it is given up.
    static let maxGraftAttempts = 6

    /// A GRAFT's promise: `peer` announced `id` and was asked for it by `deadline`.
    private struct Promise: Comparable, Sendable {
        var deadline: Instant
        var id: MessageID
        var peer: NodeID
        static func < (lhs: Self, rhs: Self) -> Bool { lhs.deadline < rhs.deadline }
        static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.deadline == rhs.deadline && lhs.id == rhs.id && lhs.peer == rhs.peer
        }
    }

    /// This node.
    public let nodeID: NodeID
    /// The parameters.
    public let settings: Settings
    /// The topics this node subscribes to.
    public private(set) var subscriptions: Set<Topic> = []
    /// Neighbours by slot (their bit in the masks); `slotOf` finds a neighbour's slot.
    private var slots: [Neighbour?] = []
    private var slotOf: [NodeID: Int] = [:]
    /// Subscriptions of peers that are not neighbours: sent before their neighbour-up (it can come after their first
    /// frame), or known when they stopped being neighbours (a neighbour that leaves one side's view and comes back
    /// does not say its subscriptions again when the other side saw no change); applied when they become neighbours
    /// again; at most `maxPending` peers.
    private var pendingSubscriptions: [NodeID: Set<Topic>] = [:]
    /// See `pendingSubscriptions`.
    static let maxPending = 256
    /// Each topic's trees by origin.
    private var trees: [Topic: [OriginTag: Tree]] = [:]
    private var seen: SeenCache
    private var cache: MessageCache
    private var missing: [MessageID: Missing] = [:]
    /// The deadlines of `missing`, earliest first (with stale entries: `pruneDeadlines`).
    private var missingDeadlines = Heap<MissingDeadline>()
    /// What to announce to each neighbour (by slot) at the next heartbeat, by topic.
    private var announcements: [Int: [Topic: [(id: MessageID, origin: OriginTag)]]] = [:]
    /// The origins a neighbour's DIGEST has listed so far (by slot and topic), until its final frame.
    private var digestHeard: [Int: [Topic: Set<OriginTag>]] = [:]
    /// Follow-up DIGESTs (by slot and topic): when the next is due (nil: none until differences are found again),
    /// and how many are left.
    private var followUps: [Int: [Topic: (due: Instant?, left: Int)]] = [:]
    /// When the next periodic DIGEST goes, and the slot the last went to.
    private var nextPeriodicDigest: Instant
    private var lastDigestSlot = -1
    private var nextHeartbeat: Instant
    /// Promises outstanding, by deadline (one per GRAFT: at most about `maxMissing` × `maxGraftAttempts`); a
    /// message that has come from anyone by the deadline keeps them all.
    private var promises = Heap<Promise>()
    /// The latest `now` given to the router (scores are read at it).
    private var clock: Instant
    /// The counters.
    public private(set) var counters = GossipCounters()

    /// A router for `nodeID`, starting at `now`.
    public init(nodeID: NodeID, settings: Settings = Settings(), now: Instant) {
        self.nodeID = nodeID
        self.settings = settings
        seen = SeenCache(window: settings.seenWindow, limit: settings.maxSeen, now: now)
        cache = MessageCache(
            window: settings.seenWindow, maxMessages: settings.maxCachedMessages, maxBytes: settings.maxCachedBytes)
        nextHeartbeat = now + settings.heartbeat
        nextPeriodicDigest = now + (settings.digestInterval ?? .zero)
        clock = now
    }

    /// When `timerFired` is due next: the next heartbeat while announcements wait, the earliest GRAFT due; nil when
    /// nothing waits (an idle router asks for no wake-ups; its caches age at the next heartbeat).
    public var nextDeadline: Instant? {
        var graft = missingDeadlines.min?.at
        if let promise = promises.min?.deadline, graft.map({ promise < $0 }) ?? true { graft = promise }
        for topics in followUps.values {
            for state in topics.values {
                if let due = state.due, graft.map({ due < $0 }) ?? true { graft = due }
            }
        }
        if settings.digestInterval != nil, cache.count > 0, !slotOf.isEmpty,
            graft.map({ nextPeriodicDigest < $0 }) ?? true
        {
            graft = nextPeriodicDigest
        }
        guard !announcements.isEmpty else { return graft }
        return graft.map { min($0, nextHeartbeat) } ?? nextHeartbeat
    }

    /// The neighbours this node pushes `origin`'s messages on `topic` to (its children in that tree); nil for an
    /// origin it has no tree for yet (its next message goes to every neighbour on the topic).
    public func children(of origin: NodeID, on topic: Topic) -> Set<NodeID>? {
        guard let tree = trees[topic]?[origin.originTag] else { return nil }
        return Set(members(tree.eager))
    }

    /// A neighbour's score (at the latest time the router was given).
    public func score(of peer: NodeID) -> Double? { scoreComponents(of: peer)?.total }

    /// Whether a neighbour is graylisted: its score fell to the graylist score and has not come back to the gossip
    /// threshold since (its frames are dropped unread).
    public func isGraylisted(_ peer: NodeID) -> Bool {
        guard let slot = slotOf[peer], let neighbour = slots[slot] else { return false }
        return isGraylisted(neighbour, score: score(slot, now: clock))
    }

    /// Graylisted at the graylist score, and until the score has come back to the gossip threshold (a neighbour
    /// hovering about the graylist score would otherwise get a frame through each time it decayed past it).
    private func isGraylisted(_ neighbour: Neighbour, score: Double) -> Bool {
        neighbour.graylisted ? score < settings.gossipThreshold : score <= settings.graylistScore
    }

    /// A neighbour's score in parts.
    public func scoreComponents(of peer: NodeID) -> GossipScore? {
        slotOf[peer].map { components(of: $0, now: clock) }
    }

    private func components(of slot: Int, now: Instant) -> GossipScore {
        let neighbour = slots[slot]!
        let shares = !neighbour.topics.isDisjoint(with: subscriptions)
        let seconds = shares ? Double(min(now - neighbour.since, settings.timeInMeshCap).nanoseconds) / 1e9 : 0
        let decay = decayFactor(settings.scoreDecay, since: neighbour.decayedAt, now: now)
        return GossipScore(
            timeInMesh: max(0, seconds) * settings.timeInMeshWeight,
            firstDeliveries: min(neighbour.firstDeliveries * decay, settings.firstDeliveryCap),
            invalidMessages: neighbour.invalid
                * decayFactor(settings.invalidDecay, since: neighbour.decayedAt, now: now),
            behaviour: neighbour.behaviour * decay, brokenPromises: neighbour.broken * decay,
            colocation: neighbour.colocation)
    }

    /// `factor` per heartbeat elapsed from `since` to `now` (by the clock, not by heartbeats run: an idle router runs
    /// none, and its neighbours' penalties must still fade).
    private func decayFactor(_ factor: Double, since: Instant, now: Instant) -> Double {
        guard now > since else { return 1 }
        return pow(factor, Double((now - since).nanoseconds) / Double(settings.heartbeat.nanoseconds))
    }

    /// Brings a neighbour's decaying parts to `clock` (before one of them changes).
    private mutating func decay(_ slot: Int) {
        let factor = decayFactor(settings.scoreDecay, since: slots[slot]!.decayedAt, now: clock)
        slots[slot]!.invalid *= decayFactor(settings.invalidDecay, since: slots[slot]!.decayedAt, now: clock)
        slots[slot]!.behaviour *= factor
        slots[slot]!.broken *= factor
        slots[slot]!.firstDeliveries *= factor
        slots[slot]!.decayedAt = clock
    }

    private func score(_ slot: Int, now: Instant) -> Double { components(of: slot, now: now).total }

    // MARK: Inputs

    /// The address group of a neighbour at `address` for the colocation penalty: the IP address (IPv4, or IPv6's
    /// first 64 bits: one host's interface), nil for loopback (every node of a devnet shares it).
    public static func addressGroup(of address: SocketAddress) -> UInt64? {
        switch address {
        case .ipv4(let host, _):
            return host >> 24 == 127 ? nil : UInt64(host)
        case .ipv6(let bytes, _):
            if bytes == .loopback { return nil }
            return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } | 1 << 63
        }
    }

    /// Stops pushing the messages this node forwards to `peer` until `until` (the node core found it slow: its send
    /// queue kept overflowing). It stays in the trees and gets the same messages announced instead (IHAVE), to ask
    /// for at its own pace; this node's own messages still go to it. Whether it is demoted: `isDemoted`.
    public mutating func demote(_ peer: NodeID, until: Instant) {
        guard let slot = slotOf[peer] else { return }
        slots[slot]!.demotedUntil = until
        counters.demotions += 1
    }

    /// Whether `peer` is demoted (`demote`) at the router's latest time.
    public func isDemoted(_ peer: NodeID) -> Bool {
        slotOf[peer].flatMap { slots[$0]?.demotedUntil }.map { $0 > clock } ?? false
    }

    /// `peer` became a neighbour at `now`, reached at an address in `group` (`addressGroup(of:)`; nil: none to
    /// count): it is told this node's subscriptions. Beyond `maxNeighbours`, gossip leaves it out.
    public mutating func neighbourUp(_ peer: NodeID, group: UInt64? = nil, now: Instant? = nil) -> [GossipEffect] {
        if let now { clock = max(clock, now) }
        guard slotOf[peer] == nil, peer != nodeID else { return [] }
        let slot: Int
        if let free = slots.firstIndex(where: { $0 == nil }) {
            slot = free
        } else if slots.count < Self.maxNeighbours {
            slot = slots.count
            slots.append(nil)
        } else {
            return []
        }
        slots[slot] = Neighbour(
            id: peer, topics: pendingSubscriptions.removeValue(forKey: peer) ?? [], since: clock, group: group,
            decayedAt: clock,
            repairTokens: settings.repairBurst, repairCountedAt: nextHeartbeat - settings.heartbeat)
        slotOf[peer] = slot
        updateColocation(group)
        digestHeard[slot] = nil
        followUps[slot] = nil
        guard !subscriptions.isEmpty else { return [] }
        var effects: [GossipEffect] = subscriptions.sorted().chunked(GossipFrame.maxSubscriptions).map {
            .sendReliably(frame: GossipFrame.subscriptions($0.map { ($0, true) }).encoded(), to: peer)
        }
        // Anti-entropy: what this node holds of each topic, so that the two sides offer each other what the other
        // lacks (messages missed while a partition kept them apart, or before one of them joined).
        for topic in subscriptions.sorted() {
            effects += digest(topic, summary: cache.summary(of: topic), reply: false, to: peer)
            followUps[slot, default: [:]][topic] = (nil, settings.digestFollowUps)
        }
        return effects
    }

    /// `peer` is no longer a neighbour.
    public mutating func neighbourDown(_ peer: NodeID) {
        guard let slot = slotOf.removeValue(forKey: peer) else { return }
        if let topics = slots[slot]?.topics, !topics.isEmpty { rememberPending(topics, of: peer) }
        let group = slots[slot]?.group
        slots[slot] = nil
        updateColocation(group)
        digestHeard[slot] = nil
        followUps[slot] = nil
        let bit = ~(UInt64(1) << slot)
        for topic in Array(trees.keys) {
            for origin in Array(trees[topic]!.keys) { trees[topic]![origin]!.eager &= bit }
        }
        announcements[slot] = nil
        for (id, var entry) in missing where entry.announcers.contains(peer) {
            entry.announcers.removeAll { $0 == peer }
            missing[id] = entry
        }
    }

    /// Subscribes to `topic`: its messages are delivered and forwarded; the neighbours are told.
    public mutating func subscribe(_ topic: Topic) -> [GossipEffect] {
        guard subscriptions.insert(topic).inserted else { return [] }
        trees[topic] = [:]
        return announce(topic, subscribed: true)
    }

    /// Leaves `topic`.
    public mutating func unsubscribe(_ topic: Topic) -> [GossipEffect] {
        guard subscriptions.remove(topic) != nil else { return [] }
        trees[topic] = nil
        return announce(topic, subscribed: false)
    }

    /// Publishes `payload` on `topic`: pushed to every neighbour on the topic (flood publishing: one's own messages
    /// take every first hop at once), or to `fanout` of them when this node does not subscribe. Returns its id and
    /// the effects; nil id for a payload over the topic's cap (`Topic.maxPayload`) or a message already seen.
    public mutating func publish(
        _ payload: [UInt8], on topic: Topic, now: Instant
    ) -> (id: MessageID?, effects: [GossipEffect]) {
        guard payload.count <= min(GossipFrame.maxPayload, topic.maxPayload) else { return (nil, []) }
        let id = MessageID(topic: topic, payload: payload)
        guard seen.insert(id, now: now) else { return (nil, []) }
        cache.insert(id, topic: topic, origin: nodeID, payload: payload, now: now)
        counters.published += 1
        // Its own tree is kept as the others are (PRUNEs tell which neighbours have a faster path from here), but
        // its own messages still go to every neighbour on the topic.
        _ = touchTree(topic, nodeID.originTag, now: now)
        var targets = members(onTopic(topic, now: now)).sorted()
        if !subscriptions.contains(topic) { targets = Array(targets.prefix(settings.fanout)) }
        let frame = GossipFrame.publish(topic: topic, origin: nodeID, payload: payload).encoded()
        return (id, targets.map { .send(frame: frame, to: $0) })
    }

    /// A frame from the neighbour `peer`; `validate` judges a new message before it is delivered or forwarded.
    public mutating func receive(
        _ bytes: [UInt8], from peer: NodeID, now: Instant, validate: (GossipMessage) -> GossipValidation
    ) -> [GossipEffect] {
        clock = max(clock, now)
        guard let slot = slotOf[peer], let neighbour = slots[slot] else {
            keepPendingSubscriptions(bytes, from: peer)
            return []
        }
        let score = score(slot, now: now)
        if isGraylisted(neighbour, score: score) {
            if !neighbour.graylisted {
                slots[slot]!.graylisted = true
                counters.graylisted += 1
            }
            counters.droppedFrames += 1
            return []
        }
        slots[slot]!.graylisted = false
        let frame: GossipFrame
        do {
            frame = try GossipFrame(decoding: bytes)
        } catch {
            counters.droppedFrames += 1
            return penalize(slot, reason: "a gossip frame that does not decode: \(error.description)")
        }
        switch frame {
        case .publish(let topic, let origin, let payload):
            return received(topic: topic, origin: origin, payload: payload, from: slot, now: now, validate: validate)
        case .ihave(let topic, let entries):
            guard subscriptions.contains(topic) else { return [] }
            guard score >= settings.gossipThreshold else {
                counters.gossipIgnored += 1
                return []
            }
            for entry in entries where !seen.contains(entry.id) {
                if var known = missing[entry.id] {
                    if !known.announcers.contains(peer) { known.announcers.append(peer) }
                    missing[entry.id] = known
                } else if missing.count < settings.maxMissing {
                    missing[entry.id] = Missing(
                        topic: topic, origin: entry.origin, announcers: [peer], deadline: now + settings.graftTimeout)
                    missingDeadlines.insert(MissingDeadline(at: now + settings.graftTimeout, id: entry.id))
                }
            }
            return []
        case .iwant(let ids):
            return repair(ids, to: slot, now: now)
        case .graft(let topic, let origins, let ids):
            guard subscriptions.contains(topic), neighbour.topics.contains(topic) else { return [] }
            for origin in origins.prefix(GossipFrame.maxIDs) where touchTree(topic, origin, now: now) != nil {
                trees[topic]![origin]!.eager |= UInt64(1) << slot
            }
            return repair(ids, to: slot, now: now)
        case .prune(let topic, let origins):
            for origin in origins where trees[topic]?[origin] != nil {
                trees[topic]![origin]!.eager &= ~(UInt64(1) << slot)
            }
            return []
        case .idontwant(let ids):
            slots[slot]!.dontWant += ids
            let count = slots[slot]!.dontWant.count
            if count > Self.maxDontWant { slots[slot]!.dontWant.removeFirst(count - Self.maxDontWant) }
            return []
        case .subscriptions(let changes):
            for change in changes {
                if change.subscribed {
                    slots[slot]!.topics.insert(change.topic)
                } else {
                    slots[slot]!.topics.remove(change.topic)
                    if var topicTrees = trees[change.topic] {
                        for origin in Array(topicTrees.keys) { topicTrees[origin]!.eager &= ~(UInt64(1) << slot) }
                        trees[change.topic] = topicTrees
                    }
                }
            }
            return []
        case .digest(let topic, let entries, let final, let reply, let settled):
            guard subscriptions.contains(topic) else { return [] }
            guard score >= settings.gossipThreshold else {
                counters.gossipIgnored += 1
                return []
            }
            return digestReceived(
                topic: topic, entries: entries, final: final, reply: reply, settled: settled, from: slot, now: now)
        }
    }

    /// Runs what is due: GRAFTs for messages announced but not received, lazy announcements, ageing.
    public mutating func timerFired(now: Instant) -> [GossipEffect] {
        clock = max(clock, now)
        var effects: [GossipEffect] = []
        while let first = promises.min, first.deadline <= now {
            promises.removeMin()
            // Kept if the message came from anyone since, or if the announcer has delivered messages here first since
            // the GRAFT (the answer is queued behind others on its reliable stream, as in any catch-up); broken if
            // neither (and it is still a neighbour).
            guard !seen.contains(first.id) else { continue }
            if let slot = slotOf[first.peer],
                !(slots[slot]!.lastPush.map { $0 > first.deadline - settings.promiseTimeout } ?? false)
            {
                decay(slot)
                slots[slot]!.broken += settings.brokenPromisePenalty
                counters.brokenPromises += 1
            }
        }
        var grafts: [NodeID: [Topic: (origins: Set<OriginTag>, ids: [MessageID])]] = [:]
        var load: [NodeID: Int] = [:]
        while let first = missingDeadlines.min, first.at <= now {
            missingDeadlines.removeMin()
            let id = first.id
            guard var entry = missing[id], entry.deadline == first.at else { continue }
            guard !seen.contains(id), !entry.announcers.isEmpty, entry.attempts < Self.maxGraftAttempts else {
                missing[id] = nil
                continue
            }
            // The announcer asked last has delivered messages here first lately: its answer is queued behind others on
            // its reliable stream (a catch-up of hundreds). Asking the next would only double the queue; wait, up
            // to `requestPatience` from the first request.
            if let asked = entry.asked, let firstAsked = entry.firstAsked, let slot = slotOf[asked],
                let push = slots[slot]!.lastPush, push > first.at - settings.retryTimeout,
                now - firstAsked < settings.requestPatience
            {
                entry.deadline = now + settings.retryTimeout
                missing[id] = entry
                missingDeadlines.insert(MissingDeadline(at: entry.deadline, id: id))
                continue
            }
            // Ask its announcers in turn for it and to push that origin's messages here from now on: the tree was
            // broken (a lost datagram, a neighbour gone) or this node is new to it.
            // Once this round has asked an announcer for a frame's worth (a catch-up: hundreds due at once), the
            // rest go to the least asked of each message's announcers, so that several neighbours' streams carry the
            // catch-up instead of the first one's alone; a few messages still go to their first announcer (usually
            // the nearest).
            var announcer = entry.announcers[entry.attempts % entry.announcers.count]
            if load[announcer, default: 0] >= GossipFrame.maxIDs, entry.announcers.count > 1,
                let lighter = entry.announcers.min(by: { load[$0, default: 0] < load[$1, default: 0] })
            {
                announcer = lighter
            }
            load[announcer, default: 0] += 1
            entry.attempts += 1
            entry.asked = announcer
            entry.firstAsked = entry.firstAsked ?? now
            grafts[announcer, default: [:]][entry.topic, default: ([], [])].origins.insert(entry.origin)
            grafts[announcer, default: [:]][entry.topic, default: ([], [])].ids.append(id)
            entry.deadline = now + settings.retryTimeout
            missing[id] = entry
            missingDeadlines.insert(MissingDeadline(at: entry.deadline, id: id))
        }
        pruneDeadlines()
        for peer in grafts.keys.sorted() {
            for (topic, graft) in grafts[peer]!.sorted(by: { $0.key < $1.key }) {
                let origins = graft.origins.sorted()
                // Asked to push these origins' messages again, and the named ones now: its copies are wanted.
                if let slot = slotOf[peer] {
                    for origin in origins { slots[slot]!.prunedAt[origin] = nil }
                    slots[slot]!.lastGraft = now
                }
                // In id order: `missing` is a dictionary, whose order differs from run to run (the simulator's runs
                // must repeat exactly).
                let ids = graft.ids.map { ($0, $0.bytes.bytes) }.sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(
                    \.0)
                for (index, ids) in ids.chunked(GossipFrame.maxIDs).enumerated() {
                    // The origins go with the first frame (at most `maxIDs` of them, as ids).
                    let named = index == 0 ? Array(origins.prefix(GossipFrame.maxIDs)) : []
                    effects.append(
                        .sendReliably(
                            frame: GossipFrame.graft(topic: topic, origins: named, ids: Array(ids)).encoded(), to: peer)
                    )
                    counters.graftsSent += 1
                    // One promise per GRAFT, on its first id (as GossipSub tracks one id per IWANT): a node catching
                    // up thousands of messages from a neighbour whose repair budget paces the answers must not count
                    // thousands of broken promises against it.
                    promises.insert(Promise(deadline: now + settings.promiseTimeout, id: ids.first!, peer: peer))
                }
            }
        }
        for slot in followUps.keys.sorted() {
            guard let peer = slots[slot]?.id else { continue }
            for topic in followUps[slot]!.keys.sorted() {
                guard let state = followUps[slot]![topic], let due = state.due, due <= now else { continue }
                followUps[slot]![topic] = (nil, state.left - 1)
                effects += digest(topic, summary: cache.summary(of: topic), reply: false, to: peer)
            }
        }
        if let interval = settings.digestInterval, now >= nextPeriodicDigest {
            nextPeriodicDigest = now + interval
            effects += periodicDigests(now: now)
        }
        if now >= nextHeartbeat {
            nextHeartbeat = now + settings.heartbeat
            for slot in announcements.keys.sorted() {
                guard let peer = slots[slot]?.id, score(slot, now: now) >= settings.gossipThreshold else { continue }
                for (topic, entries) in announcements[slot]!.sorted(by: { $0.key < $1.key }) {
                    for chunk in entries.chunked(GossipFrame.maxIDs) {
                        effects.append(
                            .send(frame: GossipFrame.ihave(topic: topic, entries: Array(chunk)).encoded(), to: peer))
                        counters.ihavesSent += 1
                    }
                }
            }
            announcements = [:]
            seen.age(now: now)
            cache.age(now: now)
        }
        return effects
    }

    // MARK: Messages

    private mutating func received(
        topic: Topic, origin: NodeID, payload: [UInt8], from slot: Int, now: Instant,
        validate: (GossipMessage) -> GossipValidation
    ) -> [GossipEffect] {
        let peer = slots[slot]!.id
        guard payload.count <= topic.maxPayload else {
            counters.rejected += 1
            return penalize(
                slot, reason: "a message of \(payload.count) bytes on \(topic), over its cap of \(topic.maxPayload)")
        }
        let id = MessageID(topic: topic, payload: payload)
        let tag = origin.originTag
        guard seen.insert(id, now: now) else {
            counters.duplicates += 1
            // One of the first `eagerParents` copies of the origin's latest message: its sender is a parent to keep.
            if let tree = trees[topic]?[tag], tree.latest == id, tree.copies < settings.eagerParents {
                trees[topic]![tag]!.copies += 1
                return []
            }
            // A second copy: the link it came over is not this origin's shortest path here. Its sender stops
            // pushing this origin's messages this way (PRUNE); announcements still come. A sender already pruned
            // for this origin loses score for each further copy once the PRUNE has had time to reach it, and is not
            // pruned again until `pruneInterval`.
            var firstPruned = now
            if let pruned = slots[slot]!.prunedAt[tag] {
                let requested = slots[slot]!.lastGraft.map { now - $0 < settings.requestGrace } ?? false
                if now - pruned.first >= settings.pruneGrace && !requested {
                    penalize(slot, by: settings.duplicatePenalty)
                }
                if now - pruned.last < settings.pruneInterval { return [] }
                firstPruned = pruned.first
            }
            if slots[slot]!.prunedAt.count >= Self.maxPruneMemory, slots[slot]!.prunedAt[tag] == nil,
                let oldest = slots[slot]!.prunedAt.min(by: { ($0.value.last, $0.key) < ($1.value.last, $1.key) })?.key
            {
                slots[slot]!.prunedAt[oldest] = nil
            }
            slots[slot]!.prunedAt[tag] = (firstPruned, now)
            counters.prunesSent += 1
            return [.sendReliably(frame: GossipFrame.prune(topic: topic, origins: [tag]).encoded(), to: peer)]
        }
        missing[id] = nil
        pruneDeadlines()
        // Only subscribers relay; a message on another topic is not this node's business.
        guard subscriptions.contains(topic) else { return [] }
        let message = GossipMessage(id: id, topic: topic, payload: payload, from: peer)
        switch validate(message) {
        case .reject(let reason):
            counters.rejected += 1
            return penalize(slot, reason: reason)
        case .ignore:
            counters.ignored += 1
            return []
        case .accept:
            break
        }
        counters.delivered += 1
        decay(slot)
        slots[slot]!.lastPush = now
        slots[slot]!.firstDeliveries = min(
            slots[slot]!.firstDeliveries + settings.firstDeliveryWeight, settings.firstDeliveryCap)
        cache.insert(id, topic: topic, origin: origin, payload: payload, now: now)
        var effects: [GossipEffect] = [.deliver(message)]
        let sender = UInt64(1) << slot
        let subscribed = onTopic(topic) & ~sender
        // A new origin's first message goes to every neighbour on the topic; the duplicates it makes prune its tree
        // into the shortest paths from that origin. Neighbours under the publish threshold are left out of the push
        // (they stay in the tree, and get the announcement while above the gossip threshold).
        let eager =
            (touchTree(topic, tag, excluding: sender, now: now) ?? subscribed)
            & onTopic(topic, now: now, forwarding: true) & ~sender
        if trees[topic]?[tag] != nil {
            trees[topic]![tag]!.latest = id
            trees[topic]![tag]!.copies = 1
        }
        var pushTo: [NodeID] = []
        for target in members(eager) where !(slots[slotOf[target]!]!.dontWant.contains(id)) { pushTo.append(target) }
        pushTo.sort()
        if payload.count >= settings.idontwantThreshold {
            let frame = GossipFrame.idontwant(ids: [id]).encoded()
            for target in pushTo {
                effects.append(.send(frame: frame, to: target))
                counters.idontwantsSent += 1
            }
        }
        let frame = GossipFrame.publish(topic: topic, origin: origin, payload: payload).encoded()
        for target in pushTo { effects.append(.send(frame: frame, to: target)) }
        var lazy = subscribed & ~eager
        while lazy != 0 {
            let target = lazy.trailingZeroBitCount
            lazy &= lazy - 1
            announcements[target, default: [:]][topic, default: []].append((id, tag))
        }
        return effects
    }

    /// The children of `origin`'s tree on `topic`, the tree made when new (every neighbour on the topic but
    /// `excluding` a child) and marked used; nil when this node does not subscribe to the topic. The least recently
    /// used tree is forgotten beyond `maxOrigins`.
    private mutating func touchTree(
        _ topic: Topic, _ origin: OriginTag, excluding: UInt64 = 0, now: Instant
    ) -> UInt64? {
        guard trees[topic] != nil else { return nil }
        if let tree = trees[topic]![origin] {
            trees[topic]![origin]!.lastUsed = now
            return tree.eager
        }
        if trees[topic]!.count >= settings.maxOrigins,
            let oldest = trees[topic]!.min(by: { ($0.value.lastUsed, $0.key) < ($1.value.lastUsed, $1.key) })?.key
        {
            trees[topic]![oldest] = nil
        }
        let eager = onTopic(topic) & ~excluding
        trees[topic]![origin] = Tree(eager: eager, lastUsed: now)
        return eager
    }

    /// Drops the stale deadlines at the top of the heap (messages found, deadlines moved), so that `nextDeadline`
    /// reads a live one.
    private mutating func pruneDeadlines() {
        while let first = missingDeadlines.min, missing[first.id]?.deadline != first.at {
            missingDeadlines.removeMin()
        }
    }

    /// A neighbour's DIGEST of `topic`: for each origin it lists whose messages here differ (count or hash), and — at
    /// its final frame — each origin here it did not list, the ids held are offered (IHAVE, on the reliable stream);
    /// the neighbour asks for those it lacks as for any announcement. A digest that is not a reply is answered with
    /// this node's own, so that what this node lacks is offered back even if its own first digest was lost.
    private mutating func digestReceived(
        topic: Topic, entries: [GossipFrame.DigestEntry], final: Bool, reply: Bool, settled: Bool, from slot: Int,
        now: Instant
    ) -> [GossipEffect] {
        let peer = slots[slot]!.id
        let mine = cache.summary(of: topic, before: settled ? now - settings.digestSettle : nil)
        var heard = digestHeard[slot]?[topic] ?? []
        var offered: [OriginTag] = []
        for entry in entries where heard.count < settings.maxOrigins && heard.insert(entry.origin).inserted {
            if let own = mine[entry.origin], own.count != entry.count || own.hash != entry.hash {
                offered.append(entry.origin)
            }
        }
        if final {
            offered += mine.keys.filter { !heard.contains($0) }
            digestHeard[slot]?[topic] = nil
        } else {
            digestHeard[slot, default: [:]][topic] = heard
        }
        var offer: [(id: MessageID, origin: OriginTag)] = []
        for origin in offered.sorted() where offer.count < settings.maxMissing {
            offer += mine[origin]!.ids.prefix(settings.maxMissing - offer.count).map { ($0, origin) }
        }
        counters.catchUpOffered += offer.count
        // Differences found: messages may still have been spreading on either side; look again a little later.
        if !offer.isEmpty, let state = followUps[slot]?[topic], state.due == nil, state.left > 0 {
            followUps[slot]![topic] = (now + settings.digestFollowUp, state.left)
        }
        var effects: [GossipEffect] = offer.chunked(GossipFrame.maxIDs).map {
            counters.ihavesSent += 1
            return .sendReliably(frame: GossipFrame.ihave(topic: topic, entries: Array($0)).encoded(), to: peer)
        }
        if final && !reply { effects += digest(topic, summary: mine, reply: true, settled: settled, to: peer) }
        return effects
    }

    /// The periodic anti-entropy: for each topic, a settled DIGEST to the next neighbour in turn that subscribes to it.
    private mutating func periodicDigests(now: Instant) -> [GossipEffect] {
        guard !slots.isEmpty else { return [] }
        var effects: [GossipEffect] = []
        lastDigestSlot = (lastDigestSlot + 1) % slots.count
        for topic in subscriptions.sorted() {
            for step in 0..<slots.count {
                let slot = (lastDigestSlot + step) % slots.count
                guard let neighbour = slots[slot], neighbour.topics.contains(topic),
                    score(slot, now: now) >= settings.gossipThreshold
                else { continue }
                let summary = cache.summary(of: topic, before: now - settings.digestSettle)
                effects += digest(topic, summary: summary, reply: false, settled: true, to: neighbour.id)
                break
            }
        }
        return effects
    }

    /// This node's DIGEST of `topic` for `peer`: its origins in order, `maxIDs` a frame, the last marked final.
    private mutating func digest(
        _ topic: Topic, summary: [OriginTag: OriginSummary], reply: Bool, settled: Bool = false, to peer: NodeID
    ) -> [GossipEffect] {
        let entries = summary.keys.sorted().prefix(settings.maxOrigins).map {
            GossipFrame.DigestEntry(origin: $0, count: summary[$0]!.count, hash: summary[$0]!.hash)
        }
        let chunks = entries.isEmpty ? [[]] : entries.chunked(GossipFrame.maxIDs).map(Array.init)
        counters.digestsSent += chunks.count
        return chunks.enumerated().map { index, chunk in
            let frame = GossipFrame.digest(
                topic: topic, entries: chunk, final: index == chunks.count - 1, reply: reply, settled: settled)
            return .sendReliably(frame: frame.encoded(), to: peer)
        }
    }

    /// Sends the cached messages among `ids` to `peer` (an IWANT or a GRAFT).
    private mutating func repair(_ ids: [MessageID], to slot: Int, now: Instant) -> [GossipEffect] {
        let peer = slots[slot]!.id
        let elapsed = Double((now - slots[slot]!.repairCountedAt).nanoseconds) / 1e9
        slots[slot]!.repairTokens = min(
            settings.repairBurst, slots[slot]!.repairTokens + max(0, elapsed) * settings.repairRate)
        slots[slot]!.repairCountedAt = now
        var effects: [GossipEffect] = []
        var refused = false
        defer { if refused { penalize(slot, by: settings.duplicatePenalty) } }
        for id in ids {
            guard let cached = cache.message(id) else { continue }
            guard slots[slot]!.repairTokens >= 1 else {
                counters.repairsRefused += 1
                refused = true
                continue
            }
            slots[slot]!.repairTokens -= 1
            let frame = GossipFrame.publish(topic: cached.topic, origin: cached.origin, payload: cached.payload)
            // Asked for explicitly: sent reliably, or a lost answer would leave the gap for good.
            effects.append(.sendReliably(frame: frame.encoded(), to: peer))
            counters.repairsSent += 1
        }
        return effects
    }

    /// Subscriptions from a peer that is not a neighbour yet are kept for when it is; anything else it sends is
    /// dropped.
    private mutating func keepPendingSubscriptions(_ bytes: [UInt8], from peer: NodeID) {
        guard case .subscriptions(let changes)? = try? GossipFrame(decoding: bytes) else { return }
        rememberPending([], of: peer)
        for change in changes {
            if change.subscribed {
                pendingSubscriptions[peer, default: []].insert(change.topic)
            } else {
                pendingSubscriptions[peer]?.remove(change.topic)
            }
        }
    }

    private mutating func rememberPending(_ topics: Set<Topic>, of peer: NodeID) {
        if pendingSubscriptions[peer] == nil && pendingSubscriptions.count >= Self.maxPending {
            pendingSubscriptions.removeValue(forKey: pendingSubscriptions.keys.min()!)
        }
        pendingSubscriptions[peer, default: []].formUnion(topics)
    }

    private mutating func penalize(_ slot: Int, reason: String) -> [GossipEffect] {
        decay(slot)
        slots[slot]!.invalid += settings.rejectPenalty
        return [.penalized(slots[slot]!.id, reason: reason)]
    }

    private mutating func penalize(_ slot: Int, by points: Double) {
        decay(slot)
        slots[slot]!.behaviour += points
    }

    /// Recomputes the colocation penalty of the neighbours in `group` (after one joined or left it).
    private mutating func updateColocation(_ group: UInt64?) {
        guard let group else { return }
        let members = slots.indices.filter { slots[$0]?.group == group }
        let surplus = Double(max(0, members.count - settings.colocationThreshold))
        for slot in members { slots[slot]!.colocation = settings.colocationWeight * surplus * surplus }
    }

    private func announce(_ topic: Topic, subscribed: Bool) -> [GossipEffect] {
        let frame = GossipFrame.subscriptions([(topic, subscribed)]).encoded()
        return slots.compactMap { $0?.id }.sorted().map { .sendReliably(frame: frame, to: $0) }
    }

    /// The mask of the neighbours that subscribe to `topic` and whose score is at least the publish threshold:
    /// those pushed messages; with `forwarding`, also not demoted as slow (`demote`: they get forwarded messages
    /// announced instead, and this node's own still pushed).
    private func onTopic(_ topic: Topic, now: Instant, forwarding: Bool = false) -> UInt64 {
        var mask: UInt64 = 0
        for (slot, neighbour) in slots.enumerated() {
            guard let neighbour, neighbour.topics.contains(topic) else { continue }
            if forwarding, let until = neighbour.demotedUntil, until > now { continue }
            if score(slot, now: now) >= settings.publishThreshold { mask |= UInt64(1) << slot }
        }
        return mask
    }

    /// The mask of the neighbours that subscribe to `topic`.
    private func onTopic(_ topic: Topic) -> UInt64 {
        var mask: UInt64 = 0
        for (slot, neighbour) in slots.enumerated() where neighbour?.topics.contains(topic) == true {
            mask |= UInt64(1) << slot
        }
        return mask
    }

    private func members(_ mask: UInt64) -> [NodeID] {
        var rest = mask
        var ids: [NodeID] = []
        while rest != 0 {
            if let id = slots[rest.trailingZeroBitCount]?.id { ids.append(id) }
            rest &= rest - 1
        }
        return ids
    }
}

extension Array {
    /// The elements in runs of at most `size`.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

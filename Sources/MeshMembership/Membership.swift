public import MeshCore

/// The timers and sizes of the membership core. The defaults follow HyParView's paper scaled to a trading network:
/// an active view of 8 and a passive view of 64.
public struct MembershipSettings: Sendable, Equatable {
    /// Peers kept connected (the active view). Seeds run with a larger one.
    public var activeViewSize = 8
    /// Peers known but not connected (the passive view), the reserve the active view is refilled from.
    public var passiveViewSize = 64
    /// Hops a JOIN's random walk takes before the new node is taken into an active view (HyParView's ARWL).
    public var activeRandomWalkLength: UInt8 = 6
    /// Random walks a contact starts for each JOIN, from as many random neighbours (HyParView starts one from each
    /// neighbour; with a seed's 32 that gave each joiner 32 links for an active view of 8, and every link beyond the
    /// view a handshake, an eviction and a refill elsewhere). One fewer than the active view: the contact is the
    /// joiner's first neighbour.
    public var joinWalks = 7
    /// At this many hops left, the walk also puts the new node in a passive view (PRWL).
    public var passiveRandomWalkLength: UInt8 = 3
    /// Below this many active peers the node refills from its passive view and, failing that, its seeds.
    public var lowWatermark = 4
    /// How often a node shuffles (exchanges records with a random walk's end), jittered ±25%.
    public var shuffleInterval = Duration.seconds(10)
    /// Records from the active view a shuffle carries.
    public var shuffleActive = 3
    /// Records from the passive view a shuffle carries.
    public var shufflePassive = 4
    /// How often a node with a short active view asks again, jittered ±25%: one NEIGHBOR request at a time to a
    /// passive peer, and a JOIN to a seed when no passive peer answers.
    public var refillInterval = Duration.seconds(2)
    /// How often a node returns to a seed even with a full active view (a shuffle with the seed, then a NEIGHBOR
    /// request to a passive peer), jittered ±25%, so that two halves of a partition that each filled their views
    /// find each other again when it heals (memberlist #222, serf #605).
    public var seedRefreshInterval = Duration.seconds(300)
    /// How long a NEIGHBOR request waits for its reply before the peer counts as unreachable.
    public var neighborTimeout = Duration.seconds(10)
    /// How often the node probes one of its neighbours, in turn (SWIM's protocol period); a neighbour heard from
    /// within the last period is skipped.
    public var probeInterval = Duration.seconds(1)
    /// How long a direct probe waits for its ACK before other neighbours are asked to probe indirectly.
    public var probeTimeout = Duration.milliseconds(500)
    /// Neighbours asked to probe indirectly (SWIM's k).
    public var indirectProbes = 3
    /// How long a suspected neighbour has to show it is alive before it is declared failed.
    public var suspicionTimeout = Duration.seconds(5)
    /// Reconnect backoff: after a peer could not be reached, it is not contacted again (as a seed to join through or
    /// a passive peer to ask) for this long, doubling with every further failure up to `maxBackoff`, ±25% jitter.
    public var baseBackoff = Duration.seconds(1)
    /// The longest backoff.
    public var maxBackoff = Duration.seconds(300)
    /// Lifeguard's local health: each probe that fails with no helper answering at all (a sign that this node, not
    /// the target, is slow or cut off) raises a score up to this; timeouts scale by 1 + score, so a struggling node
    /// does not declare healthy peers failed.
    public var maxLocalHealth = 8
    /// Eclipse defences (`Specs/membership.md`, "Address groups"): neighbours in the active view from one address
    /// group (IPv4 /16, IPv6 /32; private, loopback and link-local addresses are in none) at most; nil for no limit.
    public var maxActivePerGroup: Int? = 2
    /// Entries of the passive view from one address group at most (a new one replaces a random one of its group).
    public var maxPassivePerGroup: Int? = 8

    /// The defaults.
    public init() {}

    /// The seed profile: a larger active view (seeds are where everyone joins) and no periodic return to seeds.
    public static var seed: MembershipSettings {
        var settings = MembershipSettings()
        settings.activeViewSize = 32
        settings.passiveViewSize = 256
        settings.maxActivePerGroup = 8
        settings.maxPassivePerGroup = 32
        return settings
    }
}

/// What the membership core asks its shell (the node core) to do.
public enum MembershipEffect: Sendable, Equatable {
    /// Send `message` to `peer`, opening a session to one of its addresses if none is up. If the peer cannot be
    /// reached, the shell reports `peerUnreachable`.
    case send(MembershipMessage, to: PeerContact)
    /// Check that the neighbour `peer` answers: with a session up, a transport PING (its acknowledgment is reported
    /// with `probeAnswered`); without one, the PING message with `nonce` (answered by ACK, as `send`).
    case probe(PeerContact, nonce: UInt32)
    /// Close the session to `peer` (after anything sent before).
    case disconnect(NodeID)
    /// `peer` joined the active view: keep a session to it, gossip with it.
    case neighborUp(NodeID)
    /// `peer` left the active view.
    case neighborDown(NodeID)
    /// Call `timerFired` at this instant.
    case wake(at: Instant)
}

/// The membership core: HyParView's active and passive views kept by joins, neighbour requests and shuffles
/// (`Specs/membership.md`). Pure: inputs with `now` in, `MembershipEffect`s out; choices come from its own seeded
/// generator, and views are arrays in a fixed order, so a simulator replays it exactly.
public struct Membership: Sendable {
    /// The sizes and timers the core was made with.
    public let settings: MembershipSettings
    /// This node's current record (the node issues a new one when its addresses change).
    public private(set) var selfRecord: PeerRecord
    /// This node's id.
    public var nodeID: NodeID { selfRecord.nodeID }
    /// The seeds, from the accepted seed list (without this node).
    public private(set) var seeds: [PeerContact]
    /// Connected peers, at most `activeViewSize`, the longest held first.
    public private(set) var active: [PeerContact] = []
    /// The address group each active peer was taken in under (peers in none are absent).
    private var activeGroups: [NodeID: UInt64] = [:]
    /// Known peers in reserve, at most `passiveViewSize`.
    public private(set) var passive: [PeerContact] = []
    /// Peers asked to become neighbours, with when the request expires.
    private(set) var pending: [(id: NodeID, peer: PeerContact, expires: Instant)] = []
    /// The records this node sent in its last shuffle: the first to make room for the reply's.
    private var lastShuffleSent: [NodeID] = []
    /// Whether this node's last shuffle is still unanswered (a reply is taken only then, once).
    private var awaitingShuffleReply = false
    /// Shuffle replies this node could not pass back because the next hop had left its active view.
    public private(set) var shuffleRepliesLost = 0
    /// Shuffle replies for this node that came when none was awaited.
    public private(set) var shuffleRepliesUnexpected = 0
    /// This node's shuffles answered.
    public private(set) var shufflesCompleted = 0
    private var generator: Xoshiro256StarStar
    private var nextShuffle: Instant
    private var nextRefill: Instant
    private var nextSeedRefresh: Instant
    /// Messages refused, by what was wrong (for metrics).
    public private(set) var refused: [String: Int] = [:]
    /// When each neighbour was last heard from (any message counts).
    private var lastHeard: [NodeID: Instant] = [:]
    /// Neighbours suspected of having failed, since when.
    public private(set) var suspects: [(id: NodeID, since: Instant)] = []
    /// The probe under way: its target and nonce, when it went out, whether helpers were asked, how many NACKed.
    private var probe: (target: NodeID, nonce: UInt32, sentAt: Instant, indirect: Bool, nacks: Int)?
    /// Probes this node runs for others: its own nonce, who asked with which nonce, and until when.
    private var helping: [(nonce: UInt32, requester: NodeID, requesterNonce: UInt32, deadline: Instant)] = []
    private var probeCursor = 0
    private var nextProbe: Instant
    private var nonce: UInt32 = 0
    /// Lifeguard's local health score, 0 (healthy) to `maxLocalHealth`.
    public private(set) var localHealth = 0
    /// Neighbours declared failed so far (for metrics and tests).
    public private(set) var failuresDeclared = 0
    /// The last 32 neighbours declared failed, oldest first.
    public private(set) var recentFailures: [NodeID] = []
    /// At most this many indirect probes run for others at once.
    static let maxHelping = 64
    /// Peers that could not be reached: how many times in a row, and not to be tried before when.
    private var backoff: [NodeID: (failures: Int, until: Instant)] = [:]
    /// Banned peers and until when (`Instant` far in the future for "until unbanned").
    public private(set) var bans: [NodeID: Instant] = [:]
    /// At most this many peers are remembered for backoff, and this many bans kept.
    static let maxBackoffEntries = 1024
    static let maxBans = 4096

    /// A core for the node whose record is `selfRecord`, joining through `seeds`.
    public init(
        selfRecord: PeerRecord, seeds: [PeerContact], settings: MembershipSettings = MembershipSettings(), seed: UInt64,
        now: Instant
    ) {
        self.selfRecord = selfRecord
        self.settings = settings
        self.seeds = seeds.filter { $0.nodeID != selfRecord.nodeID }
        generator = Xoshiro256StarStar(seed: seed)
        // Every stored property needs a value before `jittered` (a mutating method) may run.
        (nextShuffle, nextRefill, nextSeedRefresh, nextProbe) = (now, now, now, now + settings.probeInterval)
        nextShuffle = now + jittered(settings.shuffleInterval)
        nextSeedRefresh = now + jittered(settings.seedRefreshInterval)
    }

    // MARK: Inputs

    /// Joins the overlay: a JOIN to one random seed (the refill timer tries others if it fails).
    public mutating func start(now: Instant) -> [MembershipEffect] {
        var effects: [MembershipEffect] = []
        joinThroughSeed(now: now, effects: &effects)
        nextRefill = now + jittered(settings.refillInterval)
        effects.append(.wake(at: nextDeadline))
        return effects
    }

    /// Handles a message from `sender`, whose identity the transport authenticated.
    /// `address`: where the transport authenticated `sender` (its address group counts for the active view's
    /// limits); nil when unknown, and then its record's first address counts.
    public mutating func received(
        _ message: MembershipMessage, from sender: NodeID, address: SocketAddress? = nil, now: Instant
    ) -> [MembershipEffect] {
        var effects: [MembershipEffect] = []
        if isBanned(sender, now: now) {
            refused["banned sender", default: 0] += 1
            return [.disconnect(sender)]
        }
        // A PING shows the sender alive but not that it still holds the link: a node that dropped this one still
        // pings it as another's helper, and counted as heard it would keep this node from ever probing it (and so
        // from learning, by the DISCONNECT a probe of a non-neighbour gets, that the link is one-sided).
        if case .ping = message {
            heard(sender, now: now, schedule: false)
        } else {
            heard(sender, now: now)
        }
        backoff[sender] = nil
        switch message {
        case .join(let record):
            guard record.nodeID == sender, sender != nodeID else { return refuse("join record not the sender's") }
            let joiner = PeerContact(record: record)
            // Announced: the joiner knows this node only from its seed list, and the NEIGHBOR carries this node's
            // signed record, which the joiner keeps (and stores) to come back through later. A joiner whose address
            // group already has its share of this node's neighbours still gets its walks, and is told to drop the
            // link it took on its side.
            let taken = addActive(
                joiner, group: Self.group(of: joiner, address: address), announce: true, effects: &effects)
            for peer in shuffled(active.filter { $0.nodeID != sender }).prefix(settings.joinWalks) {
                effects.append(.send(.forwardJoin(record, ttl: settings.activeRandomWalkLength), to: peer))
            }
            if !taken { effects.append(.send(.disconnect(alive: true), to: joiner)) }
        case .forwardJoin(let record, let ttl):
            // From any authenticated peer (a neighbour that dropped this node a moment ago still walks its joins).
            guard record.nodeID != nodeID, record.nodeID != sender else { break }
            let joiner = PeerContact(record: record)
            if ttl == 0 || active.count <= 1 {
                addActive(joiner, group: Self.group(of: joiner, address: nil), announce: true, effects: &effects)
                break
            }
            if ttl == settings.passiveRandomWalkLength { addPassive(joiner) }
            if let next = randomActive(excluding: [sender, record.nodeID]) {
                effects.append(.send(.forwardJoin(record, ttl: ttl - 1), to: next))
            } else {
                addActive(joiner, group: Self.group(of: joiner, address: nil), announce: true, effects: &effects)
            }
        case .neighbor(let record, let highPriority):
            guard record.nodeID == sender, sender != nodeID else { return refuse("neighbor record not the sender's") }
            let peer = PeerContact(record: record)
            let group = Self.group(of: peer, address: address)
            if isActive(sender)
                || ((highPriority || active.count < settings.activeViewSize) && hasRoom(in: group, for: sender))
            {
                addActive(peer, group: group, announce: false, effects: &effects)
                effects.append(.send(.neighborReply(accepted: true), to: contact(for: sender) ?? peer))
            } else {
                if !hasRoom(in: group, for: sender) { refused["address group full", default: 0] += 1 }
                addPassive(peer)
                effects.append(.send(.neighborReply(accepted: false), to: peer))
            }
        case .neighborReply(let accepted):
            // Without a request pending, it answers a NEIGHBOR this node sent when it took the peer in on its own
            // (`announce`), or a request that timed out or whose peer was taken in another way: nothing to do.
            guard let index = pending.firstIndex(where: { $0.id == sender }) else {
                // A late acceptance would leave the peer listing this node alone: undo it.
                if accepted && !isActive(sender) {
                    effects.append(.send(.disconnect(alive: true), to: reply(to: sender)))
                }
                break
            }
            let request = pending.remove(at: index)
            if accepted {
                removePassive(sender)
                // Its group may have filled since the request went out: undo the peer's side then.
                let group = Self.group(of: request.peer, address: address)
                if !addActive(request.peer, group: group, announce: false, effects: &effects) {
                    effects.append(.send(.disconnect(alive: true), to: request.peer))
                    addPassive(request.peer)
                }
            }
        // A refusal is not answered by asking the next peer at once: the refill timer asks again, so a full
        // neighbourhood costs one request per `refillInterval`, never a burst.
        case .disconnect(let alive):
            guard let peer = active.first(where: { $0.nodeID == sender }) else { break }
            removeActive(sender, effects: &effects)
            if alive { addPassive(peer) }
            effects.append(.disconnect(sender))
            if needsNeighbours { askForNeighbor(now: now, effects: &effects) }
        case .shuffle(let origin, let ttl, let records, let path):
            // From any authenticated peer: a neighbour that dropped this node a moment ago still forwards its walks.
            // A banned origin's walk goes no further and gets no answer.
            guard origin.nodeID != nodeID, !isBannedNow(origin.nodeID, now: now) else { break }
            if ttl > 0, active.count > 1, path.count < MembershipMessage.maxPath,
                let next = randomActive(excluding: [sender, origin.nodeID])
            {
                effects.append(
                    .send(.shuffle(origin: origin, ttl: ttl - 1, records: records, path: path + [nodeID]), to: next))
                break
            }
            let answer = Array(
                shuffled(passive.filter { $0.record != nil && $0.nodeID != origin.nodeID }).prefix(records.count)
                    .compactMap(\.record))
            // Back to the sender, on the session the walk came over (HyParView opens a connection to the origin
            // instead: one handshake per shuffle, which at 1,000 nodes was most of a quiet network's CPU).
            let back = path.last == sender ? Array(path.dropLast()) : path
            effects.append(
                .send(.shuffleReply(origin: origin.nodeID, path: back, records: answer), to: reply(to: sender)))
            integrate(records + [origin], evictFirst: answer.map(\.nodeID))
        case .shuffleReply(let origin, let path, let records):
            if origin == nodeID {
                // A second answer to one shuffle, or one that arrives after the next shuffle was answered: not the
                // sender's fault (it may only have relayed it), so ignored rather than refused.
                guard awaitingShuffleReply else {
                    shuffleRepliesUnexpected += 1
                    break
                }
                awaitingShuffleReply = false
                shufflesCompleted += 1
                integrate(records, evictFirst: lastShuffleSent)
                lastShuffleSent = []
                break
            }
            // Passed on only to a neighbour, one message for one: a relay opens no session and amplifies nothing.
            let next = path.last ?? origin
            guard let neighbour = active.first(where: { $0.nodeID == next }), next != sender else {
                shuffleRepliesLost += 1
                break
            }
            effects.append(
                .send(.shuffleReply(origin: origin, path: Array(path.dropLast()), records: records), to: neighbour))
        case .ping(let nonce):
            effects.append(.send(.ack(nonce: nonce), to: reply(to: sender)))
            disownOneSidedLink(of: sender, effects: &effects)
        case .ack(let nonce):
            if probe?.nonce == nonce {
                probeSucceeded()  // a helper's report that the target answered
            } else if let index = helping.firstIndex(where: { $0.nonce == nonce }) {
                let request = helping.remove(at: index)
                effects.append(
                    .send(
                        .ack(nonce: request.requesterNonce),
                        to: reply(to: request.requester)))
            }
        case .pingRequest(let requesterNonce, let target):
            guard let targetContact = contact(for: target), target != sender, target != nodeID,
                helping.count < Self.maxHelping
            else {
                effects.append(
                    .send(.nack(nonce: requesterNonce), to: reply(to: sender)))
                break
            }
            let mine = newNonce()
            // Lifeguard's timely NACK: the requester's indirect phase lasts `probeInterval - probeTimeout`; the "no
            // answer" must reach it before that ends, or it counts no helper as having answered and blames itself.
            // Unscaled: the requester's phase is at least this long, whatever this helper's own local health.
            let wait = (settings.probeInterval - settings.probeTimeout) * 4 / 5
            helping.append((mine, sender, requesterNonce, now + wait))
            effects.append(.send(.ping(nonce: mine), to: targetContact))
        case .nack(let nonce):
            if probe?.nonce == nonce { probe?.nacks += 1 }
        }
        effects.append(.wake(at: nextDeadline))
        return effects
    }

    /// The transport PING of a `.probe` of `peer` was acknowledged: the peer is alive (as an ACK to the PING
    /// message).
    public mutating func probeAnswered(by peer: NodeID, now: Instant) -> [MembershipEffect] {
        guard !isBanned(peer, now: now) else { return [] }
        heard(peer, now: now)
        backoff[peer] = nil
        return [.wake(at: nextDeadline)]
    }

    /// `peer` sent a transport PING (the probe of a `.probe`, answered by the transport itself): as a PING message,
    /// it shows the peer alive, and a peer that probes this node without being its neighbour is told so.
    public mutating func pinged(by peer: NodeID, now: Instant) -> [MembershipEffect] {
        guard !isBanned(peer, now: now) else { return [] }
        var effects: [MembershipEffect] = []
        heard(peer, now: now, schedule: false)
        backoff[peer] = nil
        disownOneSidedLink(of: peer, effects: &effects)
        effects.append(.wake(at: nextDeadline))
        return effects
    }

    /// A neighbour probing a node that does not list it holds a one-sided link: after this node restarted (the
    /// transport reconnects underneath, so nothing else tells it), or when a DISCONNECT went missing. Told, it drops
    /// this node and asks for a real neighbour. (A helper's PING gets the same answer, which only matters if it holds
    /// the same one-sided link.)
    private func disownOneSidedLink(of sender: NodeID, effects: inout [MembershipEffect]) {
        if !isActive(sender) && !pending.contains(where: { $0.id == sender }) {
            effects.append(.send(.disconnect(alive: true), to: reply(to: sender)))
        }
    }

    /// The shell could not reach `peer` (no handshake, the session died, or it stopped answering).
    public mutating func peerUnreachable(_ peer: NodeID, now: Instant) -> [MembershipEffect] {
        var effects: [MembershipEffect] = []
        noteFailure(peer, now: now)
        pending.removeAll { $0.id == peer }
        if isActive(peer) {
            removeActive(peer, effects: &effects)
            askForNeighbor(now: now, effects: &effects)
        }
        // A peer that cannot be reached is no reserve (HyParView drops it; a later shuffle may bring it back).
        removePassive(peer)
        effects.append(.wake(at: nextDeadline))
        return effects
    }

    /// Puts records learned earlier (from the peer store, after a restart) into the passive view, so the node can
    /// rejoin through them and not only through its seeds. Banned peers and this node's own record are skipped.
    public mutating func remember(_ records: [PeerRecord]) {
        // `addPassive` leaves out banned peers and this node.
        for record in records.prefix(settings.passiveViewSize) { addPassive(PeerContact(record: record)) }
    }

    /// The records of both views, for the peer store.
    public var knownRecords: [PeerRecord] { (active + passive).compactMap(\.record) }

    /// Bans `peer` until `until`: it leaves both views, its session is closed, its messages are refused, and no view
    /// takes it again while the ban lasts.
    public mutating func ban(_ peer: NodeID, until: Instant, now: Instant) -> [MembershipEffect] {
        guard peer != nodeID else { return [] }
        var effects: [MembershipEffect] = []
        if bans.count >= Self.maxBans, bans[peer] == nil,
            let soonest = bans.min(by: { ($0.value, $0.key) < ($1.value, $1.key) })
        {
            bans[soonest.key] = nil  // the ban that would end first makes room
        }
        bans[peer] = until
        pending.removeAll { $0.id == peer }
        if isActive(peer) {
            effects.append(.send(.disconnect(alive: false), to: contact(for: peer)!))
            removeActive(peer, effects: &effects)
            askForNeighbor(now: now, effects: &effects)
        }
        removePassive(peer)
        effects.append(.disconnect(peer))
        effects.append(.wake(at: nextDeadline))
        return effects
    }

    /// Asks `peer` to become a neighbour now, on an operator's request: its backoff is forgotten and the NEIGHBOR
    /// request is high-priority, which the peer accepts even with a full active view (HyParView's rule for a node
    /// with no neighbours). The peer joins the active view when it accepts, like any other request.
    /// - Throws: `OperatorRequestError` if `peer` is this node, banned, or already a neighbour.
    public mutating func connect(_ peer: PeerContact, now: Instant) throws(OperatorRequestError) -> [MembershipEffect] {
        guard peer.nodeID != nodeID else { throw .isSelf }
        guard !isBanned(peer.nodeID, now: now) else { throw .banned(peer.nodeID) }
        guard !isActive(peer.nodeID) else { throw .alreadyNeighbor(peer.nodeID) }
        guard !peer.addresses.isEmpty || contact(for: peer.nodeID) != nil else { throw .noAddress(peer.nodeID) }
        backoff[peer.nodeID] = nil
        let known = passive.first { $0.nodeID == peer.nodeID } ?? seeds.first { $0.nodeID == peer.nodeID }
        let target = peer.addresses.isEmpty ? known ?? peer : peer
        pending.removeAll { $0.id == peer.nodeID }
        pending.append((peer.nodeID, target, now + settings.neighborTimeout))
        return [.send(.neighbor(selfRecord, highPriority: true), to: target), .wake(at: nextDeadline)]
    }

    /// Drops neighbour `peer` on an operator's request: it is told with DISCONNECT, leaves both views (a shuffle
    /// may bring it back later; `ban` keeps it away), and a passive peer is asked to take its place.
    /// - Throws: `OperatorRequestError.notNeighbor` if `peer` is not in the active view.
    public mutating func disconnect(_ peer: NodeID, now: Instant) throws(OperatorRequestError) -> [MembershipEffect] {
        guard let contact = active.first(where: { $0.nodeID == peer }) else { throw .notNeighbor(peer) }
        var effects: [MembershipEffect] = [.send(.disconnect(alive: true), to: contact), .disconnect(peer)]
        removeActive(peer, effects: &effects)
        removePassive(peer)
        askForNeighbor(now: now, effects: &effects)
        effects.append(.wake(at: nextDeadline))
        return effects
    }

    /// Whether `peer` is on the seed list this node joined through.
    public func isSeed(_ peer: NodeID) -> Bool { seeds.contains { $0.nodeID == peer } }

    /// Lifts a ban.
    public mutating func unban(_ peer: NodeID) {
        bans[peer] = nil
    }

    /// Whether `peer` is banned at `now` (an expired ban is forgotten).
    public mutating func isBanned(_ peer: NodeID, now: Instant) -> Bool {
        guard let until = bans[peer] else { return false }
        if until <= now {
            bans[peer] = nil
            return false
        }
        return true
    }

    /// Whether `peer` may be contacted now (not backing off after failures).
    public func mayContact(_ peer: NodeID, now: Instant) -> Bool {
        backoff[peer].map { $0.until <= now } ?? true
    }

    private mutating func noteFailure(_ peer: NodeID, now: Instant) {
        let failures = (backoff[peer]?.failures ?? 0) + 1
        let exponent = min(failures - 1, 20)
        let raw = min(settings.baseBackoff.nanoseconds << exponent, settings.maxBackoff.nanoseconds)
        if backoff.count >= Self.maxBackoffEntries, backoff[peer] == nil {
            // Forget the entry whose wait ends first (ties broken by id, so that runs replay exactly).
            if let first = backoff.min(by: { ($0.value.until, $0.key) < ($1.value.until, $1.key) }) {
                backoff[first.key] = nil
            }
        }
        backoff[peer] = (failures, now + jittered(.nanoseconds(raw)))
    }

    /// Runs what is due: expired neighbour requests, the refill of a short active view, shuffles, seed refreshes.
    public mutating func timerFired(now: Instant) -> [MembershipEffect] {
        var effects: [MembershipEffect] = []
        for request in pending where request.expires <= now {
            pending.removeAll { $0.id == request.id }
            removePassive(request.id)
        }
        if now >= nextRefill {
            nextRefill = now + jittered(settings.refillInterval)
            // One request at a time; three at once with no neighbour at all, so that a node restarting among dead
            // stored peers does not wait out their timeouts one by one.
            let parallel = active.isEmpty ? 3 : 1
            if needsNeighbours && pending.count < parallel {
                if !askForNeighbor(now: now, effects: &effects) {
                    if pending.isEmpty { joinThroughSeed(now: now, effects: &effects) }
                } else {
                    while pending.count < parallel && askForNeighbor(now: now, effects: &effects) {}
                }
            }
        }
        if now >= nextShuffle {
            nextShuffle = now + jittered(settings.shuffleInterval)
            shuffle(effects: &effects)
        }
        if now >= nextSeedRefresh {
            nextSeedRefresh = now + jittered(settings.seedRefreshInterval)
            refreshThroughSeed(now: now, effects: &effects)
        }
        runLiveness(now: now, effects: &effects)
        if bans.values.contains(where: { $0 <= now }) { bans = bans.filter { $0.value > now } }
        effects.append(.wake(at: nextDeadline))
        return effects
    }

    /// The earliest instant `timerFired` has work.
    public var nextDeadline: Instant {
        // The refill timer only matters while the active view is short.
        var earliest = min(nextShuffle, nextSeedRefresh)
        if needsNeighbours { earliest = min(earliest, nextRefill) }
        for request in pending where request.expires < earliest { earliest = request.expires }
        // The next probe starts only once the running one has ended (`runLiveness`): while one runs, its own deadline
        // below is what is due. Counting `nextProbe` then would report an instant in the past for as long as the
        // probe lasts past a probe interval (under raised local health), and the shell would never be woken again.
        if !active.isEmpty && probe == nil { earliest = min(earliest, nextProbe) }
        if let running = probe {
            earliest = min(
                earliest,
                running.indirect
                    ? running.sentAt + scaled(settings.probeInterval) : running.sentAt + scaled(settings.probeTimeout))
        }
        for suspect in suspects { earliest = min(earliest, suspect.since + scaled(settings.suspicionTimeout)) }
        for request in helping { earliest = min(earliest, request.deadline) }
        return earliest
    }

    /// Whether `peer` is in the active view.
    public func isActive(_ peer: NodeID) -> Bool { active.contains { $0.nodeID == peer } }

    // MARK: Liveness

    /// Any message from `peer` shows it alive: it refutes a suspicion and ends a probe of it. With `schedule`, it
    /// also spares the peer the next probe in turn.
    private mutating func heard(_ peer: NodeID, now: Instant, schedule: Bool = true) {
        if schedule && isActive(peer) { lastHeard[peer] = now }
        suspects.removeAll { $0.id == peer }
        if probe?.target == peer { probeSucceeded() }
    }

    private mutating func probeSucceeded() {
        probe = nil
        localHealth = max(0, localHealth - 1)
    }

    /// `duration` stretched by local health (Lifeguard): 1 + score times.
    private func scaled(_ duration: Duration) -> Duration {
        .nanoseconds(duration.nanoseconds * Int64(1 + localHealth))
    }

    private mutating func newNonce() -> UInt32 {
        nonce &+= 1
        return nonce
    }

    /// The probe cycle: helpers' timeouts, the running probe's phases, expired suspicions, the next probe.
    private mutating func runLiveness(now: Instant, effects: inout [MembershipEffect]) {
        for request in helping where request.deadline <= now {
            effects.append(
                .send(
                    .nack(nonce: request.requesterNonce),
                    to: reply(to: request.requester)))
        }
        helping.removeAll { $0.deadline <= now }
        if let running = probe {
            if !isActive(running.target) {
                probe = nil
            } else if !running.indirect && now >= running.sentAt + scaled(settings.probeTimeout) {
                let helpers = shuffled(active.filter { $0.nodeID != running.target }).prefix(settings.indirectProbes)
                for helper in helpers {
                    effects.append(.send(.pingRequest(nonce: running.nonce, target: running.target), to: helper))
                }
                probe?.indirect = true
            } else if now >= running.sentAt + scaled(settings.probeInterval) {
                // No ACK, direct or indirect. If no helper answered either, this node may be the one cut off.
                if running.nacks == 0 { localHealth = min(settings.maxLocalHealth, localHealth + 1) }
                if !suspects.contains(where: { $0.id == running.target }) { suspects.append((running.target, now)) }
                probe = nil
            }
        }
        for suspect in suspects where now >= suspect.since + scaled(settings.suspicionTimeout) {
            suspects.removeAll { $0.id == suspect.id }
            guard isActive(suspect.id) else { continue }
            failuresDeclared += 1
            recentFailures.append(suspect.id)
            if recentFailures.count > 32 { recentFailures.removeFirst() }
            removeActive(suspect.id, effects: &effects)
            removePassive(suspect.id)
            effects.append(.disconnect(suspect.id))
            askForNeighbor(now: now, effects: &effects)
        }
        let neighbours = Set(active.map(\.nodeID))
        suspects.removeAll { !neighbours.contains($0.id) }
        if probe == nil && now >= nextProbe {
            nextProbe = now + settings.probeInterval
            guard !active.isEmpty else { return }
            for _ in 0..<active.count {
                probeCursor = (probeCursor + 1) % active.count
                let target = active[probeCursor]
                if let last = lastHeard[target.nodeID], now - last < settings.probeInterval { continue }
                let probeNonce = newNonce()
                probe = (target.nodeID, probeNonce, now, false, 0)
                effects.append(.probe(target, nonce: probeNonce))
                break
            }
        }
    }

    // MARK: Steps

    private mutating func refuse(_ reason: String) -> [MembershipEffect] {
        refused[reason, default: 0] += 1
        return []
    }

    /// Adds `peer`, in address group `group`, to the active view, dropping a neighbour (told with DISCONNECT) if it is
    /// full: a random one of the newer half, so that neighbours held longest stay (a stream of newcomers — sybils
    /// asking with high priority — can churn only the newer half). `announce`: this node decided on its own, so it
    /// asks the peer to take it as a neighbour too. False if the peer is not taken: banned, or its group is full.
    @discardableResult
    private mutating func addActive(
        _ peer: PeerContact, group: UInt64?, announce: Bool, effects: inout [MembershipEffect]
    ) -> Bool {
        guard peer.nodeID != nodeID, bans[peer.nodeID] == nil else { return false }
        if let index = active.firstIndex(where: { $0.nodeID == peer.nodeID }) {
            if let record = peer.record { _ = active[index].update(with: record) }
            return true
        }
        guard hasRoom(in: group, for: peer.nodeID) else {
            refused["address group full", default: 0] += 1
            return false
        }
        if active.count >= settings.activeViewSize, !active.isEmpty {
            let older = active.count / 2
            let dropped = active[older + Int(generator.next() % UInt64(active.count - older))]
            effects.append(.send(.disconnect(alive: true), to: dropped))
            effects.append(.disconnect(dropped.nodeID))
            removeActive(dropped.nodeID, effects: &effects)
            addPassive(dropped)
        }
        removePassive(peer.nodeID)
        pending.removeAll { $0.id == peer.nodeID }
        active.append(peer)
        if let group { activeGroups[peer.nodeID] = group }
        effects.append(.neighborUp(peer.nodeID))
        if announce { effects.append(.send(.neighbor(selfRecord, highPriority: true), to: peer)) }
        return true
    }

    private mutating func removeActive(_ peer: NodeID, effects: inout [MembershipEffect]) {
        guard let index = active.firstIndex(where: { $0.nodeID == peer }) else { return }
        active.remove(at: index)
        activeGroups[peer] = nil
        lastHeard[peer] = nil
        suspects.removeAll { $0.id == peer }
        effects.append(.neighborDown(peer))
    }

    /// Adds `peer` to the passive view (or refreshes its record), dropping a random entry if it is full. Seeds stay
    /// out: they are always known.
    private mutating func addPassive(_ peer: PeerContact) {
        guard peer.nodeID != nodeID, !isActive(peer.nodeID), bans[peer.nodeID] == nil else { return }
        if let index = passive.firstIndex(where: { $0.nodeID == peer.nodeID }) {
            if let record = peer.record { _ = passive[index].update(with: record) }
            return
        }
        // A group at its share replaces one of its own entries: records shuffled in by many peers of one network
        // (sybils) cannot crowd out the rest.
        if let limit = settings.maxPassivePerGroup, let group = Self.group(of: peer, address: nil) {
            let members = passive.indices.filter { Self.group(of: passive[$0], address: nil) == group }
            if members.count >= limit {
                passive.remove(at: members[Int(generator.next() % UInt64(members.count))])
            }
        }
        if passive.count >= settings.passiveViewSize {
            passive.remove(at: Int(generator.next() % UInt64(passive.count)))
        }
        passive.append(peer)
    }

    /// The address group of `address` for the views' limits: IPv4 /16 and IPv6 /32 (the networks one operator
    /// typically holds, as Bitcoin Core's address manager groups them); nil — in no group, never limited — for
    /// loopback, private (RFC 1918, IPv6 unique local), link-local and shared (RFC 6598) addresses, where a devnet, a
    /// LAN or a container network puts many honest nodes in one range.
    public static func addressGroup(of address: SocketAddress) -> UInt64? {
        switch address {
        case .ipv4(let host, _):
            let (a, b) = (host >> 24, host >> 16 & 0xFF)
            if a == 10 || a == 127 || a == 0 || (a == 172 && b & 0xF0 == 16) || (a == 192 && b == 168)
                || (a == 169 && b == 254) || (a == 100 && b & 0xC0 == 64)
            {
                return nil
            }
            return UInt64(host >> 16)
        case .ipv6(let bytes, _):
            if bytes == .loopback { return nil }
            return bytes.withUnsafeBytes { raw in
                let first = raw[0]
                // fc00::/7 (unique local), fe80::/10 (link-local).
                if first & 0xFE == 0xFC || (first == 0xFE && raw[1] & 0xC0 == 0x80) { return nil }
                // An IPv4-mapped address groups as its IPv4 address.
                if raw.prefix(10).allSatisfy({ $0 == 0 }) && raw[10] == 0xFF && raw[11] == 0xFF {
                    let host = UInt32(raw[12]) << 24 | UInt32(raw[13]) << 16 | UInt32(raw[14]) << 8 | UInt32(raw[15])
                    return addressGroup(of: .ipv4(host, port: 0))
                }
                return 1 << 63 | UInt64(raw[0]) << 24 | UInt64(raw[1]) << 16 | UInt64(raw[2]) << 8 | UInt64(raw[3])
            }
        }
    }

    /// The group `peer` counts in: that of `address` (where the transport authenticated it) when given, else that
    /// of its first known address.
    static func group(of peer: PeerContact, address: SocketAddress?) -> UInt64? {
        (address ?? peer.addresses.first).flatMap(addressGroup(of:))
    }

    /// Whether the active view may take `peer` in `group`: fewer than `maxActivePerGroup` other neighbours in it.
    private func hasRoom(in group: UInt64?, for peer: NodeID) -> Bool {
        guard let group, let limit = settings.maxActivePerGroup else { return true }
        var count = 0
        for (id, other) in activeGroups where other == group && id != peer { count += 1 }
        return count < limit
    }

    /// Whether the node asks for more neighbours (with high priority): below the low watermark, or with room while
    /// some address group holds more than one of its neighbours — a view that one network's nodes (sybils) crowd
    /// into fills up with others, so they hold at most `maxActivePerGroup` × their groups of `activeViewSize`.
    private var needsNeighbours: Bool {
        if active.count < settings.lowWatermark { return true }
        guard active.count < settings.activeViewSize, settings.maxActivePerGroup != nil, activeGroups.count > 1 else {
            return false
        }
        // Without allocating: this runs with every deadline asked for (at most `activeViewSize` entries).
        for first in activeGroups.indices {
            for second in activeGroups.indices[activeGroups.index(after: first)...]
            where activeGroups[first].value == activeGroups[second].value {
                return true
            }
        }
        return false
    }

    private mutating func removePassive(_ peer: NodeID) {
        passive.removeAll { $0.nodeID == peer }
    }

    /// Puts shuffled-in records into the passive view, making room by evicting `evictFirst` (what this node sent
    /// away) before random entries.
    private mutating func integrate(_ records: [PeerRecord], evictFirst: [NodeID]) {
        var evictable = evictFirst
        for record in records.prefix(MembershipMessage.maxRecords + 1) where record.nodeID != nodeID {
            if isActive(record.nodeID) {
                if let index = active.firstIndex(where: { $0.nodeID == record.nodeID }) {
                    _ = active[index].update(with: record)
                }
                continue
            }
            if passive.count >= settings.passiveViewSize, !passive.contains(where: { $0.nodeID == record.nodeID }),
                let victim = evictable.popLast(), passive.contains(where: { $0.nodeID == victim })
            {
                removePassive(victim)
            }
            addPassive(PeerContact(record: record))
        }
    }

    /// Sends NEIGHBOR to a random passive peer not already asked; false if there is none to ask.
    @discardableResult
    private mutating func askForNeighbor(now: Instant, effects: inout [MembershipEffect]) -> Bool {
        let candidates = passive.filter { peer in
            !pending.contains { $0.id == peer.nodeID } && mayContact(peer.nodeID, now: now)
        }
        guard !candidates.isEmpty else { return false }
        let peer = candidates[Int(generator.next() % UInt64(candidates.count))]
        pending.append((peer.nodeID, peer, now + settings.neighborTimeout))
        effects.append(.send(.neighbor(selfRecord, highPriority: needsNeighbours), to: peer))
        return true
    }

    /// Sends JOIN to a random seed that is not already a neighbour (any seed if all are).
    private mutating func joinThroughSeed(now: Instant, effects: inout [MembershipEffect]) {
        let reachable = seeds.filter { mayContact($0.nodeID, now: now) && !isBannedNow($0.nodeID, now: now) }
        let candidates = reachable.filter { !isActive($0.nodeID) }
        let pool = candidates.isEmpty ? reachable : candidates
        guard !pool.isEmpty else { return }
        let seed = pool[Int(generator.next() % UInt64(pool.count))]
        effects.append(.send(.join(selfRecord), to: seed))
        if !isActive(seed.nodeID) {
            // The seed takes a JOIN's sender into its active view; this side does the same.
            addActive(seed, group: nil, announce: false, effects: &effects)
        }
    }

    /// The periodic return to the seeds: a shuffle straight with a random seed (whose passive view spans the whole
    /// network), and a NEIGHBOR request to a random passive peer, which moves one of a full active view's links when
    /// accepted. Over rounds this rewires two halves that each filled their views during a partition.
    private mutating func refreshThroughSeed(now: Instant, effects: inout [MembershipEffect]) {
        if !seeds.isEmpty {
            let seed = seeds[Int(generator.next() % UInt64(seeds.count))]
            let records = Array(shuffled(passive).compactMap(\.record).prefix(settings.shufflePassive))
            lastShuffleSent = records.map(\.nodeID)
            awaitingShuffleReply = true
            effects.append(.send(.shuffle(origin: selfRecord, ttl: 0, records: records, path: []), to: seed))
        }
        if pending.isEmpty { askForNeighbor(now: now, effects: &effects) }
    }

    /// Starts a shuffle: this node's record, some active and passive records, on a random walk from a neighbour.
    private mutating func shuffle(effects: inout [MembershipEffect]) {
        guard let target = randomActive(excluding: []) else { return }
        let fromActive = shuffled(active.filter { $0.nodeID != target.nodeID }).prefix(settings.shuffleActive)
        let fromPassive = shuffled(passive).prefix(settings.shufflePassive)
        let records = Array((fromActive + fromPassive).compactMap(\.record).prefix(MembershipMessage.maxRecords))
        lastShuffleSent = records.map(\.nodeID)
        awaitingShuffleReply = true
        effects.append(
            .send(
                .shuffle(origin: selfRecord, ttl: settings.activeRandomWalkLength, records: records, path: []),
                to: target))
    }

    /// Whether a ban on `peer` lasts at `now` (read-only: expired bans are forgotten by `isBanned`).
    private func isBannedNow(_ peer: NodeID, now: Instant) -> Bool {
        bans[peer].map { $0 > now } ?? false
    }

    /// Where to answer `peer`: its contact if a view holds it, else its id alone (the session it spoke on).
    private func reply(to peer: NodeID) -> PeerContact {
        contact(for: peer) ?? PeerContact(nodeID: peer)
    }

    private func contact(for peer: NodeID) -> PeerContact? {
        active.first { $0.nodeID == peer } ?? passive.first { $0.nodeID == peer }
    }

    private mutating func randomActive(excluding excluded: [NodeID]) -> PeerContact? {
        let candidates = active.filter { !excluded.contains($0.nodeID) }
        guard !candidates.isEmpty else { return nil }
        return candidates[Int(generator.next() % UInt64(candidates.count))]
    }

    private mutating func shuffled(_ peers: [PeerContact]) -> [PeerContact] {
        var copy = peers
        copy.shuffle(using: &generator)
        return copy
    }

    /// `base` ± 25%, from the core's generator.
    private mutating func jittered(_ base: Duration) -> Duration {
        let quarter = max(base.nanoseconds / 4, 1)
        let offset = Int64(generator.next() % UInt64(2 * quarter)) - quarter
        return .nanoseconds(base.nanoseconds + offset)
    }
}

import MeshCore
import MeshCrypto
import MeshWire
import Testing

@testable import MeshMembership

@Suite("Membership views")
struct MembershipTests {
    /// Settings for the tests whose subject is not liveness: probes every 5 s instead of every second, which keeps
    /// these long virtual runs quick in a debug build.
    static func slowProbes(_ base: MembershipSettings = MembershipSettings()) -> MembershipSettings {
        var settings = base
        settings.probeInterval = .seconds(5)
        return settings
    }

    @Test("200 nodes joining through 3 seeds form one connected overlay with full, symmetric active views")
    func joinsConverge() {
        var network = MembershipNetwork(
            count: 200, seedCount: 3, settings: Self.slowProbes(), seedSettings: Self.slowProbes(.seed))
        network.start(0..<3)
        for batch in stride(from: 3, to: 200, by: 20) {
            network.start(batch..<min(batch + 20, 200))
            network.run(for: .seconds(1))
        }
        network.run(for: .seconds(40))
        let all = Array(0..<200)
        #expect(network.isConnected(all))
        let ordinary = Array(3..<200)
        let sizes = ordinary.map { network.nodes[$0].core.active.count }
        #expect(sizes.min()! >= MembershipSettings().lowWatermark, "active view sizes \(sizes.sorted())")
        #expect(sizes.allSatisfy { $0 <= MembershipSettings().activeViewSize })
        #expect(network.asymmetricLinks(all) == 0)
        let passive = ordinary.map { network.nodes[$0].core.passive.count }
        #expect(passive.min()! >= 10, "passive views \(passive.sorted())")
        let refused = network.nodes.map(\.core.refused).reduce(into: [String: Int]()) {
            $0.merge($1, uniquingKeysWith: +)
        }
        #expect(refused.isEmpty, "\(refused)")
    }

    @Test("crashed nodes leave the views of the living, who refill from their passive views")
    func crashesAreReplaced() {
        var network = MembershipNetwork(
            count: 100, seedCount: 3, settings: Self.slowProbes(), seedSettings: Self.slowProbes(.seed))
        network.start(0..<100)
        network.run(for: .seconds(60))
        let crashed = Set(stride(from: 10, to: 100, by: 5))  // 18 nodes
        for index in crashed { network.crash(index) }
        network.run(for: .seconds(120))
        let living = (0..<100).filter { !crashed.contains($0) }
        #expect(network.isConnected(living))
        for index in living {
            let neighbours = Set(network.activeNeighbours(index))
            #expect(neighbours.isDisjoint(with: crashed), "node \(index) still lists crashed \(neighbours)")
            #expect(network.nodes[index].core.active.count >= MembershipSettings().lowWatermark || index < 3)
        }
    }

    @Test("after a 50/50 partition heals, the overlay is one connected graph again")
    func partitionHeals() {
        let count = 60
        var network = MembershipNetwork(
            count: count, seedCount: 2, settings: Self.slowProbes(), seedSettings: Self.slowProbes(.seed))
        network.start(0..<count)
        network.run(for: .seconds(60))
        // Seed 0 and the even nodes on one side, seed 1 and the odd nodes on the other.
        network.isCut = { $0 % 2 != $1 % 2 }
        network.run(for: .seconds(300))
        let even = (0..<count).filter { $0 % 2 == 0 }
        let odd = (0..<count).filter { $0 % 2 == 1 }
        #expect(network.isConnected(even))
        #expect(network.isConnected(odd))
        let crossDuring = (0..<count).reduce(0) { total, index in
            total + network.activeNeighbours(index).filter { $0 % 2 != index % 2 }.count
        }
        #expect(crossDuring == 0)
        network.isCut = { _, _ in false }
        // Two seed refresh intervals: each node returns to a seed about twice.
        network.run(for: .seconds(600))
        #expect(network.isConnected(Array(0..<count)))
        let crossLinks = (0..<count).reduce(0) { total, index in
            total + network.activeNeighbours(index).filter { $0 % 2 != index % 2 }.count
        }
        #expect(crossLinks >= count / 5, "only \(crossLinks) links cross the healed partition")
    }

    @Test("a neighbour that vanishes without a word is found by probes and suspicion, and replaced")
    func silentCrashIsDetected() {
        var network = MembershipNetwork(count: 40, seedCount: 2)
        network.start(0..<40)
        network.run(for: .seconds(60))
        let victim = 11
        let hadIt = (0..<40).filter { network.activeNeighbours($0).contains(victim) }
        #expect(!hadIt.isEmpty)
        network.crash(victim, silently: true)
        // A neighbour probes each of its up to 8 neighbours in turn, once a second (a seed: up to 32, 22 here); then
        // 1 s of direct and indirect probing and 5 s of suspicion.
        network.run(for: .seconds(30))
        let living = (0..<40).filter { $0 != victim }
        for index in living {
            #expect(!network.activeNeighbours(index).contains(victim), "node \(index) still lists the vanished node")
        }
        #expect(hadIt.allSatisfy { network.nodes[$0].core.recentFailures.contains(network.ids[victim]) })
        #expect(network.isConnected(living))
    }

    @Test("a flapping node does not get healthy nodes declared failed")
    func flappingNodeEvictsNoHealthyOne() {
        var network = MembershipNetwork(count: 40, seedCount: 2)
        network.start(0..<40)
        network.run(for: .seconds(60))
        let flapper = 13
        for _ in 0..<20 {
            network.crash(flapper, silently: true)
            network.run(for: .seconds(3))
            network.revive(flapper)
            network.run(for: .seconds(3))
        }
        network.run(for: .seconds(30))
        let flapperID = network.ids[flapper]
        for index in 0..<40 {
            let wronglyDeclared = network.nodes[index].core.recentFailures.filter { $0 != flapperID }
            #expect(wronglyDeclared.isEmpty, "node \(index) declared healthy nodes failed: \(wronglyDeclared)")
        }
        #expect(network.isConnected(Array(0..<40)))
    }

    @Test("a seed that cannot be reached is retried with exponential backoff, not every refill")
    func seedBackoff() {
        let keys = (0..<2).map { try! Ed25519PrivateKey(seed: [UInt8](repeating: UInt8(40 + $0), count: 32)) }
        var now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
        let records = keys.map { PeerRecord(key: $0, seq: 1, issuedAt: now, addresses: [.ipv4(0x0A00_0001, port: 1)]) }
        var core = Membership(
            selfRecord: records[0], seeds: [PeerContact(record: records[1])], settings: Self.slowProbes(), seed: 9,
            now: now)
        var attempts: [Instant] = []
        var effects = core.start(now: now)
        let end = now + .seconds(600)
        while now < end {
            var failed = false
            for case .send(.join, let contact) in effects where contact.nodeID == records[1].nodeID {
                attempts.append(now)
                failed = true
            }
            effects = failed ? core.peerUnreachable(records[1].nodeID, now: now) : core.timerFired(now: now)
            if !failed { now = max(now + .milliseconds(1), core.nextDeadline) }
        }
        // Backoff from 1 s doubling to 300 s: about ten attempts in ten minutes, not one per 2 s refill.
        #expect((6...12).contains(attempts.count), "\(attempts.count) attempts")
        let gaps = zip(attempts.dropFirst(), attempts).map { ($0 - $1).nanoseconds }
        #expect(gaps.suffix(3).allSatisfy { $0 >= Duration.seconds(60).nanoseconds }, "gaps \(gaps)")
    }

    @Test("a neighbour dying under raised local health is still declared failed: the core's deadline stays ahead")
    func deadlineStaysAheadUnderRaisedLocalHealth() {
        let keys = (0..<2).map { try! Ed25519PrivateKey(seed: [UInt8](repeating: UInt8(60 + $0), count: 32)) }
        var now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
        let records = keys.map { PeerRecord(key: $0, seq: 1, issuedAt: now, addresses: [.ipv4(0x0A00_0001, port: 1)]) }
        // The seed is taken into the active view on JOIN and never answers: with no other neighbour to help, each
        // probe fails without a NACK and raises local health, which stretches the probe past a probe interval.
        var core = Membership(
            selfRecord: records[0], seeds: [PeerContact(record: records[1])], settings: MembershipSettings(), seed: 3,
            now: now)
        _ = core.start(now: now)
        #expect(core.isActive(records[1].nodeID))
        var wakes = 0
        while core.failuresDeclared == 0, wakes < 10_000 {
            let deadline = core.nextDeadline
            #expect(deadline > now, "asks to be woken in the past (\(deadline) <= \(now)): it would sleep forever")
            guard deadline > now else { return }
            now = deadline
            _ = core.timerFired(now: now)
            wakes += 1
        }
        #expect(core.failuresDeclared == 1, "the silent neighbour was never declared failed")
        #expect(core.localHealth >= 1, "the scenario raised local health, as it should")
        #expect(!core.isActive(records[1].nodeID))
    }

    @Test("a helper answers an indirect probe's NACK before the requester's probe interval ends")
    func timelyNack() {
        let keys = (0..<3).map { try! Ed25519PrivateKey(seed: [UInt8](repeating: UInt8(70 + $0), count: 32)) }
        let now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
        let records = keys.map { PeerRecord(key: $0, seq: 1, issuedAt: now, addresses: [.ipv4(0x0A00_0001, port: 1)]) }
        var helper = Membership(
            selfRecord: records[0], seeds: [PeerContact(record: records[2])], settings: MembershipSettings(), seed: 5,
            now: now)
        _ = helper.start(now: now)  // the target (records[2]) is in the helper's active view
        let settings = MembershipSettings()
        // Asked when the requester's direct probe timed out; the requester gives up at probeInterval after its ping.
        let asked = now + settings.probeTimeout
        _ = helper.received(.pingRequest(nonce: 7, target: records[2].nodeID), from: records[1].nodeID, now: asked)
        let requesterGivesUp = now + settings.probeInterval
        var nackAt: Instant?
        var clock = asked
        while nackAt == nil, clock < requesterGivesUp + .seconds(5) {
            clock = max(clock + .milliseconds(1), helper.nextDeadline)
            for case .send(.nack(7), _) in helper.timerFired(now: clock) { nackAt = clock }
        }
        #expect(nackAt != nil, "the helper never sent its NACK")
        #expect(nackAt.map { $0 < requesterGivesUp } == true, "the NACK at \(String(describing: nackAt)) is too late")
    }

    @Test("a banned peer leaves the views, its messages are refused, and shuffles do not bring it back")
    func banHolds() {
        var network = MembershipNetwork(count: 40, seedCount: 2)
        network.start(0..<40)
        network.run(for: .seconds(30))
        let judge = 20
        guard let banned = network.activeNeighbours(judge).first(where: { $0 >= 2 }) else {
            Issue.record("node \(judge) has no ordinary neighbour")
            return
        }
        network.ban(banned, at: judge, for: .seconds(3600))
        network.run(for: .seconds(120))
        #expect(!network.activeNeighbours(judge).contains(banned))
        #expect(!network.nodes[judge].core.passive.contains { $0.nodeID == network.ids[banned] })
        #expect(!network.activeNeighbours(banned).contains(judge))
        #expect(network.isConnected(Array(0..<40)))
    }

    @Test("the same inputs give the same views: the core is deterministic")
    func deterministic() {
        func views() -> [[Int]] {
            var network = MembershipNetwork(count: 40, seedCount: 2)
            network.start(0..<40)
            network.run(for: .seconds(120))
            return (0..<40).map { network.activeNeighbours($0) }
        }
        #expect(views() == views())
    }

    /// A core whose active view holds `neighbours` (each taken in by a high-priority NEIGHBOR).
    static func core(_ index: Int, of network: MembershipNetwork, neighbours: [Int]) -> Membership {
        var core = network.nodes[index].core
        for neighbour in neighbours {
            _ = core.received(
                .neighbor(network.nodes[neighbour].core.selfRecord, highPriority: true), from: network.ids[neighbour],
                now: network.now)
        }
        return core
    }

    @Test("a seed starts at most 7 join walks, however many neighbours it has")
    func joinWalksAreBounded() {
        let network = MembershipNetwork(count: 24, seedCount: 1)
        var seed = Self.core(0, of: network, neighbours: Array(1..<21))
        #expect(seed.active.count == 20)
        let effects = seed.received(.join(network.nodes[22].core.selfRecord), from: network.ids[22], now: network.now)
        var walks: [NodeID] = []
        for case .send(.forwardJoin(let record, let ttl), let peer) in effects {
            #expect(record.nodeID == network.ids[22])
            #expect(ttl == MembershipSettings().activeRandomWalkLength)
            walks.append(peer.nodeID)
        }
        #expect(walks.count == MembershipSettings().joinWalks)
        #expect(Set(walks).count == walks.count, "one walk per neighbour")
        #expect(!walks.contains(network.ids[22]))
    }

    @Test("a node below the low watermark asks with high priority, and a full view takes it in")
    func shortNodeAsksWithHighPriority() {
        let network = MembershipNetwork(count: 16, seedCount: 1)
        // Node 1 has two neighbours and knows node 5 (full, 8 neighbours) from its passive view.
        var short = Self.core(1, of: network, neighbours: [2, 3])
        short.remember([network.nodes[5].core.selfRecord])
        var full = Self.core(5, of: network, neighbours: Array(6..<14))
        #expect(full.active.count == MembershipSettings().activeViewSize)
        var asked: MembershipMessage?
        var clock = network.now
        while asked == nil, clock < network.now + .seconds(10) {
            clock = clock + .milliseconds(100)
            for case .send(let message, let peer) in short.timerFired(now: clock) where peer.nodeID == network.ids[5] {
                if case .neighbor = message { asked = message }
            }
        }
        guard case .neighbor(let record, let highPriority) = asked else {
            Issue.record("no NEIGHBOR request within 10 s")
            return
        }
        #expect(highPriority)
        let answer = full.received(.neighbor(record, highPriority: highPriority), from: network.ids[1], now: clock)
        #expect(answer.contains(.send(.neighborReply(accepted: true), to: PeerContact(record: record))))
        #expect(full.isActive(network.ids[1]))
        #expect(full.active.count == MembershipSettings().activeViewSize, "a random neighbour made room")
    }

    @Test("a walk's end answers the node it came from, with the path that leads back to the origin")
    func shuffleEndAnswersAlongThePath() {
        let network = MembershipNetwork(count: 8, seedCount: 1)
        let (origin, first, second) = (network.ids[1], network.ids[2], network.ids[3])
        var end = Self.core(4, of: network, neighbours: [3])
        let records = [network.nodes[6].core.selfRecord]
        let effects = end.received(
            .shuffle(origin: network.nodes[1].core.selfRecord, ttl: 0, records: records, path: [first, second]),
            from: second, now: network.now)
        let replies = effects.compactMap { effect -> (NodeID, [NodeID], NodeID)? in
            guard case .send(.shuffleReply(let replyOrigin, let path, _), let peer) = effect else { return nil }
            return (replyOrigin, path, peer.nodeID)
        }
        #expect(replies.count == 1)
        #expect(replies.first?.0 == origin)
        #expect(replies.first?.1 == [first], "the sender leaves the path: it is where the reply goes")
        #expect(replies.first?.2 == second)
        #expect(end.passive.contains { $0.nodeID == origin }, "the origin joins the walk's end's passive view")
        #expect(end.passive.contains { $0.nodeID == network.ids[6] })
    }

    @Test("a forwarded shuffle carries the forwarder in its path")
    func shuffleForwardExtendsThePath() {
        let network = MembershipNetwork(count: 8, seedCount: 1)
        var hop = Self.core(3, of: network, neighbours: [2, 5, 6])
        let effects = hop.received(
            .shuffle(origin: network.nodes[1].core.selfRecord, ttl: 4, records: [], path: [network.ids[2]]),
            from: network.ids[2], now: network.now)
        var forwarded = 0
        for case .send(.shuffle(let origin, let ttl, _, let path), let peer) in effects {
            forwarded += 1
            #expect(origin.nodeID == network.ids[1])
            #expect(ttl == 3)
            #expect(path == [network.ids[2], network.ids[3]])
            #expect([network.ids[5], network.ids[6]].contains(peer.nodeID), "never back to the sender")
        }
        #expect(forwarded == 1)
    }

    @Test("a relay passes a shuffle reply back only to a neighbour, and the origin takes one reply per shuffle")
    func shuffleReplyRelayAndOrigin() {
        let network = MembershipNetwork(count: 10, seedCount: 1)
        let origin = network.ids[1]
        var relay = Self.core(2, of: network, neighbours: [3, 4])
        // Next hop 3 is a neighbour: passed on, the path one shorter.
        let passed = relay.received(
            .shuffleReply(origin: origin, path: [network.ids[3]], records: []), from: network.ids[4],
            now: network.now)
        #expect(
            passed.contains { effect in
                if case .send(.shuffleReply(origin, [], []), let peer) = effect { return peer.nodeID == network.ids[3] }
                return false
            })
        // Next hop 7 is not: dropped and counted, no session opened for it.
        let dropped = relay.received(
            .shuffleReply(origin: origin, path: [network.ids[7]], records: []), from: network.ids[4],
            now: network.now)
        #expect(!dropped.contains { if case .send = $0 { return true } else { return false } })
        #expect(relay.shuffleRepliesLost == 1)
        // An empty path leads to the origin, which is not a neighbour of the relay either.
        _ = relay.received(.shuffleReply(origin: origin, path: [], records: []), from: network.ids[4], now: network.now)
        #expect(relay.shuffleRepliesLost == 2)

        // The origin without a shuffle under way ignores a reply, whatever records it brings.
        var idle = Self.core(1, of: network, neighbours: [2])
        let passiveBefore = idle.passive
        _ = idle.received(
            .shuffleReply(origin: origin, path: [], records: [network.nodes[8].core.selfRecord]),
            from: network.ids[2], now: network.now)
        #expect(idle.shuffleRepliesUnexpected == 1)
        #expect(idle.passive == passiveBefore)
        #expect(idle.refused.isEmpty, "not held against the relay")
    }

    @Test("shuffles are answered along their walks in a running network, and almost none are lost")
    func shufflesComplete() {
        var network = MembershipNetwork(
            count: 60, seedCount: 2, settings: Self.slowProbes(), seedSettings: Self.slowProbes(.seed))
        network.start(0..<60)
        network.run(for: .seconds(120))
        let completed = network.nodes.map(\.core.shufflesCompleted).reduce(0, +)
        let lost = network.nodes.map(\.core.shuffleRepliesLost).reduce(0, +)
        // About 12 shuffles per node in 120 s; a few replies meet a link that was just dropped.
        #expect(completed >= 60 * 8, "\(completed) shuffles answered")
        #expect(lost * 20 <= completed, "\(lost) replies lost against \(completed) answered")
        #expect(network.isConnected(Array(0..<60)))
    }

    @Test("a probe over a one-sided link is answered with ACK and DISCONNECT, and the prober drops the link")
    func oneSidedLinkIsDropped() {
        let network = MembershipNetwork(count: 8, seedCount: 1)
        var prober = Self.core(1, of: network, neighbours: [2, 3])
        // Node 2 restarted: a fresh core that does not list node 1.
        var restarted = network.nodes[2].core
        var answers: [MembershipMessage] = []
        for case .send(let message, let peer) in restarted.received(
            .ping(nonce: 5), from: network.ids[1], now: network.now)
        where peer.nodeID == network.ids[1] {
            answers.append(message)
        }
        #expect(answers == [.ack(nonce: 5), .disconnect(alive: true)])
        _ = prober.received(.ack(nonce: 5), from: network.ids[2], now: network.now)
        _ = prober.received(.disconnect(alive: true), from: network.ids[2], now: network.now)
        #expect(!prober.isActive(network.ids[2]))
        #expect(prober.passive.contains { $0.nodeID == network.ids[2] }, "alive: kept in reserve")
        // A neighbour's PING is only answered.
        var neighbour = Self.core(3, of: network, neighbours: [1])
        let plain = neighbour.received(.ping(nonce: 6), from: network.ids[1], now: network.now)
        #expect(!plain.contains { if case .send(.disconnect, _) = $0 { true } else { false } })
    }

    @Test("a probe is a transport PING: its answer ends the probe, and a PING over a one-sided link is disowned")
    func probesUseTheTransportPing() throws {
        let network = MembershipNetwork(count: 8, seedCount: 1)
        let neighbours = [2, 3, 4, 5]
        var prober = Self.core(1, of: network, neighbours: neighbours)
        // The first probe is due a probe interval after the core was made: one neighbour, by the transport.
        let due = network.now + MembershipSettings().probeInterval
        let effects = prober.timerFired(now: due)
        let probes = effects.compactMap { effect -> NodeID? in
            if case .probe(let contact, _) = effect { contact.nodeID } else { nil }
        }
        #expect(probes.count == 1)
        #expect(!effects.contains { if case .send(.ping, _) = $0 { true } else { false } })
        let target = try #require(probes.first)
        #expect(neighbours.map { network.ids[$0] }.contains(target))
        // Answered: no PING_REQ once the probe timeout has passed, no suspicion at the end of the interval.
        _ = prober.probeAnswered(by: target, now: due + .milliseconds(20))
        let later = prober.timerFired(now: due + .milliseconds(600))
        #expect(!later.contains { if case .send(.pingRequest, _) = $0 { true } else { false } })
        _ = prober.timerFired(now: due + .seconds(1))
        #expect(prober.suspects.isEmpty)
        // Unanswered: PING_REQ to helpers after the probe timeout, a suspect at the end of the interval; a transport
        // PING from the suspect refutes the suspicion.
        var silent = Self.core(1, of: network, neighbours: neighbours)
        _ = silent.timerFired(now: due)
        let asked = silent.timerFired(now: due + .milliseconds(600))
        #expect(asked.contains { if case .send(.pingRequest(_, target), _) = $0 { true } else { false } })
        _ = silent.timerFired(now: due + .seconds(1))
        #expect(silent.suspects.map(\.id) == [target])
        _ = silent.pinged(by: target, now: due + .milliseconds(1100))
        #expect(silent.suspects.isEmpty)
        // A transport PING from a peer that is not a neighbour gets DISCONNECT; a neighbour's gets nothing.
        var restarted = network.nodes[2].core
        let disowned = restarted.pinged(by: network.ids[1], now: network.now)
        #expect(
            disowned.contains {
                if case .send(.disconnect(alive: true), let to) = $0 { to.nodeID == network.ids[1] } else { false }
            })
        var neighbour = Self.core(3, of: network, neighbours: [1])
        let plain = neighbour.pinged(by: network.ids[1], now: network.now)
        #expect(!plain.contains { if case .send = $0 { true } else { false } })
    }

    @Test("a record in a message must be the sender's own")
    func impersonationIsRefused() {
        let network = MembershipNetwork(count: 4, seedCount: 1)
        var victim = network.nodes[0].core
        let other = network.nodes[2].core.selfRecord
        let effects = victim.received(.join(other), from: network.ids[1], now: network.now)
        #expect(effects.isEmpty)
        #expect(!victim.isActive(network.ids[2]))
        #expect(victim.refused["join record not the sender's"] == 1)
        _ = network
    }
}

@Suite("Membership messages")
struct MembershipMessageTests {
    static let key = try! Ed25519PrivateKey(seed: [UInt8](repeating: 3, count: 32))
    static let record = PeerRecord(
        key: key, seq: 1, issuedAt: Instant(nanosecondsSinceEpoch: 1), addresses: [.ipv4(0x7F00_0001, port: 9000)])

    @Test(
        "every message survives encoding and decoding",
        arguments: [
            MembershipMessage.join(record), .forwardJoin(record, ttl: 6), .neighbor(record, highPriority: true),
            .neighborReply(accepted: false), .disconnect(alive: true),
            .shuffle(origin: record, ttl: 3, records: [record, record], path: []),
            .shuffle(origin: record, ttl: 0, records: [], path: [record.nodeID, record.nodeID]),
            .shuffleReply(origin: record.nodeID, path: [], records: []),
            .shuffleReply(origin: record.nodeID, path: [record.nodeID], records: [record]),
        ])
    func roundTrip(message: MembershipMessage) throws {
        #expect(try MembershipMessage(decoding: message.encoded) == message)
    }

    @Test("truncations, trailing bytes, unknown types and oversized fields are refused")
    func malformed() {
        let bytes = MembershipMessage.shuffle(
            origin: Self.record, ttl: 3, records: [Self.record], path: [Self.record.nodeID]
        ).encoded
        for length in 0..<bytes.count {
            #expect(throws: MembershipMessageError.self) { try MembershipMessage(decoding: Array(bytes[..<length])) }
        }
        #expect(throws: MembershipMessageError.self) { try MembershipMessage(decoding: bytes + [0]) }
        #expect(throws: MembershipMessageError.self) {
            try MembershipMessage(decoding: Frame(type: 16, payload: []).encoded)
        }
        #expect(throws: MembershipMessageError.self) {
            try MembershipMessage(decoding: Frame(type: 4, payload: Self.record.encoded + [17]).encoded)
        }
        // A path of 17 hops, one more than the longest walk.
        var longPath = WireWriter()
        longPath.writeBytes32(Self.record.nodeID.publicKey)
        longPath.writeVarint(17)
        for _ in 0..<17 { longPath.writeBytes32(Self.record.nodeID.publicKey) }
        longPath.writeVarint(0)
        #expect(throws: MembershipMessageError.self) {
            try MembershipMessage(decoding: Frame(type: 14, payload: longPath.take()).encoded)
        }
    }
}

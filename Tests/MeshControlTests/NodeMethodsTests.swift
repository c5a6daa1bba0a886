import MeshCore
import MeshCrypto
import MeshMembership
import MeshNode
import MeshTransport
import Testing

@testable import MeshControl

// MARK: Harness

/// Node cores joined by an in-memory UDP network with a fixed latency and virtual time (after `NodeNetwork` in
/// `Tests/MeshNodeTests/NodeCoreTests.swift`): real handshakes, sessions and membership messages.
private struct TestMesh {
    var cores: [NodeCore] = []
    let addresses: [SocketAddress]
    var now = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)
    let latency = Duration.milliseconds(5)
    private var wakes: [Instant?]
    private var inFlight: [(at: Instant, to: Int, from: SocketAddress, bytes: [UInt8])] = []

    /// `count` nodes, the first `seedCount` of them seeds every node joins through; none started.
    init(count: Int, seedCount: Int) {
        let keys = (0..<count).map(TestMesh.key)
        addresses = (0..<count).map { SocketAddress.ipv4(0x0A00_0100 + UInt32($0), port: 9000) }
        let seeds = (0..<seedCount).map { [addresses] index in
            PeerContact(
                seed: SeedList.Seed(
                    peerID: keys[index].nodeID, addresses: [addresses[index]], operatorName: "test", contact: ""))
        }
        for index in 0..<count {
            let endpoint = Endpoint(
                identity: keys[index], settings: EndpointSettings(network: "test"),
                random: SeededRandomBytes(seed: UInt64(index) + 1), seed: UInt64(index) + 100, now: now)
            let record = PeerRecord(key: keys[index], seq: 1, issuedAt: now, addresses: [addresses[index]])
            let membership = Membership(
                selfRecord: record, seeds: seeds, settings: index < seedCount ? .seed : MembershipSettings(),
                seed: UInt64(index) + 1000, now: now)
            cores.append(NodeCore(endpoint: endpoint, membership: membership))
        }
        wakes = Array(repeating: nil, count: count)
    }

    /// The deterministic key of node `index` (also used for peers that are not in the mesh).
    static func key(_ index: Int) -> Ed25519PrivateKey {
        try! Ed25519PrivateKey(seed: (0..<32).map { UInt8(truncatingIfNeeded: (index &* 31) >> ($0 % 3)) ^ 0xA5 })
    }

    func id(_ index: Int) -> NodeID { cores[index].nodeID }

    mutating func start() {
        for index in cores.indices { apply(cores[index].start(now: now), at: index) }
    }

    /// Runs virtual time for `duration`: datagrams arrive after `latency`, timers fire when due.
    mutating func run(for duration: Duration) {
        let end = now + duration
        while true {
            var nextTimer: (index: Int, at: Instant)?
            for index in cores.indices {
                if let at = wakes[index], nextTimer.map({ at < $0.at }) ?? true { nextTimer = (index, at) }
            }
            guard let next = [inFlight.first?.at, nextTimer?.at].compactMap({ $0 }).min(), next <= end else { break }
            now = next
            if let datagram = inFlight.first, datagram.at == next {
                inFlight.removeFirst()
                apply(cores[datagram.to].receive(datagram.bytes, from: datagram.from, now: now), at: datagram.to)
            } else if let (index, _) = nextTimer {
                wakes[index] = nil
                apply(cores[index].timerFired(now: now), at: index)
            }
        }
        now = end
    }

    /// Carries out a node's effects (an operator's request's as well as its own).
    mutating func apply(_ effects: [NodeEffect], at index: Int) {
        for effect in effects {
            switch effect {
            case .send(let datagram, let address):
                guard let target = addresses.firstIndex(of: address) else { continue }
                inFlight.append((now + latency, target, addresses[index], datagram))
            case .wake(let at):
                wakes[index] = at
            case .event:
                break
            }
        }
    }
}

/// What the shell knows about node `index` of a `TestMesh`.
private func host(_ mesh: TestMesh, _ index: Int = 0, storeError: String? = nil) -> NodeHostInfo {
    NodeHostInfo(
        version: "0.9.1-test", network: "test", bootID: "boot-\(index)", startedAt: mesh.now, processID: 4242,
        dataDirectory: nil, addresses: [mesh.addresses[index]], seedProfile: false, storeError: storeError)
}

/// A node that knows no other: no seeds, no peers.
private func loneNode() -> TestMesh {
    TestMesh(count: 1, seedCount: 0)
}

/// A node id that belongs to no node of a small mesh.
private let stranger = TestMesh.key(77).nodeID

/// Calls `method` on node `index` of `mesh` as the control socket would, `later` after the mesh's clock.
private func call(
    _ method: String, _ params: JSONValue? = nil, on mesh: inout TestMesh, node index: Int = 0,
    later: Duration = .zero, metrics: (NodeCore) -> String = { _ in "" }
) -> NodeMethods.Outcome {
    NodeMethods.call(
        RPCRequest(id: 1, method: method, params: params), core: &mesh.cores[index], host: host(mesh, index),
        now: mesh.now + later, metrics: metrics)
}

/// The result of a call that must succeed.
private func result(_ outcome: NodeMethods.Outcome) throws -> JSONValue {
    switch outcome.result {
    case .success(let value): return value
    case .failure(let error): throw error
    }
}

/// The error code of a call, nil for a success.
private func code(_ outcome: NodeMethods.Outcome) -> Int? {
    if case .failure(let error) = outcome.result { return error.code }
    return nil
}

/// The error message of a call, "" for a success.
private func message(_ outcome: NodeMethods.Outcome) -> String {
    if case .failure(let error) = outcome.result { return error.message }
    return ""
}

/// The datagram destinations among a node's effects.
private func sends(_ effects: [NodeEffect]) -> [SocketAddress] {
    effects.compactMap { if case .send(_, let address) = $0 { address } else { nil } }
}

/// The node events among a node's effects.
private func events(_ effects: [NodeEffect]) -> [NodeEvent] {
    effects.compactMap { if case .event(let event) = $0 { event } else { nil } }
}

/// The entries of a `peers.list` result by node id.
private func entries(_ list: JSONValue) -> [String: JSONValue] {
    guard case .array(let peers)? = list["peers"] else { return [:] }
    var byID: [String: JSONValue] = [:]
    for peer in peers { if case .string(let id)? = peer["id"] { byID[id] = peer } }
    return byID
}

/// Whether `text` has the line `line` (not shown whole when an expectation fails: it is long).
private func hasLine(_ text: String, _ line: String) -> Bool {
    text.split(separator: "\n").contains { $0 == line }
}

/// Whether `text` has a line that starts with `prefix`.
private func hasLine(_ text: String, prefix: String) -> Bool {
    text.split(separator: "\n").contains { $0.hasPrefix(prefix) }
}

/// Whether `text` ends with a newline.
private func endsWithNewline(_ text: String) -> Bool { text.hasSuffix("\n") }

// MARK: node.*

@Suite("Node methods: node.*")
struct NodeMethodsNodeTests {
    @Test func helloNamesTheAPIVersionAndCapabilities() throws {
        var mesh = loneNode()
        let hello = try result(call("node.hello", ["api_versions": [1, 7], "client": "cli"], on: &mesh))
        #expect(hello["api_version"] == 1)
        #expect(
            hello["capabilities"] == [
                "node", "peers", "events", "metrics", "logs", "indicators", "strategies", "signals", "feed",
            ])
        #expect(hello["node_id"] == .string(mesh.id(0).text))
        #expect(hello["node_version"] == "0.9.1-test")
        #expect(hello["network"] == "test")
        #expect(hello["boot_id"] == "boot-0")
        #expect(try result(call("node.hello", on: &mesh))["api_version"] == 1, "api_versions may be left out")
    }

    @Test func helloWithOnlyUnknownVersionsIsUnsupported() throws {
        var mesh = loneNode()
        let outcome = call("node.hello", ["api_versions": [2]], on: &mesh)
        #expect(code(outcome) == -32002)
        guard case .failure(let error) = outcome.result else { return }
        #expect(error.data == ["supported": [1]])
    }

    @Test(arguments: [
        JSONValue.object(["api_versions": "x"]), ["api_versions": []], ["api_versions": ["1"]], ["client": 5],
        ["version": 1], [1],
    ])
    func helloWithBadParamsIsInvalidParams(_ params: JSONValue) {
        var mesh = loneNode()
        #expect(code(call("node.hello", params, on: &mesh)) == -32602)
    }

    @Test func infoDescribesTheNode() throws {
        var mesh = loneNode()
        let info = try result(call("node.info", on: &mesh, later: .seconds(90)))
        #expect(info["node_id"] == .string(mesh.id(0).text))
        #expect(info["network"] == "test")
        #expect(info["version"] == "0.9.1-test")
        #expect(info["boot_id"] == "boot-0")
        #expect(info["pid"] == 4242)
        #expect(info["started_at"] == .string(RFC3339.text(mesh.now)))
        #expect(info["uptime_seconds"] == 90)
        #expect(info["addresses"] == ["10.0.1.0:9000"])
        #expect(info["data_dir"] == .null)
        #expect(info["seed_profile"] == false)
        #expect(info["record_seq"] == 1)
        #expect(info["peers"] == ["active": 0, "passive": 0, "seeds": 0, "connected": 0, "banned": 0])
        #expect(
            info["traffic"] == [
                "datagrams_in": 0, "datagrams_out": 0, "bytes_in": 0, "bytes_out": 0, "handshakes_completed": 0,
                "handshakes_answered": 0,
            ])
        #expect(info["limits"]?["active_view"] == .integer(MembershipSettings().activeViewSize))
        #expect(info["limits"]?["passive_view"] == .integer(MembershipSettings().passiveViewSize))
    }

    @Test func infoTakesNoParams() {
        var mesh = loneNode()
        let outcome = call("node.info", ["verbose": true], on: &mesh)
        #expect(code(outcome) == -32602)
        #expect(message(outcome).contains("takes no params"))
    }

    @Test func aLoneNodeIsIsolated() throws {
        var mesh = loneNode()
        let health = try result(call("node.health", on: &mesh))
        #expect(health["status"] == "isolated")
        #expect(health["checks"]?["neighbors"] == 0)
        #expect(health["checks"]?["peer_store"] == "ok")
        guard case .array(let problems)? = health["problems"] else {
            Issue.record("problems is an array")
            return
        }
        #expect(problems.count == 2, "no neighbours, and nothing to join through")
    }

    @Test func aFailingPeerStoreIsAProblem() {
        let mesh = loneNode()
        let health = NodeMethods.health(core: mesh.cores[0], host: host(mesh, storeError: "disk full"))
        #expect(health["checks"]?["peer_store"] == "failing")
        guard case .array(let problems)? = health["problems"] else {
            Issue.record("problems is an array")
            return
        }
        #expect(problems.contains { if case .string(let text) = $0 { text.contains("disk full") } else { false } })
    }

    @Test func stopAnswersAndAsksTheShellToStop() throws {
        var mesh = loneNode()
        let outcome = call("node.stop", on: &mesh)
        #expect(try result(outcome) == ["stopping": true])
        #expect(outcome.stop)
        #expect(!call("node.info", on: &mesh).stop)
    }

    @Test func anUnknownMethodIsMethodNotFound() {
        var mesh = loneNode()
        let outcome = call("peers.frobnicate", on: &mesh)
        #expect(code(outcome) == -32601)
        #expect(message(outcome).contains("peers.frobnicate"))
    }
}

// MARK: peers.*

@Suite("Node methods: peers.*")
struct NodeMethodsPeerTests {
    @Test func aLoneNodeListsNoPeers() throws {
        var mesh = loneNode()
        for view in ["active", "passive", "all"] {
            #expect(try result(call("peers.list", ["view": .string(view)], on: &mesh)) == ["peers": []])
        }
        #expect(try result(call("peers.list", on: &mesh)) == ["peers": []])
        #expect(code(call("peers.list", ["view": "some"], on: &mesh)) == -32602)
    }

    @Test func connectedNeighboursAreListedWithTheirSessions() throws {
        var mesh = TestMesh(count: 3, seedCount: 1)
        mesh.start()
        mesh.run(for: .seconds(20))
        let atJoiner = entries(try result(call("peers.list", on: &mesh, node: 1)))
        let atSeed = entries(try result(call("peers.list", on: &mesh, node: 0)))
        let seedAtJoiner = try #require(atJoiner[mesh.id(0).text], "node 1 has the seed as a neighbour")
        let joinerAtSeed = try #require(atSeed[mesh.id(1).text], "the seed has node 1 as a neighbour")
        #expect(seedAtJoiner["view"] == "active")
        #expect(seedAtJoiner["connected"] == true)
        #expect(seedAtJoiner["is_seed"] == true)
        #expect(joinerAtSeed["is_seed"] == false)
        // Neighbours are gossip's too: each has a score, 0 with nothing against it.
        #expect(seedAtJoiner["gossip_score"] == .double(0) && joinerAtSeed["gossip_score"] == .double(0))
        #expect(seedAtJoiner["gossip_graylisted"] == false)
        #expect(seedAtJoiner["gossip_score_parts"]?["invalid_messages"] == .double(0))
        #expect(seedAtJoiner["gossip_score_parts"]?["colocation"] == .double(0))
        #expect(seedAtJoiner["direction"] == "outbound", "node 1 reached out to its seed")
        #expect(joinerAtSeed["direction"] == "inbound")
        #expect(seedAtJoiner["addresses"] == ["10.0.1.0:9000"])
        #expect(seedAtJoiner["suspect"] == false)
        #expect(seedAtJoiner["record_seq"] == 1)
        if case .string(let since)? = seedAtJoiner["connected_since"] {
            #expect(since.hasPrefix("2026-"))
        } else {
            Issue.record("a connected peer has connected_since")
        }
        for key in ["bytes_in", "bytes_out", "packets_in", "packets_out"] {
            guard case .int(let count)? = seedAtJoiner[key] else {
                Issue.record("\(key) is an integer")
                continue
            }
            #expect(count > 0, "\(key)")
        }
        if case .double(let rtt)? = seedAtJoiner["rtt_ms"] {
            #expect(rtt >= 10 && rtt < 100, "two 5 ms hops")
        } else {
            Issue.record("a connected peer has an RTT sample")
        }
        let info = try result(call("node.info", on: &mesh, node: 1))
        #expect(info["peers"]?["connected"] == .integer(atJoiner.count))
        #expect(info["traffic"]?["handshakes_completed"] != 0)
        let health = try result(call("node.health", on: &mesh, node: 1))
        #expect(health["status"] == "ok", "both other nodes are neighbours")
    }

    @Test func aBanLastsADayByDefaultAndIsListed() throws {
        var mesh = loneNode()
        let outcome = call("peers.ban", ["id": .string(stranger.text)], on: &mesh)
        let until = RFC3339.text(mesh.now + .seconds(86_400))
        #expect(try result(outcome) == ["banned": .string(stranger.text), "until": .string(until)])
        #expect(events(outcome.effects) == [.banned(stranger, until: mesh.now + .seconds(86_400))])
        let bans = try result(call("peers.bans", on: &mesh))
        #expect(bans == ["bans": [["id": .string(stranger.text), "until": .string(until)]]])
        #expect(try result(call("node.info", on: &mesh))["peers"]?["banned"] == 1)
    }

    @Test func aBanCanBeGivenALengthAndEnds() throws {
        var mesh = loneNode()
        let outcome = call("peers.ban", ["id": .string(stranger.text), "duration_seconds": 60], on: &mesh)
        #expect(try result(outcome)["until"] == .string(RFC3339.text(mesh.now + .seconds(60))))
        #expect(try result(call("peers.bans", on: &mesh, later: .seconds(59))) != ["bans": []])
        #expect(try result(call("peers.bans", on: &mesh, later: .seconds(60))) == ["bans": []], "it is over")
    }

    @Test(arguments: [
        JSONValue.object(["id": "sm1nope"]), [:], ["id": 5], ["duration_seconds": 60],
        ["id": .string(stranger.text), "duration_seconds": 0],
        ["id": .string(stranger.text), "duration_seconds": -5],
        ["id": .string(stranger.text), "duration_seconds": .integer(NodeMethods.maxBanSeconds + 1)],
        ["id": .string(stranger.text), "duration_seconds": "60"],
        ["id": .string(stranger.text), "reason": "spam"],
    ])
    func aBanWithBadParamsIsInvalidParams(_ params: JSONValue) throws {
        var mesh = loneNode()
        let outcome = call("peers.ban", params, on: &mesh)
        #expect(code(outcome) == -32602)
        #expect(outcome.effects.isEmpty)
        #expect(try result(call("peers.bans", on: &mesh)) == ["bans": []])
    }

    @Test func aNodeCannotBanItself() throws {
        var mesh = loneNode()
        let outcome = call("peers.ban", ["id": .string(mesh.id(0).text)], on: &mesh)
        #expect(code(outcome) == -32001)
        #expect(try result(call("peers.bans", on: &mesh)) == ["bans": []])
    }

    @Test func anUnbanLiftsTheBanOnce() throws {
        var mesh = loneNode()
        _ = call("peers.ban", ["id": .string(stranger.text)], on: &mesh)
        let lifted = call("peers.unban", ["id": .string(stranger.text)], on: &mesh)
        #expect(try result(lifted) == ["unbanned": .string(stranger.text)])
        #expect(events(lifted.effects) == [.unbanned(stranger)])
        #expect(try result(call("peers.bans", on: &mesh)) == ["bans": []])
        let again = call("peers.unban", ["id": .string(stranger.text)], on: &mesh)
        #expect(code(again) == -32001)
        #expect(message(again).contains("not banned"))
        #expect(again.effects.isEmpty)
    }

    @Test func disconnectingANonNeighbourIsRefused() {
        var mesh = loneNode()
        let outcome = call("peers.disconnect", ["id": .string(stranger.text)], on: &mesh)
        #expect(code(outcome) == -32001)
        #expect(message(outcome).contains("not a neighbour"))
        #expect(code(call("peers.disconnect", ["id": "garbage"], on: &mesh)) == -32602)
        #expect(code(call("peers.disconnect", on: &mesh)) == -32602)
    }

    @Test func disconnectingANeighbourTellsIt() throws {
        var mesh = TestMesh(count: 3, seedCount: 1)
        mesh.start()
        mesh.run(for: .seconds(20))
        let outcome = call("peers.disconnect", ["id": .string(mesh.id(0).text)], on: &mesh, node: 1)
        #expect(try result(outcome) == ["disconnected": .string(mesh.id(0).text)])
        #expect(events(outcome.effects).contains(.neighborDown(mesh.id(0))))
        #expect(!mesh.cores[1].membership.isActive(mesh.id(0)))
    }

    @Test(arguments: ["garbage", "sm1abc@127.0.0.1:9", "@127.0.0.1:9", "\(TestMesh.key(77).nodeID.text)@localhost"])
    func connectingToSomethingThatIsNotAPeerIsInvalidParams(_ peer: String) {
        var mesh = loneNode()
        let outcome = call("peers.connect", ["peer": .string(peer)], on: &mesh)
        #expect(code(outcome) == -32602)
        #expect(outcome.effects.isEmpty)
    }

    @Test func connectingToAnAddressStartsAHandshake() throws {
        var mesh = loneNode()
        let outcome = call("peers.connect", ["peer": .string("\(stranger.text)@127.0.0.1:9")], on: &mesh)
        #expect(try result(outcome) == ["requested": .string(stranger.text)])
        #expect(sends(outcome.effects) == [.ipv4(0x7F00_0001, port: 9)])
    }

    @Test func connectingIsRefusedForSelfBannedAndUnknownAddresses() throws {
        var mesh = loneNode()
        #expect(code(call("peers.connect", ["peer": .string("\(mesh.id(0).text)@127.0.0.1:9")], on: &mesh)) == -32001)
        let noAddress = call("peers.connect", ["peer": .string(stranger.text)], on: &mesh)
        #expect(code(noAddress) == -32001)
        #expect(message(noAddress).contains("no address"))
        _ = call("peers.ban", ["id": .string(stranger.text)], on: &mesh)
        let banned = call("peers.connect", ["peer": .string("\(stranger.text)@127.0.0.1:9")], on: &mesh)
        #expect(code(banned) == -32001)
        #expect(banned.effects.isEmpty)
    }
}

// MARK: metrics.get

@Suite("Node methods: metrics.get")
struct NodeMethodsMetricsTests {
    /// The metrics text of node `index`, as `metrics.get` returns it.
    private func metricsText(_ mesh: inout TestMesh, node index: Int = 0) throws -> String {
        var server = ControlServer(bootID: "boot-\(index)")
        _ = server.accepted(ControlConnectionID(1))
        server.record(type: "neighbor.up", data: [:], now: mesh.now)
        let control = NodeMetrics.ControlStatus(server)
        let info = host(mesh, index)
        let answer = try result(
            call("metrics.get", ["format": "prometheus"], on: &mesh, node: index) { core in
                NodeMetrics.render(
                    core: core, host: info, control: control, now: info.startedAt + .milliseconds(12_500),
                    extra: [
                        NodeMetrics.Family(
                            name: "signalmesh_loop_lag_seconds", type: "gauge", help: "Loop lag.",
                            samples: [([("quantile", "0.99")], 0.25)])
                    ])
            })
        #expect(answer["format"] == "prometheus")
        guard case .string(let text)? = answer["text"] else {
            Issue.record("metrics.get returns text")
            return ""
        }
        return text
    }

    @Test func everySampleLineIsPrometheusText() throws {
        var mesh = TestMesh(count: 3, seedCount: 1)
        mesh.start()
        mesh.run(for: .seconds(20))
        let text = try metricsText(&mesh, node: 1)
        #expect(endsWithNewline(text))
        var typed: Set<String> = []
        var samples = 0
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                #expect(parts.count == 4 && ["counter", "gauge"].contains(parts[3]), "\(line)")
                typed.insert(String(parts[2]))
                continue
            }
            if line.hasPrefix("#") {
                #expect(line.hasPrefix("# HELP signalmesh_"), "\(line)")
                continue
            }
            samples += 1
            #expect(line.wholeMatch(of: #/[a-z_:][a-z0-9_:]*(\{[^}]*\})? -?[0-9.e+Inf]+/#) != nil, "\(line)")
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            #expect(typed.contains(name), "\(name) has a TYPE line before its samples")
        }
        #expect(samples > 20)
        #expect(hasLine(text, "signalmesh_uptime_seconds 12.5"))
        #expect(hasLine(text, "signalmesh_events_total 1"))
        #expect(hasLine(text, "signalmesh_control_connections 1"))
        #expect(hasLine(text, "signalmesh_build_info{version=\"0.9.1-test\",network=\"test\"} 1"))
        #expect(hasLine(text, "signalmesh_loop_lag_seconds{quantile=\"0.99\"} 0.25"))
        #expect(!hasLine(text, "signalmesh_handshakes_total{event=\"completed\"} 0"), "node 1 completed one")
    }

    @Test func handshakesAndDropsHaveHelpAndType() throws {
        var mesh = loneNode()
        let text = try metricsText(&mesh)
        for family in ["signalmesh_handshakes_total", "signalmesh_drops_total"] {
            #expect(hasLine(text, prefix: "# HELP \(family) "), "\(family)")
            #expect(hasLine(text, "# TYPE \(family) counter"), "\(family)")
        }
        let drops = text.split(separator: "\n").filter { $0.hasPrefix("signalmesh_drops_total{") }
        #expect(drops.count == DropReason.allCases.count, "one sample per drop reason")
        let odd = drops.filter { $0.wholeMatch(of: #/signalmesh_drops_total\{reason="[a-z0-9_]+"\} 0/#) == nil }
        #expect(odd == [], "reasons are snake_case labels")
    }

    @Test func labelValuesAndHelpAreEscaped() {
        var text = PrometheusText()
        text.family("m", type: "gauge", help: "a \\ b\nc", samples: [([("l", "say \"hi\"\n")], 1)])
        #expect(text.text == "# HELP m a \\\\ b\\nc\n# TYPE m gauge\nm{l=\"say \\\"hi\\\"\\n\"} 1\n")
    }

    @Test(arguments: [
        (1.0, "1"), (0.25, "0.25"), (-3.0, "-3"), (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"),
    ])
    func valuesAreWrittenAsPrometheusNumbers(_ value: Double, _ text: String) {
        #expect(PrometheusText.format(value) == text)
    }

    @Test func onlyThePrometheusFormatIsOffered() {
        var mesh = loneNode()
        let outcome = call("metrics.get", ["format": "json"], on: &mesh)
        #expect(code(outcome) == -32602)
        #expect(code(call("metrics.get", ["since": 1], on: &mesh)) == -32602)
    }
}

// MARK: Events and the control socket

@Suite("Node methods: node events on the control socket")
struct NodeEventControlTests {
    static let peer = TestMesh.key(5).nodeID
    static let until = Instant(nanosecondsSinceEpoch: 1_795_305_600_000_000_000)
    static let address = SocketAddress.ipv4(0x7F00_0001, port: 9000)

    struct Case: Sendable, CustomTestStringConvertible {
        let event: NodeEvent
        let type: String
        let data: JSONValue
        var testDescription: String { type }
    }

    static let cases: [Case] = [
        Case(event: .neighborUp(peer), type: "neighbor.up", data: ["peer": .string(peer.text)]),
        Case(event: .neighborDown(peer), type: "neighbor.down", data: ["peer": .string(peer.text)]),
        Case(
            event: .malformedMessage(from: peer, reason: "short"), type: "message.malformed",
            data: ["peer": .string(peer.text), "reason": "short"]),
        Case(
            event: .sessionUp(peer, address: address), type: "session.up",
            data: ["peer": .string(peer.text), "address": "127.0.0.1:9000"]),
        Case(
            event: .sessionDown(peer, reason: .handshakeFailed), type: "session.down",
            data: ["peer": .string(peer.text), "reason": "handshake_failed"]),
        Case(
            event: .sessionDown(peer, reason: .expired), type: "session.down",
            data: ["peer": .string(peer.text), "reason": "expired"]),
        Case(
            event: .sessionDown(peer, reason: .closedLocally), type: "session.down",
            data: ["peer": .string(peer.text), "reason": "closed_locally"]),
        Case(
            event: .sessionDown(peer, reason: .closedByPeer(code: 3, reason: "bye")), type: "session.down",
            data: ["peer": .string(peer.text), "reason": "closed_by_peer", "code": 3, "message": "bye"]),
        Case(
            event: .banned(peer, until: until), type: "peer.banned",
            data: ["peer": .string(peer.text), "until": "2026-11-22T00:00:00.000Z"]),
        Case(event: .unbanned(peer), type: "peer.unbanned", data: ["peer": .string(peer.text)]),
    ]

    @Test(arguments: cases)
    func eachNodeEventHasAControlTypeAndData(_ expected: Case) {
        #expect(expected.event.controlType == expected.type)
        #expect(expected.event.controlData == expected.data)
    }

    @Test func aBanThroughTheControlSocketReachesSubscribers() throws {
        var mesh = loneNode()
        var server = ControlServer(bootID: "boot-0")
        let operatorConnection = ControlConnectionID(1)
        let watcher = ControlConnectionID(2)
        _ = server.accepted(operatorConnection)
        _ = server.accepted(watcher)
        let subscribe = Array(#"{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}"#.utf8) + [10]
        _ = server.received(subscribe, from: watcher, now: mesh.now) { _ in .failure(.methodNotFound("")) }
        var nodeEffects: [NodeEffect] = []
        let ban = Array(#"{"jsonrpc":"2.0","id":"b","method":"peers.ban","params":{"id":"\#(stranger.text)"}}"#.utf8)
        let answered = server.received(ban + [10], from: operatorConnection, now: mesh.now) { request in
            let outcome = NodeMethods.call(
                request, core: &mesh.cores[0], host: host(mesh), now: mesh.now, metrics: { _ in "" })
            nodeEffects += outcome.effects
            return outcome.result
        }
        guard case .write(operatorConnection, let bytes)? = answered.first, answered.count == 1 else {
            Issue.record("one answer to the operator, got \(answered.count) effects")
            return
        }
        let answer = try JSONValue(parsing: bytes.dropLast())
        #expect(answer["id"] == "b")
        #expect(answer["result"]?["banned"] == .string(stranger.text))
        var notes: [JSONValue] = []
        for event in events(nodeEffects) {
            for case .write(watcher, let bytes) in server.record(
                type: event.controlType, data: event.controlData, now: mesh.now)
            {
                notes.append(try JSONValue(parsing: bytes.dropLast()))
            }
        }
        try #require(notes.count == 1)
        #expect(notes[0]["params"]?["event"]?["type"] == "peer.banned")
        #expect(notes[0]["params"]?["event"]?["data"]?["peer"] == .string(stranger.text))
    }
}

import MeshCore
import Testing

@testable import MeshTransport

@Suite struct EndpointSessionTests {
    static var fastRekey: EndpointSettings {
        var settings = EndpointSettings()
        settings.rekeyAfterTime = .seconds(2)
        settings.rejectAfterTime = .seconds(3)
        settings.keepaliveTimeout = .milliseconds(500)
        return settings
    }

    @Test func rekeyUnderSteadyTrafficLosesNothingOnAPerfectLink() throws {
        var network = TestNetwork(seed: 30)
        let a = network.addNode(settings: Self.fastRekey)
        let b = network.addNode(settings: Self.fastRekey)
        try network.connect(a, to: b)
        network.run(for: .milliseconds(200))
        var sent = 0
        for _ in 0..<200 {
            try network.send(withUnsafeBytes(of: UInt32(sent).bigEndian, Array.init), from: a, to: b)
            try network.send(withUnsafeBytes(of: UInt32(sent).bigEndian, Array.init), from: b, to: a)
            sent += 1
            network.run(for: .milliseconds(50))
        }
        network.run(for: .seconds(1))
        #expect(network.nodes[b].delivered.count == sent)
        #expect(network.nodes[a].delivered.count == sent)
        // Ten seconds of traffic with two-second keys: several handshakes, never a session down.
        #expect(network.nodes[a].downs.isEmpty && network.nodes[b].downs.isEmpty)
        #expect(network.nodes[a].sent.filter { $0.datagram.first == 1 }.count >= 3)
    }

    @Test func passiveKeepaliveAnswersAOneWayFlow() throws {
        var network = TestNetwork(seed: 31)
        let a = network.addNode(settings: Self.fastRekey)
        let b = network.addNode(settings: Self.fastRekey)
        try network.connect(a, to: b)
        network.run(for: .milliseconds(200))
        try network.send([1], from: a, to: b)
        let before = network.nodes[b].sent.count
        network.run(for: .milliseconds(600))
        #expect(network.nodes[b].sent.count == before + 1, "b answers a's data with one keepalive")
        network.run(for: .milliseconds(600))
        #expect(network.nodes[b].sent.count == before + 1, "a keepalive is not answered with a keepalive")
    }

    @Test func peerThatMovesIsFollowed() throws {
        var network = TestNetwork(seed: 32)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        let moved = SocketAddress.ipv4(0x0a00_0063, port: 4242)
        // a's next packet arrives from a new address; b must answer there.
        network.tamper = { _, bytes, from, to in from == .ipv4(0x0a00_0001, port: 9000) ? bytes : bytes }
        try network.send([5], from: a, to: b)
        let packet = network.inFlight.removeLast()
        network.inject(packet.bytes, to: b, from: moved)
        #expect(network.nodes[b].endpoint.address(of: network.id(a)) == moved)
        try network.send([6], from: b, to: a)
        #expect(network.nodes[b].sent.last?.to == moved)
    }

    @Test func fullPeerTableForgetsTheIdlestIdlePeer() throws {
        var network = TestNetwork(seed: 33)
        var small = EndpointSettings()
        small.maxPeers = 2
        small.rejectAfterTime = .seconds(3)
        small.rekeyAfterTime = .seconds(2)
        let a = network.addNode(settings: small)
        let peers = (0..<3).map { _ in network.addNode() }
        try network.connect(a, to: peers[0])
        try network.connect(a, to: peers[1])
        network.run(for: .seconds(1))
        // Both peers are busy (sessions up): a third is refused.
        #expect(throws: Endpoint.SendError.tooManyPeers) { try network.connect(a, to: peers[2]) }
        // After the sessions expire, the peers are idle and the oldest makes room.
        network.run(for: .seconds(5))
        try network.connect(a, to: peers[2])
        network.run(for: .seconds(1))
        #expect(network.nodes[a].endpoint.isConnected(to: network.id(peers[2])))
        #expect(network.nodes[a].endpoint.address(of: network.id(peers[0])) == nil)
    }
}

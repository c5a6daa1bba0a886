import MeshCore
import MeshCrypto
import MeshWire
import Testing

@testable import MeshTransport

/// Two and three endpoints over an in-memory network with virtual time.
@Suite struct EndpointHandshakeTests {
    @Test func handshakeBringsBothSidesUpAndDatagramsFlowBothWays() throws {
        var network = TestNetwork(seed: 1)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        #expect(network.nodes[a].ups == [network.id(b)])
        #expect(network.nodes[b].ups == [network.id(a)])
        try network.send(Array("hello".utf8), from: a, to: b)
        try network.send(Array("hi back".utf8), from: b, to: a)
        network.run(for: .seconds(1))
        #expect(network.nodes[b].delivered.map(\.message) == [Array("hello".utf8)])
        #expect(network.nodes[b].delivered.map(\.from) == [network.id(a)])
        #expect(network.nodes[a].delivered.map(\.message) == [Array("hi back".utf8)])
        #expect(network.nodes.allSatisfy { $0.endpoint.drops.isEmpty })
    }

    @Test func aBlockedPeersInitiationsAreRefusedUntilTheBlockEnds() throws {
        var network = TestNetwork(seed: 5)
        let a = network.addNode()
        let b = network.addNode()
        network.nodes[b].endpoint.block(network.id(a), until: network.now + .seconds(30))
        try network.connect(a, to: b)
        network.run(for: .seconds(10))
        #expect(network.nodes[b].ups.isEmpty)
        #expect(network.nodes[b].endpoint.drops[.blockedPeer, default: 0] >= 1)
        // The initiator keeps retrying; once the block has ended, a retry gets through.
        network.run(for: .seconds(40))
        #expect(network.nodes[b].ups == [network.id(a)])
        #expect(network.nodes[b].endpoint.blocked.isEmpty)
    }

    @Test func messagesSentBeforeTheHandshakeAreDeliveredAfterIt() throws {
        var network = TestNetwork(seed: 2)
        let a = network.addNode()
        let b = network.addNode()
        _ = try network.nodes[a].endpoint.connect(to: network.id(b), at: network.address(b), now: network.now)
            .map { network.apply([$0], at: a) }
        for index in 0..<5 { try network.send([UInt8(index)], from: a, to: b) }
        network.run(for: .seconds(1))
        #expect(network.nodes[b].delivered.map(\.message) == (0..<5).map { [UInt8($0)] })
    }

    @Test func handshakeCompletesOverALinkThatLosesDuplicatesAndReorders() throws {
        for seed in UInt64(10)..<UInt64(20) {
            var network = TestNetwork(seed: seed)
            network.loss = 0.3
            network.duplication = 0.2
            network.jitter = .milliseconds(50)
            let a = network.addNode()
            let b = network.addNode()
            try network.connect(a, to: b)
            network.run(for: .seconds(60))
            #expect(network.nodes[a].ups == [network.id(b)], "seed \(seed)")
            for index in 0..<200 { try network.send([UInt8(index % 256), UInt8(index / 256)], from: a, to: b) }
            network.run(for: .seconds(5))
            let messages = network.nodes[b].delivered.map(\.message)
            #expect(Set(messages).count == messages.count, "a duplicated packet was delivered twice (seed \(seed))")
            #expect(messages.count > 100, "seed \(seed)")
        }
    }

    @Test func crossedHandshakesConverge() throws {
        var network = TestNetwork(seed: 3)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        try network.connect(b, to: a)
        network.run(for: .seconds(2))
        #expect(network.nodes[a].endpoint.isConnected(to: network.id(b)))
        #expect(network.nodes[b].endpoint.isConnected(to: network.id(a)))
        for index in 0..<10 {
            try network.send([UInt8(index)], from: a, to: b)
            try network.send([UInt8(index)], from: b, to: a)
            network.run(for: .milliseconds(100))
        }
        #expect(network.nodes[b].delivered.count == 10)
        #expect(network.nodes[a].delivered.count == 10)
    }

    @Test func threeEndpointsEachTalkToBothOthers() throws {
        var network = TestNetwork(seed: 4)
        let nodes = (0..<3).map { _ in network.addNode() }
        for from in nodes { for to in nodes where to > from { try network.connect(from, to: to) } }
        network.run(for: .seconds(1))
        for from in nodes {
            for to in nodes where to != from { try network.send([UInt8(from), UInt8(to)], from: from, to: to) }
        }
        network.run(for: .seconds(1))
        for node in nodes {
            #expect(
                Set(network.nodes[node].delivered.map(\.message))
                    == Set(nodes.filter { $0 != node }.map { [UInt8($0), UInt8(node)] }))
        }
    }

    @Test func unreachablePeerIsReportedAfterTheLastAttempt() throws {
        var network = TestNetwork(seed: 5)
        var settings = EndpointSettings()
        settings.handshakeAttempts = 3
        let a = network.addNode(settings: settings)
        let ghost = network.addNode()
        network.loss = 1.0
        try network.connect(a, to: ghost)
        try network.send([1], from: a, to: ghost)
        network.run(for: .seconds(30))
        #expect(network.nodes[a].downs.map(\.0) == [network.id(ghost)])
        #expect(network.nodes[a].downs.first?.1 == .handshakeFailed)
        #expect(network.nodes[a].sent.count == 3)
        #expect(network.nodes[a].endpoint.drops[.queueOverflow] == 1)
    }

    @Test func differentNetworksNeverHandshake() throws {
        var network = TestNetwork(seed: 6)
        let a = network.addNode(settings: EndpointSettings(network: "main"))
        let b = network.addNode(settings: EndpointSettings(network: "devnet"))
        try network.connect(a, to: b)
        network.run(for: .seconds(2))
        #expect(network.nodes[a].ups.isEmpty)
        #expect(network.nodes[b].endpoint.drops[.handshakeFailed] == 1)
        #expect(network.nodes[b].sent.isEmpty)
    }

    @Test func sessionExpiresWithoutTrafficAndComesBackOnSend() throws {
        var network = TestNetwork(seed: 7)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(200))
        #expect(network.nodes[a].downs.map(\.1) == [.expired])
        #expect(network.nodes[b].downs.map(\.1) == [.expired])
        try network.send([42], from: a, to: b)
        network.run(for: .seconds(1))
        #expect(network.nodes[b].delivered.map(\.message) == [[42]])
        #expect(network.nodes[a].ups.count == 2)
    }

    @Test func closeTellsThePeer() throws {
        var network = TestNetwork(seed: 8)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        network.apply(network.nodes[a].endpoint.close(network.id(b), now: network.now), at: a)
        network.run(for: .seconds(1))
        #expect(network.nodes[a].downs.map(\.1) == [.closedLocally])
        #expect(network.nodes[b].downs.map(\.1) == [.closedByPeer(code: 0, reason: "closed")])
    }

    @Test func oversizedMessageIsRefused() throws {
        var network = TestNetwork(seed: 9)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        #expect(
            throws: Endpoint.SendError.messageTooLarge(
                Endpoint.maxDatagramMessage + 1, limit: Endpoint.maxDatagramMessage)
        ) {
            try network.send([UInt8](repeating: 0, count: Endpoint.maxDatagramMessage + 1), from: a, to: b)
        }
        try network.send([UInt8](repeating: 7, count: Endpoint.maxDatagramMessage), from: a, to: b)
        network.run(for: .seconds(1))
        #expect(network.nodes[b].delivered.first?.message.count == Endpoint.maxDatagramMessage)
        #expect(network.nodes[a].sent.allSatisfy { $0.datagram.count <= Limits.maxDatagramSize })
    }
}

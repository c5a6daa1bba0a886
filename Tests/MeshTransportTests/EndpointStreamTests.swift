import MeshCore
import Testing

@testable import MeshTransport

/// The reliable stream: every message exactly once and in order, over any link that eventually delivers.
@Suite struct EndpointStreamTests {
    static func message(_ index: Int, size: Int) -> [UInt8] {
        var bytes = withUnsafeBytes(of: UInt32(index).bigEndian, Array.init)
        bytes += (0..<max(size - 4, 0)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
        return bytes
    }

    @Test func messagesArriveInOrderOnAPerfectLink() throws {
        var network = TestNetwork(seed: 40)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        let sizes = [0, 1, 100, 1200, 5000, 70_000, 1 << 20]
        for (index, size) in sizes.enumerated() {
            try network.sendReliable(Self.message(index, size: max(size, 4)), from: a, to: b)
        }
        network.run(for: .seconds(10))
        let delivered = network.nodes[b].delivered.map(\.message)
        #expect(delivered == sizes.enumerated().map { Self.message($0.offset, size: max($0.element, 4)) })
        #expect(network.nodes[a].sent.allSatisfy { $0.datagram.count <= Limits.maxDatagramSize })
        #expect(network.nodes.allSatisfy { $0.endpoint.drops.isEmpty })
    }

    @Test(arguments: [UInt64(50), 51, 52, 53])
    func everyMessageExactlyOnceAndInOrderOverThirtyPercentLoss(seed: UInt64) throws {
        var network = TestNetwork(seed: seed)
        network.loss = 0.3
        network.duplication = 0.05
        network.jitter = .milliseconds(30)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        let messages = (0..<300).map { Self.message($0, size: 10 + ($0 * 37) % 3000) }
        for message in messages { try network.sendReliable(message, from: a, to: b) }
        network.run(for: .seconds(120))
        let delivered = network.nodes[b].delivered.map(\.message)
        #expect(delivered.count == messages.count, "seed \(seed)")
        #expect(delivered == messages, "seed \(seed): out of order or duplicated")
    }

    @Test func streamSurvivesRekeysUnderLoad() throws {
        var settings = EndpointSettings()
        // Two-second keys; retries scaled down with them (the defaults leave 60 s between rekey and expiry for 5 s
        // retries).
        settings.rekeyAfterTime = .seconds(2)
        settings.rejectAfterTime = .seconds(3)
        settings.handshakeTimeout = .milliseconds(100)
        settings.handshakeJitter = .milliseconds(10)
        var network = TestNetwork(seed: 54)
        network.loss = 0.05
        let a = network.addNode(settings: settings)
        let b = network.addNode(settings: settings)
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        var sent: [[UInt8]] = []
        for round in 0..<100 {
            let message = Self.message(round, size: 2000)
            try network.sendReliable(message, from: a, to: b)
            try network.sendReliable(message, from: b, to: a)
            sent.append(message)
            network.run(for: .milliseconds(100))
        }
        // Less than the key lifetime: an idle session expires (and is reported down) after 3 s here.
        network.run(for: .seconds(1))
        #expect(network.nodes[b].delivered.map(\.message) == sent)
        #expect(network.nodes[a].delivered.map(\.message) == sent)
        #expect(network.nodes[a].downs.isEmpty, "\(network.nodes[a].downs)")
        #expect(network.nodes[b].downs.isEmpty, "\(network.nodes[b].downs)")
        #expect(network.nodes[a].sent.filter { $0.datagram.first == 1 }.count >= 3, "several rekeys happened")
    }

    @Test func pingIsAnsweredWithTheRoundTripTime() throws {
        var network = TestNetwork(seed: 55)
        network.latency = .milliseconds(40)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        for _ in 0..<3 {
            try network.ping(from: a, to: b)
            network.run(for: .milliseconds(500))
        }
        #expect(network.nodes[a].pongs.count == 3)
        #expect(network.nodes[a].pongs.allSatisfy { $0.0 == network.id(b) && $0.1 == .milliseconds(80) })
        // The pinged side is told of each PING (a node's membership core reads it), and nothing else pinged either.
        #expect(network.nodes[b].pinged == Array(repeating: network.id(a), count: 3))
        #expect(network.nodes[a].pinged.isEmpty)
    }

    @Test func pingWithoutASessionIsRefused() throws {
        var network = TestNetwork(seed: 56)
        let a = network.addNode()
        let b = network.addNode()
        #expect(throws: Endpoint.SendError.notConnected(network.id(b))) { try network.ping(from: a, to: b) }
    }

    @Test func fullSendBufferPushesBack() throws {
        var settings = EndpointSettings()
        settings.maxStreamSendBuffer = 10_000
        var network = TestNetwork(seed: 57)
        let a = network.addNode(settings: settings)
        let b = network.addNode()
        try network.connect(a, to: b)
        try network.sendReliable([UInt8](repeating: 1, count: 9000), from: a, to: b)
        #expect(throws: Endpoint.SendError.sendBufferFull(network.id(b))) {
            try network.sendReliable([UInt8](repeating: 2, count: 2000), from: a, to: b)
        }
        network.run(for: .seconds(2))
        try network.sendReliable([UInt8](repeating: 2, count: 2000), from: a, to: b)
        network.run(for: .seconds(2))
        #expect(network.nodes[b].delivered.map(\.message.count) == [9000, 2000])
    }

    @Test func oversizedReliableMessageIsRefused() throws {
        var network = TestNetwork(seed: 58)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        #expect(throws: Endpoint.SendError.messageTooLarge((1 << 20) + 1, limit: 1 << 20)) {
            try network.sendReliable([UInt8](repeating: 0, count: (1 << 20) + 1), from: a, to: b)
        }
    }

    @Test func reassemblyMemoryIsBoundedAndDeliveryStillCompletes() throws {
        var settings = EndpointSettings()
        settings.maxReassemblyBytes = 4000
        var network = TestNetwork(seed: 59)
        network.jitter = .milliseconds(40)
        let a = network.addNode()
        let b = network.addNode(settings: settings)
        try network.connect(a, to: b)
        let messages = (0..<50).map { Self.message($0, size: 3000) }
        for message in messages { try network.sendReliable(message, from: a, to: b) }
        network.run(for: .seconds(60))
        #expect(network.nodes[b].delivered.map(\.message) == messages)
        #expect(network.nodes[b].endpoint.reassemblyBytes <= 4000)
        #expect((network.nodes[b].endpoint.drops[.reassemblyFull] ?? 0) > 0, "the bound was reached and held")
    }

    @Test func unacknowledgedMessagesAreCountedWhenThePeerIsGone() throws {
        var settings = EndpointSettings()
        settings.handshakeAttempts = 2
        settings.rejectAfterTime = .seconds(3)
        settings.rekeyAfterTime = .seconds(2)
        var network = TestNetwork(seed: 60)
        let a = network.addNode(settings: settings)
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        network.loss = 1.0
        try network.sendReliable([1, 2, 3], from: a, to: b)
        network.run(for: .seconds(30))
        #expect(network.nodes[a].downs.map(\.1).contains(.expired))
        #expect(network.nodes[a].endpoint.drops[.streamAborted] == 1)
    }

    @Test func datagramsBeyondTheCongestionWindowAreRefusedNotFatal() throws {
        var network = TestNetwork(seed: 61)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        // Nothing is delivered (and so nothing acknowledged) while a sends: the congestion window fills.
        var accepted = 0
        var refused = false
        for _ in 0..<5000 {
            do {
                try network.send([1], from: a, to: b)
                accepted += 1
            } catch Endpoint.SendError.congested(let peer) {
                #expect(peer == network.id(b))
                refused = true
                break
            }
        }
        #expect(refused)
        // The initial window is 12,000 bytes; each of these packets is 35 (header 16, frame 3, tag 16).
        #expect(accepted == 12_000 / 35)
        // A PING, a tiny RTT probe, still goes: only the tracked-packet limit stops it.
        try network.ping(from: a, to: b)
        network.run(for: .seconds(5))
        #expect(network.nodes[a].writable == [network.id(b)], "a hears once that the window has room again")
        try network.send([2], from: a, to: b)
    }

    @Test("a sender of datagrams that fills the congestion window sees it grow (it is not application-limited)")
    func datagramSenderThatFillsTheWindowGrowsIt() throws {
        var network = TestNetwork(seed: 62)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        let initial = CongestionController.Settings().initialWindow
        #expect(network.nodes[a].endpoint.peers[network.id(b)]?.congestion.congestionWindow == initial)
        // Keep the window full, as an application that sends until refused and again as soon as it has room: ten
        // round trips of 40 ms, refilled every millisecond.
        for _ in 0..<400 {
            while (try? network.send([UInt8](repeating: 7, count: 1000), from: a, to: b)) != nil {}
            network.run(for: .milliseconds(1))
        }
        let window = network.nodes[a].endpoint.peers[network.id(b)]?.congestion.congestionWindow ?? 0
        #expect(window > 4 * initial, "slow start doubles a full window every round trip; it is \(window)")
    }
}

import MeshCore
import MeshCrypto
import MeshWire
import PropertyBased
import Testing

@testable import MeshTransport

/// Hostile input: every bad datagram is dropped and counted, never answered with more bytes than it had.
@Suite struct EndpointAttackTests {
    @Test func replayedInitiationIsRefused() throws {
        var network = TestNetwork(seed: 20)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        let initiation = try #require(network.nodes[a].sent.first?.datagram)
        #expect(initiation.first == TransportPacket.Kind.initiation.rawValue)
        let sentBefore = network.nodes[b].sent.count
        network.inject(initiation, to: b, from: network.address(a))
        #expect(network.nodes[b].endpoint.drops[.replayedInitiation] == 1)
        #expect(network.nodes[b].sent.count == sentBefore)
    }

    @Test func replayedDataPacketIsRefused() throws {
        var network = TestNetwork(seed: 21)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        try network.send([1, 2, 3], from: a, to: b)
        network.run(for: .seconds(1))
        let data = try #require(network.nodes[a].sent.last { $0.datagram.first == TransportPacket.Kind.data.rawValue })
        network.inject(data.datagram, to: b, from: network.address(a))
        #expect(network.nodes[b].endpoint.drops[.replayed] == 1)
        #expect(network.nodes[b].delivered.count == 1)
    }

    @Test func forgedIndexAndAlteredCiphertextAreRefused() throws {
        var network = TestNetwork(seed: 22)
        let a = network.addNode()
        let b = network.addNode()
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        try network.send([9], from: a, to: b)
        let data = try #require(network.nodes[a].sent.last?.datagram)
        var altered = data
        altered[altered.count - 1] ^= 1
        network.inject(altered, to: b, from: network.address(a))
        #expect(network.nodes[b].endpoint.drops[.decryptFailed] == 1)
        var forgedIndex = data
        forgedIndex[4] ^= 0xff
        network.inject(forgedIndex, to: b, from: network.address(a))
        #expect(network.nodes[b].endpoint.drops[.unknownIndex] == 1)
        var forgedCounter = data
        forgedCounter[8] ^= 1  // a far-future counter: inside no window, so only the AEAD can refuse it
        network.inject(forgedCounter, to: b, from: network.address(a))
        #expect(network.nodes[b].endpoint.drops[.decryptFailed] == 2)
        network.run(for: .seconds(1))
        #expect(network.nodes[b].delivered.map(\.message) == [[9]])
    }

    @Test func wrongMAC1IsDroppedBeforeAnyDiffieHellman() throws {
        var network = TestNetwork(seed: 23)
        let a = network.addNode()
        let b = network.addNode()
        let c = network.addNode()
        // a addresses c's key to b's address: mac1 is keyed to c, so b drops it unread.
        _ = b
        let effects = try network.nodes[a].endpoint.connect(to: network.id(c), at: network.address(b), now: network.now)
        guard case .send(let initiation, _) = try #require(effects.first) else { Issue.record("no send"); return }
        network.inject(initiation, to: b, from: network.address(a))
        #expect(network.nodes[b].endpoint.drops == [.badMAC1: 1])
        #expect(network.nodes[b].sent.isEmpty)
    }

    @Test func randomDatagramsAreDroppedWithoutAnyReply() async {
        var network = TestNetwork(seed: 24)
        let b = network.addNode()
        let initial = network
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...300), Gen.uint8(in: 1...4)) { bytes, type in
            var copy = initial
            var datagram = bytes
            if !datagram.isEmpty && datagram.count % 2 == 0 { datagram[0] = type }
            let effects = copy.nodes[b].endpoint.receive(datagram, from: .ipv4(0x0102_0304, port: 1), now: copy.now)
            #expect(!effects.contains { if case .send = $0 { true } else { false } })
            #expect(copy.nodes[b].endpoint.drops.values.reduce(0, +) == 1)
        }
    }

    @Test func cookieRoundTripUnderLoad() throws {
        var network = TestNetwork(seed: 25)
        let a = network.addNode()
        var loaded = EndpointSettings()
        loaded.underLoadInitiationsPerSecond = 0
        let b = network.addNode(settings: loaded)
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        // First initiation: answered with a cookie reply, smaller than the initiation.
        #expect(network.nodes[b].endpoint.drops[.cookieRequired] == 1)
        let reply = try #require(network.nodes[b].sent.first?.datagram)
        #expect(reply.first == TransportPacket.Kind.cookieReply.rawValue)
        #expect(reply.count < TransportPacket.initiationLength)
        #expect(network.nodes[a].ups.isEmpty)
        // The retry carries mac2 with the cookie, and gets through.
        network.run(for: .seconds(10))
        #expect(network.nodes[a].ups == [network.id(b)])
        #expect(network.nodes[b].endpoint.drops[.cookieRequired] == 1)
    }

    @Test func initiationsBeyondTheSourceRateAreDropped() throws {
        var network = TestNetwork(seed: 26)
        let b = network.addNode()
        var initiations: [[UInt8]] = []
        for _ in 0..<10 {
            let a = network.addNode()
            let effects = try network.nodes[a].endpoint.connect(
                to: network.id(b), at: network.address(b), now: network.now)
            if case .send(let bytes, _) = effects[0] { initiations.append(bytes) }
        }
        for bytes in initiations { network.inject(bytes, to: b, from: .ipv4(0xc000_0201, port: 5555)) }
        let limit = Int(EndpointSettings().rateLimiter.burst)
        #expect(network.nodes[b].endpoint.drops[.rateLimited] == initiations.count - limit)
        #expect(network.nodes[b].sent.count == limit)
        #expect(network.nodes[b].sent.allSatisfy { $0.datagram.count < TransportPacket.initiationLength })
    }

    @Test func initiationClaimingAnotherIdentityIsRefused() throws {
        var network = TestNetwork(seed: 27)
        let a = network.addNode()
        let b = network.addNode()
        let c = network.addNode()
        // a builds an initiation with its own static key but c's Ed25519 key in the payload.
        var random = SeededRandomBytes(seed: 99)
        var keySource = SeededRandomBytes(seed: 5)
        let aKey = Ed25519PrivateKey(using: &keySource)
        _ = aKey
        let initiator = network.nodes[a].endpoint
        var noise = NoiseIKInitiator(
            prologue: TransportPrologue.bytes(network: "main"), localStatic: initiator.staticKey,
            remoteStatic: try Ed25519PublicKey(network.id(b)).x25519PublicKey(),
            ephemeral: X25519PrivateKey(using: &random))
        let message = try noise.writeInitiation(payload: TAI64N(network.now).bytes + network.id(c).publicKey.bytes)
        var packet = TransportPacket.initiation(.init(senderIndex: 7, noiseMessage: message)).encoded
        PacketMAC.seal(
            &packet, mac1Key: PacketMAC.mac1Key(receiverStatic: try Ed25519PublicKey(network.id(b)).x25519PublicKey()),
            cookie: nil)
        network.inject(packet, to: b, from: network.address(a))
        #expect(network.nodes[b].endpoint.drops == [.identityMismatch: 1])
        #expect(network.nodes[b].sent.isEmpty)
    }

    @Test func forgedResponseDoesNotKillTheRealHandshake() throws {
        var network = TestNetwork(seed: 28)
        let a = network.addNode()
        let b = network.addNode()
        network.tamper = { network, bytes, from, to in
            // Before the real response, deliver a forged one with the right index and a valid mac1.
            guard bytes.first == TransportPacket.Kind.response.rawValue else { return bytes }
            var forged = bytes
            forged[20] ^= 0x55
            let a = network.nodes.firstIndex { $0.address == to }!
            PacketMAC.seal(&forged, mac1Key: network.nodes[a].endpoint.ourMAC1Key, cookie: nil)
            network.inject(forged, to: a, from: from)
            return bytes
        }
        try network.connect(a, to: b)
        network.run(for: .seconds(1))
        #expect(network.nodes[a].endpoint.drops[.handshakeFailed] == 1)
        #expect(network.nodes[a].ups == [network.id(b)])
    }
}

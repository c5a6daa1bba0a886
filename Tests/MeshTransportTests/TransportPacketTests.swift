import MeshCore
import MeshWire
import PropertyBased
import Testing

@testable import MeshTransport

@Suite struct TransportPacketTests {
    @Test func handshakePacketsHaveFixedSizesAndAnswersAreSmaller() throws {
        let initiation = TransportPacket.initiation(
            .init(senderIndex: 1, noiseMessage: [UInt8](repeating: 1, count: TransportPacket.Initiation.noiseLength)))
        let response = TransportPacket.response(
            .init(senderIndex: 2, receiverIndex: 1, noiseMessage: [UInt8](repeating: 2, count: 48)))
        let cookie = TransportPacket.cookieReply(
            .init(
                receiverIndex: 1, nonce: [UInt8](repeating: 3, count: 12),
                sealedCookie: [UInt8](repeating: 4, count: 32)))
        #expect(initiation.encoded.count == TransportPacket.initiationLength)
        #expect(response.encoded.count == TransportPacket.responseLength)
        #expect(cookie.encoded.count == TransportPacket.cookieReplyLength)
        #expect(TransportPacket.responseLength < TransportPacket.initiationLength)
        #expect(TransportPacket.cookieReplyLength < TransportPacket.initiationLength)
        for packet in [initiation, response, cookie] { #expect(try TransportPacket.decode(packet.encoded) == packet) }
    }

    @Test func decodeRefusesWrongSizesReservedBytesAndTypes() {
        let response = TransportPacket.response(
            .init(senderIndex: 2, receiverIndex: 1, noiseMessage: [UInt8](repeating: 2, count: 48))
        ).encoded
        #expect(throws: WireError.truncated(field: "response", needed: 92, available: 91)) {
            try TransportPacket.decode(Array(response.dropLast()))
        }
        #expect(throws: WireError.trailingBytes(context: "response", count: 1)) {
            try TransportPacket.decode(response + [0])
        }
        var reserved = response
        reserved[2] = 1
        #expect(throws: WireError.invalidValue(field: "reserved", reason: "must be zero")) {
            try TransportPacket.decode(reserved)
        }
        #expect(throws: WireError.unknownType(context: "packet", type: 9)) { try TransportPacket.decode([9, 0, 0, 0]) }
        #expect(throws: WireError.self) { try TransportPacket.decode([UInt8](repeating: 0, count: 1300)) }
    }

    @Test func dataHeaderIsReadInPlaceAndChecked() throws {
        let packet = TransportPacket.data(
            .init(receiverIndex: 0x0102_0304, counter: 9, ciphertext: [UInt8](repeating: 1, count: 16)))
        let header = try TransportPacket.dataHeader(packet.encoded)
        #expect(header.receiverIndex == 0x0102_0304 && header.counter == 9)
        #expect(throws: WireError.truncated(field: "data packet", needed: 32, available: 31)) {
            try TransportPacket.dataHeader(Array(packet.encoded.dropLast()))
        }
        #expect(throws: WireError.oversized(field: "data packet", length: 1201, limit: 1200)) {
            try TransportPacket.dataHeader(packet.encoded + [UInt8](repeating: 0, count: 1201 - 32))
        }
        var reserved = packet.encoded
        reserved[3] = 1
        #expect(throws: WireError.invalidValue(field: "reserved", reason: "must be zero")) {
            try TransportPacket.dataHeader(reserved)
        }
    }

    @Test func dataPacketsRoundTrip() async {
        await propertyCheck(input: Gen.uint32(), Gen.uint64(), Gen.uint8().array(of: 16...200)) {
            index, counter, body in
            let packet = TransportPacket.data(.init(receiverIndex: index, counter: counter, ciphertext: body))
            #expect((try? TransportPacket.decode(packet.encoded)) == packet)
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() async {
        await propertyCheck(count: 3000, input: Gen.uint8().array(of: 0...256)) { bytes in
            _ = try? TransportPacket.decode(bytes)
            _ = try? SessionFrame.decodeAll(bytes)
        }
    }

    @Test func tai64nOrdersByTimeAndRoundTrips() {
        let earlier = TAI64N(Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000))
        let later = TAI64N(Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_001))
        #expect(earlier < later)
        #expect(TAI64N(bytes: later.bytes) == later)
        #expect(Hex.encode(earlier.bytes) == "400000006553f10000000000")
        #expect(TAI64N(bytes: [UInt8](repeating: 0xff, count: 12)) == nil)
    }

    @Test func sessionFramesRoundTrip() throws {
        let frames: [SessionFrame] = [.ping, .datagram([1, 2, 3]), .close(code: 7, reason: "bye")]
        var writer = WireWriter()
        for frame in frames + [.padding] { frame.encode(into: &writer) }
        #expect(try SessionFrame.decodeAll(writer.bytes) == frames)
        #expect(throws: WireError.unknownType(context: "session frame", type: 0x3f)) {
            try SessionFrame.decodeAll([0x3f])
        }
    }

    @Test func encodedSizeIsTheNumberOfBytesWritten() async {
        let frames: [SessionFrame] = [
            .padding, .ping, .datagram([1, 2, 3]), .datagram([UInt8](repeating: 0, count: 300)),
            .close(code: 70_000, reason: String(repeating: "é", count: 200)), .maxData(streamID: 7, limit: 1 << 40),
            .stream(streamID: 1, offset: 1 << 31, bytes: [UInt8](repeating: 9, count: 1000)),
        ]
        for frame in frames {
            var writer = WireWriter()
            frame.encode(into: &writer)
            #expect(frame.encodedSize == writer.count, "\(frame)")
        }
        await propertyCheck(input: Gen.uint64(in: 0...1_000_000).array(of: 1...40)) { numbers in
            // Even numbers only: ranges of one number each, with the gap between them that a frame requires.
            let ranges = Set(numbers.map { $0 * 2 }).sorted(by: >).map { $0...$0 }
            let frame = SessionFrame.ack(
                sessionIndex: 3, AckFrame(ranges: Array(ranges.prefix(32)), ackDelay: .milliseconds(3)))
            var writer = WireWriter()
            frame.encode(into: &writer)
            #expect(frame.encodedSize == writer.count)
        }
    }

    @Test func rateLimiterRefillsAndEvictsTheIdlest() {
        var settings = SourceRateLimiter.Settings()
        settings.maxSources = 2
        var limiter = SourceRateLimiter(settings: settings)
        let t0 = Instant(nanosecondsSinceEpoch: 0)
        let source = SocketAddress.ipv4(1, port: 1)
        for _ in 0..<settings.burst { #expect(allow(&limiter, source, now: t0)) }
        #expect(!allow(&limiter, source, now: t0))
        #expect(!allow(&limiter, .ipv4(1, port: 2), now: t0), "ports of one host share a bucket")
        #expect(allow(&limiter, source, now: t0 + .milliseconds(50)))
        #expect(allow(&limiter, .ipv4(2, port: 1), now: t0 + .seconds(1)))
        #expect(allow(&limiter, .ipv4(3, port: 1), now: t0 + .seconds(2)))
        #expect(limiter.trackedSources == 2)
    }

    @Test func rateLimiterEvictsTheLeastRecentlyUpdatedSourceAtScale() {
        var settings = SourceRateLimiter.Settings()
        settings.maxSources = 100
        var limiter = SourceRateLimiter(settings: settings)
        let t0 = Instant(nanosecondsSinceEpoch: 0)
        func host(_ index: UInt32) -> SocketAddress { .ipv4(0x0A00_0000 + index, port: 9000) }
        for _ in 0..<settings.burst { _ = allow(&limiter, host(1), now: t0) }
        #expect(!allow(&limiter, host(1), now: t0), "host 1 spent its burst")
        for index in UInt32(2)...100 { _ = allow(&limiter, host(index), now: t0 + .milliseconds(1)) }
        for _ in 0..<settings.burst { _ = allow(&limiter, host(2), now: t0 + .milliseconds(1)) }
        #expect(limiter.trackedSources == 100)
        // A new host evicts the one updated longest ago, host 1, which then comes back with a full burst…
        _ = allow(&limiter, host(101), now: t0 + .milliseconds(2))
        #expect(limiter.trackedSources == 100)
        #expect(allow(&limiter, host(1), now: t0 + .milliseconds(2)), "host 1 was forgotten")
        // …while host 2, updated recently, keeps its spent bucket (host 1's return evicted host 3, not host 2).
        #expect(!allow(&limiter, host(2), now: t0 + .milliseconds(2)))
        // Many more sources than the table holds: it stays bounded.
        for index in UInt32(200)..<UInt32(20_200) { _ = allow(&limiter, host(index), now: t0 + .seconds(1)) }
        #expect(limiter.trackedSources == 100)
    }

    /// `allow` outside the `#expect` macro, which cannot call mutating methods.
    private func allow(_ limiter: inout SourceRateLimiter, _ source: SocketAddress, now: Instant) -> Bool {
        limiter.allow(source, now: now)
    }
}

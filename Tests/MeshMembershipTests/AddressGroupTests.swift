import MeshCore
import MeshCrypto
import Testing

@testable import MeshMembership

/// The eclipse defences of the active and passive views (`Specs/membership.md`, "Address groups").
@Suite("Address groups")
struct AddressGroupTests {
    static let start = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)

    /// A record of node `index` at IPv4 address `host`.
    static func record(_ index: Int, at host: UInt32) -> PeerRecord {
        let key = try! Ed25519PrivateKey(seed: [UInt8](repeating: UInt8(index), count: 31) + [7])
        return PeerRecord(key: key, seq: 1, issuedAt: start, addresses: [.ipv4(host, port: 9000)])
    }

    /// Public addresses: node `index` of /16 `group` (first two octets 50.group).
    static func host(group: UInt32, _ index: Int) -> UInt32 { 50 << 24 | group << 16 | UInt32(index) }

    static func core() -> Membership {
        Membership(selfRecord: record(200, at: host(group: 200, 1)), seeds: [], seed: 1, now: start)
    }

    static func accepted(_ effects: [MembershipEffect]) -> Bool? {
        for case .send(.neighborReply(let accepted), _) in effects { return accepted }
        return nil
    }

    @Test func groupsAreSixteenBitPrefixesAndPrivateAddressesAreInNone() {
        let group = Membership.addressGroup(of:)
        #expect(group(.ipv4(0x0808_0808, port: 1)) == group(.ipv4(0x0808_FF01, port: 2)))
        #expect(group(.ipv4(0x0808_0808, port: 1)) != group(.ipv4(0x0809_0808, port: 1)))
        for host: UInt32 in [0x7F00_0001, 0x0A01_0203, 0xAC10_0001, 0xAC1F_FFFF, 0xC0A8_0101, 0xA9FE_0001, 0x6440_0001]
        {
            #expect(group(.ipv4(host, port: 1)) == nil, "\(host)")
        }
        #expect(group(.ipv4(0xAC20_0001, port: 1)) != nil)  // 172.32/16 is public
        let v6 = { (bytes: [UInt8]) in SocketAddress.ipv6(Bytes16(bytes)!, port: 1) }
        let a = [0x20, 0x01, 0x0d, 0xb8, 1] + [UInt8](repeating: 0, count: 11)
        let b = [0x20, 0x01, 0x0d, 0xb8, 9] + [UInt8](repeating: 3, count: 11)
        #expect(group(v6(a)) == group(v6(b)) && group(v6(a)) != nil)
        #expect(group(v6([0xFD] + [UInt8](repeating: 1, count: 15))) == nil)
        #expect(group(v6([0xFE, 0x80] + [UInt8](repeating: 1, count: 14))) == nil)
        #expect(group(.ipv6(.loopback, port: 1)) == nil)
        let mapped = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 8, 8, 8, 8]
        #expect(group(v6(mapped)) == group(.ipv4(0x0808_0808, port: 1)))
    }

    @Test func atMostTwoNeighboursOfOneGroupHoweverTheyAsk() {
        var core = Self.core()
        var answers: [Bool?] = []
        for index in 0..<5 {
            let record = Self.record(index, at: Self.host(group: 7, index))
            answers.append(
                Self.accepted(
                    core.received(.neighbor(record, highPriority: true), from: record.nodeID, now: Self.start)))
        }
        #expect(answers == [true, true, false, false, false])
        #expect(core.active.count == 2)
        #expect(core.refused["address group full"] == 3)
        // The transport's address counts, not the record's claim: a record claiming another group is still refused
        // when it came from the crowded one.
        let liar = Self.record(9, at: Self.host(group: 8, 1))
        let answer = Self.accepted(
            core.received(
                .neighbor(liar, highPriority: true), from: liar.nodeID,
                address: .ipv4(Self.host(group: 7, 99), port: 1),
                now: Self.start))
        #expect(answer == false)
        // Private addresses are never limited.
        for index in 20..<24 {
            let record = Self.record(index, at: 0x0A00_0000 | UInt32(index))
            _ = core.received(.neighbor(record, highPriority: true), from: record.nodeID, now: Self.start)
        }
        #expect(core.active.count == 6)
    }

    @Test func newcomersAskingWithHighPriorityChurnOnlyTheNewerHalf() {
        var core = Self.core()
        let first = (0..<8).map { Self.record($0, at: Self.host(group: UInt32(10 + $0), 1)) }
        for record in first {
            _ = core.received(.neighbor(record, highPriority: false), from: record.nodeID, now: Self.start)
        }
        #expect(core.active.map(\.nodeID) == first.map(\.nodeID))
        for index in 0..<40 {
            let record = Self.record(100 + index, at: Self.host(group: UInt32(100 + index), 1))
            _ = core.received(.neighbor(record, highPriority: true), from: record.nodeID, now: Self.start)
        }
        #expect(core.active.count == 8)
        #expect(Array(core.active.prefix(4).map(\.nodeID)) == first.prefix(4).map(\.nodeID))
    }

    @Test func aViewOneGroupCrowdsKeepsAskingForOthersUntilFull() {
        var settings = MembershipSettings()
        settings.refillInterval = .seconds(2)
        var core = Membership(
            selfRecord: Self.record(200, at: Self.host(group: 200, 1)), seeds: [], settings: settings, seed: 1,
            now: Self.start)
        // Five neighbours, two of them from one group: at the low watermark, but crowded.
        let neighbours =
            [Self.record(0, at: Self.host(group: 7, 1)), Self.record(1, at: Self.host(group: 7, 2))]
            + (2..<5).map { Self.record($0, at: Self.host(group: UInt32(20 + $0), 1)) }
        for record in neighbours {
            _ = core.received(.neighbor(record, highPriority: false), from: record.nodeID, now: Self.start)
        }
        let reserve = (10..<20).map { Self.record($0, at: Self.host(group: UInt32(40 + $0), 1)) }
        core.remember(reserve)
        var now = Self.start
        var requests: [Bool] = []
        for _ in 0..<10 {
            now = now + .seconds(3)
            for case .send(.neighbor(_, let highPriority), _) in core.timerFired(now: now) {
                requests.append(highPriority)
            }
        }
        #expect(!requests.isEmpty && requests.allSatisfy { $0 }, "\(requests)")
        // Without the crowding (the same five, all from different groups) it asks nothing.
        var calm = Membership(
            selfRecord: Self.record(200, at: Self.host(group: 200, 1)), seeds: [], settings: settings, seed: 1,
            now: Self.start)
        for index in 0..<5 {
            let record = Self.record(index, at: Self.host(group: UInt32(60 + index), 1))
            _ = calm.received(.neighbor(record, highPriority: false), from: record.nodeID, now: Self.start)
        }
        calm.remember(reserve)
        now = Self.start
        var asked = 0
        for _ in 0..<10 {
            now = now + .seconds(3)
            for case .send(.neighbor, _) in calm.timerFired(now: now) { asked += 1 }
        }
        #expect(asked == 0)
    }
}

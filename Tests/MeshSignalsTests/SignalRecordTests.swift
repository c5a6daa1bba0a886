import MeshCore
import MeshCrypto
import Testing

@testable import MeshSignals

/// Signed signal records and the checks on them before delivery.
@Suite("Signal records")
struct SignalRecordTests {
    static let key = try! Ed25519PrivateKey(seed: [UInt8](repeating: 3, count: 32))
    static let other = try! Ed25519PrivateKey(seed: [UInt8](repeating: 4, count: 32))
    static let now: Int64 = 1_704_240_000_000

    static func signal(_ strength: Double = 0.8) -> Signal {
        Signal(
            strategy: "macd-cross", rule: "bullish cross", symbol: "AAPL", timeframe: "1d", time: now - 86_400_000,
            price: 185.25, side: .buy, kind: .entry, strength: strength,
            snapshot: ["close": 185.25, "macd.macd": 1.5, "macd.macdsignal": 1.25])
    }

    static func record(_ sequence: UInt64, key: Ed25519PrivateKey = key, issuedAt: Int64 = now) -> SignalRecord {
        SignalRecord(signing: signal(), with: key, sequence: sequence, issuedAt: issuedAt, lifetime: 3_600_000)
    }

    @Test func aRecordRoundTripsAndAnyChangedByteIsRefused() throws {
        let record = Self.record(7)
        let decoded = try SignalRecord(decoding: record.encoded)
        #expect(decoded == record && decoded.signal == Self.signal() && decoded.issuer == Self.key.nodeID)
        #expect(decoded.sequence == 7 && decoded.expiresAt == Self.now + 3_600_000)
        for index in stride(from: 0, to: record.encoded.count, by: 7) {
            var bytes = record.encoded
            bytes[index] ^= 0x40
            #expect(throws: SignalRecord.Problem.self, "byte \(index)") { try SignalRecord(decoding: bytes) }
        }
        for cut in [0, 10, 64, record.encoded.count - 1] {
            #expect(throws: SignalRecord.Problem.self) { try SignalRecord(decoding: Array(record.encoded.prefix(cut))) }
        }
        // Another key's signature over the same fields is not this issuer's.
        let forged =
            Array(record.encoded.dropLast(64)) + Self.other.signature(for: Array(record.encoded.dropLast(64))).bytes
        #expect(throws: SignalRecord.Problem.badSignature) { try SignalRecord(decoding: forged) }
    }

    @Test func theLargestRecordFitsTheSignalTopicsCap() throws {
        // Every field at its longest: 64 snapshot values with 64-byte names, the longest strings.
        var snapshot: [String: Double] = [:]
        for index in 0..<SignalRecord.maxSnapshot {
            snapshot[String(format: "%02d", index) + String(repeating: "n", count: 62)] = Double(index) + 0.5
        }
        let signal = Signal(
            strategy: String(repeating: "s", count: 64), rule: String(repeating: "r", count: 128),
            symbol: String(repeating: "Y", count: 32), timeframe: "12345678", time: Self.now, price: 1, side: .buy,
            kind: .entry, strength: 1, snapshot: snapshot)
        let record = SignalRecord(
            signing: signal, with: Self.key, sequence: (1 << 62) - 1, issuedAt: Self.now, lifetime: 3_600_000)
        #expect(try SignalRecord(decoding: record.encoded) == record)
        // `Topic.maxPayload` of `signals/`: 8 KiB.
        #expect(record.encoded.count <= 8192, "\(record.encoded.count) bytes")
    }

    @Test func theValidatorAcceptsInOrderAndRefusesTheRest() {
        var validator = SignalValidator()
        #expect(validator.check(Self.record(1).encoded, now: Self.now) == .accept(Self.record(1)))
        #expect(validator.check(Self.record(2).encoded, now: Self.now) == .accept(Self.record(2)))
        // A replayed sequence, one too far below the highest, an expired record: nobody's fault, not delivered.
        if case .ignore = validator.check(Self.record(2).encoded, now: Self.now) {} else { Issue.record("replay") }
        // Out of order within the window is fine (gossip reorders): 10, then 5.
        #expect(validator.check(Self.record(10).encoded, now: Self.now) == .accept(Self.record(10)))
        #expect(validator.check(Self.record(5).encoded, now: Self.now) == .accept(Self.record(5)))
        #expect(validator.check(Self.record(3000).encoded, now: Self.now) == .accept(Self.record(3000)))
        if case .ignore = validator.check(Self.record(20).encoded, now: Self.now) {} else { Issue.record("too old") }
        if case .ignore = validator.check(Self.record(3).encoded, now: Self.now + 3_600_001) {
        } else {
            Issue.record("expired")
        }
        // Issued in the future beyond the skew, or garbage: the sender's fault.
        if case .reject = validator.check(Self.record(4, issuedAt: Self.now + 60_000).encoded, now: Self.now) {
        } else {
            Issue.record("future")
        }
        if case .reject = validator.check([1, 2, 3], now: Self.now) {} else { Issue.record("garbage") }
        // Issuers are independent.
        #expect(
            validator.check(Self.record(1, key: Self.other).encoded, now: Self.now)
                == .accept(Self.record(1, key: Self.other)))
        #expect(validator.accepted == 6 && validator.rejected == 2 && validator.ignored == 3)
    }

    @Test func anIssuerOverItsRateIsIgnoredUntilItRefills() {
        var validator = SignalValidator()
        var accepted = 0
        for sequence in 1...40
        where validator.check(Self.record(UInt64(sequence)).encoded, now: Self.now) != .ignore("over its issuer's rate")
        {
            accepted += 1
        }
        #expect(accepted == Int(validator.burst))
        // Arriving later does not refill: issuing later does. Ten seconds of the issuer's time give 2 per second.
        #expect(validator.check(Self.record(99).encoded, now: Self.now + 10_000) == .ignore("over its issuer's rate"))
        var refilled = 0
        for sequence in 100..<130
        where validator.check(
            Self.record(UInt64(sequence), issuedAt: Self.now + 10_000).encoded, now: Self.now + 10_000)
            != .ignore("over its issuer's rate")
        {
            refilled += 1
        }
        #expect(refilled == 20)
    }

    @Test("records a partition held back arrive together and are taken; records older than maxAge are not")
    func heldBackRecordsAreTaken() {
        var validator = SignalValidator()
        // One a second for the last 100 s (as the issuer published them), all arriving now.
        for second in 0..<100 {
            let record = Self.record(UInt64(second + 1), issuedAt: Self.now - Int64(100 - second) * 1000)
            #expect(validator.check(record.encoded, now: Self.now) == .accept(record), "second \(second)")
        }
        let old = Self.record(500, issuedAt: Self.now - validator.maxAge - 1)
        #expect(validator.check(old.encoded, now: Self.now) == .ignore("issued more than 150 s ago"))
        // In any order: 100 records of another issuer, one every half second, arriving shuffled, are all taken
        // (2 a second is its rate); a 21st within ten seconds of issue time is not.
        var shuffled = (0..<100).map {
            Self.record(UInt64($0 + 1), key: Self.other, issuedAt: Self.now - 60_000 + Int64($0) * 500)
        }
        var generator = SplitMix64(seed: 3)
        shuffled.shuffle(using: &generator)
        for record in shuffled {
            #expect(validator.check(record.encoded, now: Self.now) == .accept(record))
        }
        let extra = Self.record(1000, key: Self.other, issuedAt: Self.now - 60_000 + 250)
        #expect(validator.check(extra.encoded, now: Self.now) == .ignore("over its issuer's rate"))
        // Dating records ahead gains nothing beyond the skew: the future ones are refused.
        if case .reject = validator.check(Self.record(600, issuedAt: Self.now + 31_000).encoded, now: Self.now) {
        } else {
            Issue.record("a record dated beyond the skew was not refused")
        }
    }
}

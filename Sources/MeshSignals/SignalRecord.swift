public import MeshCore
public import MeshCrypto
import MeshWire

/// A signal as it travels between nodes (`Specs/gossip.md`, section 9): the signal, its issuer (the node whose key
/// signs it), a per-issuer sequence number, when it was issued and until when it holds, and the issuer's Ed25519
/// signature over the canonical encoding. Its bytes are the gossip payload; the gossip message id is their hash.
public struct SignalRecord: Sendable, Equatable {
    /// The encoding's version.
    public static let version: UInt8 = 1
    /// The longest lifetime a record may claim (expires-at − issued-at).
    public static let maxLifetime: Int64 = 86_400_000
    /// The most snapshot values.
    public static let maxSnapshot = 64
    /// The signature's domain label, signed before the record's bytes.
    static let domain = Array("signalmesh signal v1".utf8)

    /// The signal.
    public let signal: Signal
    /// The issuer's node id (its Ed25519 public key).
    public let issuer: NodeID
    /// The issuer's sequence number: each record of an issuer has a higher one than the last.
    public let sequence: UInt64
    /// When it was issued, and until when it holds, UTC milliseconds since the epoch.
    public let issuedAt: Int64
    /// Until when it holds.
    public let expiresAt: Int64
    /// The issuer's signature.
    public let signature: Bytes64
    /// The record's bytes as signed and sent (encoding and signature).
    public let encoded: [UInt8]

    /// Why a record was refused.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The bytes are not a record of this version.
        case malformed(String)
        /// The signature does not verify.
        case badSignature

        /// What was wrong.
        public var description: String {
            switch self {
            case .malformed(let reason): "not a signal record: \(reason)"
            case .badSignature: "the signature does not verify"
            }
        }
    }

    /// `signal` signed by `key` as its `sequence`-th record, issued at `issuedAt` and holding for `lifetime`
    /// milliseconds (at most `maxLifetime`).
    public init(signing signal: Signal, with key: Ed25519PrivateKey, sequence: UInt64, issuedAt: Int64, lifetime: Int64)
    {
        let body = Self.body(
            signal, issuer: key.nodeID, sequence: sequence, issuedAt: issuedAt,
            expiresAt: issuedAt + min(max(lifetime, 1), Self.maxLifetime))
        let signature = key.signature(for: Self.domain + body)
        self.signal = signal
        issuer = key.nodeID
        self.sequence = sequence
        self.issuedAt = issuedAt
        expiresAt = issuedAt + min(max(lifetime, 1), Self.maxLifetime)
        self.signature = signature
        encoded = body + signature.bytes
    }

    /// The record in `bytes`, its signature verified.
    /// - Throws: `Problem` for bytes that are not a record of this version, or a signature that does not verify.
    public init(decoding bytes: [UInt8]) throws(Problem) {
        guard bytes.count > 64 else { throw .malformed("too short") }
        let body = Array(bytes.dropLast(64))
        var reader = WireReader(body)
        do {
            guard try reader.readUInt8("version") == Self.version else { throw Problem.malformed("an unknown version") }
            issuer = NodeID(publicKey: try reader.readBytes32("issuer"))
            sequence = try reader.readVarint("sequence")
            issuedAt = try reader.readInt64("issued at")
            expiresAt = try reader.readInt64("expires at")
            let strategy = try reader.readString("strategy", maxLength: 64)
            let rule = try reader.readString("rule", maxLength: 128)
            let symbol = try reader.readString("symbol", maxLength: 32)
            let timeframe = try reader.readString("timeframe", maxLength: 8)
            let time = try reader.readInt64("bar time")
            let price = Double(bitPattern: try reader.readUInt64("price"))
            let sideCode = try reader.readUInt8("side")
            guard let side = Strategy.Side.allCases.first(where: { Self.code($0) == sideCode }) else {
                throw Problem.malformed("an unknown side")
            }
            let kindCode = try reader.readUInt8("kind")
            guard kindCode <= 1 else { throw Problem.malformed("an unknown kind") }
            let strength = Double(bitPattern: try reader.readUInt64("strength"))
            let count = try reader.readCount("snapshot count", max: Self.maxSnapshot)
            var snapshot: [String: Double] = [:]
            for _ in 0..<count {
                let name = try reader.readString("snapshot name", maxLength: 64)
                snapshot[name] = Double(bitPattern: try reader.readUInt64("snapshot value"))
            }
            try reader.expectEnd("signal record")
            guard price.isFinite, price > 0, (0...1).contains(strength), snapshot.values.allSatisfy(\.isFinite),
                snapshot.count == count, !strategy.isEmpty, !symbol.isEmpty, expiresAt > issuedAt,
                expiresAt - issuedAt <= Self.maxLifetime
            else { throw Problem.malformed("a field out of its range") }
            signal = Signal(
                strategy: strategy, rule: rule, symbol: symbol, timeframe: timeframe, time: time, price: price,
                side: side, kind: kindCode == 0 ? .entry : .exit, strength: strength, snapshot: snapshot)
        } catch let problem as Problem {
            throw problem
        } catch let error as WireError {
            throw .malformed(error.description)
        } catch {
            throw .malformed("\(error)")
        }
        signature = Bytes64(bytes.suffix(64))!
        guard Ed25519PublicKey(issuer).isValidSignature(signature, for: Self.domain + body) else {
            throw .badSignature
        }
        encoded = bytes
    }

    /// `text` cut to at most `bytes` UTF-8 bytes, at a character boundary.
    private static func clip(_ text: String, _ bytes: Int) -> String {
        var result = ""
        for character in text {
            guard result.utf8.count + character.utf8.count <= bytes else { break }
            result.append(character)
        }
        return result
    }

    private static func code(_ side: Strategy.Side) -> UInt8 {
        switch side {
        case .buy: 0
        case .sell: 1
        case .flat: 2
        }
    }

    /// The canonical encoding of the signed fields (snapshot names sorted).
    private static func body(
        _ signal: Signal, issuer: NodeID, sequence: UInt64, issuedAt: Int64, expiresAt: Int64
    ) -> [UInt8] {
        var writer = WireWriter(capacity: 256)
        writer.writeUInt8(version)
        writer.writeBytes32(issuer.publicKey)
        writer.writeVarint(sequence)
        writer.writeInt64(issuedAt)
        writer.writeInt64(expiresAt)
        writer.writeString(clip(signal.strategy, 64))
        writer.writeString(clip(signal.rule, 128))
        writer.writeString(clip(signal.symbol, 32))
        writer.writeString(clip(signal.timeframe, 8))
        writer.writeInt64(signal.time)
        writer.writeUInt64(signal.price.bitPattern)
        writer.writeUInt8(code(signal.side))
        writer.writeUInt8(signal.kind == .entry ? 0 : 1)
        writer.writeUInt64(signal.strength.bitPattern)
        let snapshot = signal.snapshot.filter { $0.value.isFinite }.sorted { $0.key < $1.key }.prefix(maxSnapshot)
        writer.writeVarint(UInt64(snapshot.count))
        for (name, value) in snapshot {
            writer.writeString(clip(name, 64))
            writer.writeUInt64(value.bitPattern)
        }
        return writer.take()
    }
}

/// The checks a node makes on a signal record before it delivers or forwards it (`Specs/gossip.md`, section 9):
/// the record decodes and its signature verifies, it is not expired and not issued in the future, its sequence is
/// new (within the last `sequenceWindow` of its issuer's, not one already accepted: gossip may deliver an issuer's
/// records out of order), it was issued within `maxAge`, and its issuer stays within a rate. Keeps state per issuer
/// (bounded).
///
/// The rate is counted in the issuer's time (issue times, which its signature covers), not in arrival time, and
/// whatever the order records arrive in: at most `burst` records in any `burst / perSecond` seconds of issue time
/// (20 in 10 s by default) — records a partition held back arrive together, in any order, when it heals, and are no
/// burst of their issuer's. An issuer cannot date records ahead of the skew or before `maxAge`, so what it can send
/// at once is bounded by `burst` per window over `maxAge + maxSkew`, then `perSecond`.
public struct SignalValidator: Sendable {
    /// What to do with a record.
    public enum Verdict: Sendable, Equatable {
        /// Valid: deliver and forward.
        case accept(SignalRecord)
        /// Invalid: whoever forwarded it should have known (it decodes badly, its signature fails, it is issued in
        /// the future or claims too long a life).
        case reject(String)
        /// Not to be delivered, nobody at fault: expired by now, an old sequence, over its issuer's rate.
        case ignore(String)
    }

    /// How far in the future a record's issue time may be (clocks differ).
    public var maxSkew: Int64 = 30_000
    /// How long after its issue a record is still taken (ms): the gossip seen window with a margin, so that a
    /// record repaired after a partition within the window is delivered and an older one is not.
    public var maxAge: Int64 = 150_000
    /// Records an issuer may send in a burst.
    public var burst = 20.0
    /// Records an issuer may send per second after a burst.
    public var perSecond = 2.0
    /// Issuers whose state is kept (the least recently heard is forgotten beyond).
    public static let maxIssuers = 10_000

    /// How far below an issuer's highest sequence a record is still taken (out of order); older ones are refused.
    public static let sequenceWindow: UInt64 = 1024

    private struct Issuer: Sendable {
        var highest: UInt64
        /// The sequences accepted within the window below `highest`.
        var accepted: Set<UInt64>
        /// The issue times of the records accepted, ascending, as far back as `maxAge` and a rate window.
        var times: [Int64]
        /// When it was last heard (ms, the node's clock): the least recently heard is forgotten first.
        var heardAt: Int64
    }

    private var issuers: [NodeID: Issuer] = [:]
    /// Records accepted.
    public private(set) var accepted = 0
    /// Records rejected.
    public private(set) var rejected = 0
    /// Records ignored.
    public private(set) var ignored = 0

    /// A validator with no issuer seen.
    public init() {}

    /// The verdict on `bytes` at `now` (UTC milliseconds); an accepted record advances its issuer's state.
    public mutating func check(_ bytes: [UInt8], now: Int64) -> Verdict {
        let verdict = judge(bytes, now: now)
        switch verdict {
        case .accept: accepted += 1
        case .reject: rejected += 1
        case .ignore: ignored += 1
        }
        return verdict
    }

    private mutating func judge(_ bytes: [UInt8], now: Int64) -> Verdict {
        let record: SignalRecord
        do {
            record = try SignalRecord(decoding: bytes)
        } catch {
            return .reject(error.description)
        }
        guard record.issuedAt <= now + maxSkew else { return .reject("issued in the future") }
        guard record.expiresAt > now else { return .ignore("expired") }
        guard record.issuedAt >= now - maxAge else {
            return .ignore("issued more than \(maxAge / 1000) s ago")
        }
        var state = issuers[record.issuer] ?? Issuer(highest: 0, accepted: [], times: [], heardAt: now)
        if issuers[record.issuer] != nil {
            guard record.sequence + Self.sequenceWindow > state.highest else {
                return .ignore("sequence \(record.sequence) is too far below \(state.highest)")
            }
            guard !state.accepted.contains(record.sequence) else {
                return .ignore("sequence \(record.sequence) was accepted already")
            }
        }
        state.heardAt = now
        // At most `burst` in the window before this record's issue time and in the window after it.
        let window = Int64(burst / perSecond * 1000)
        let limit = Int(burst)
        let at = Self.position(of: record.issuedAt, in: state.times)
        let before = at - Self.position(of: record.issuedAt - window + 1, in: state.times)
        let after = Self.position(of: record.issuedAt + window, in: state.times) - at
        guard before < limit, after < limit else {
            issuers[record.issuer] = state
            return .ignore("over its issuer's rate")
        }
        state.times.insert(record.issuedAt, at: at)
        let forgotten = Self.position(of: now - maxAge - window, in: state.times)
        if forgotten > 0 { state.times.removeFirst(forgotten) }
        state.accepted.insert(record.sequence)
        if record.sequence > state.highest {
            state.highest = record.sequence
            if state.accepted.count > Int(Self.sequenceWindow) {
                state.accepted = state.accepted.filter { $0 + Self.sequenceWindow > state.highest }
            }
        }
        if issuers[record.issuer] == nil && issuers.count >= Self.maxIssuers,
            let oldest = issuers.min(by: { $0.value.heardAt < $1.value.heardAt })?.key
        {
            issuers[oldest] = nil
        }
        issuers[record.issuer] = state
        return .accept(record)
    }

    /// The index of the first of `times` (ascending) at or after `time`.
    private static func position(of time: Int64, in times: [Int64]) -> Int {
        var (low, high) = (0, times.count)
        while low < high {
            let middle = (low + high) / 2
            if times[middle] < time { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

public import MeshCore
import MeshCrypto
public import MeshWire

/// A gossip topic (`Specs/gossip.md`, section 2): `signals/<SYMBOL>`, `orders/<MARKET>`, `ledger/checkpoints`; 1 to
/// 64 bytes of letters, digits, `/`, `.`, `_` and `-`.
public struct Topic: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The longest topic name, in bytes.
    public static let maxLength = 64

    /// The name.
    public let name: String

    /// The topic `name`; nil when it is empty, too long, or has another character.
    public init?(_ name: String) {
        guard (1...Self.maxLength).contains(name.utf8.count),
            name.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2F || byte == 0x2E || byte == 0x5F || byte == 0x2D
            })
        else { return nil }
        self.name = name
    }

    /// The topic of `symbol`'s signals.
    public static func signals(_ symbol: String) -> Topic? { Topic("signals/" + symbol.uppercased()) }

    /// The largest message payload the topic carries (`Specs/gossip.md`, section 2): 8 KiB for `signals/` and
    /// `orders/` (a signal record with the largest snapshot is about 5.2 KB), `GossipFrame.maxPayload` otherwise. A
    /// larger message is refused when published and rejected when received (its sender loses score).
    public var maxPayload: Int {
        name.hasPrefix("signals/") || name.hasPrefix("orders/") ? 8192 : GossipFrame.maxPayload
    }

    /// The name.
    public var description: String { name }

    /// By name.
    public static func < (lhs: Topic, rhs: Topic) -> Bool { lhs.name < rhs.name }
}

/// A message's id: the first 16 bytes of SHA-256 over a domain label, the topic and the payload (the signed
/// envelope), so that the same message has the same id everywhere and a changed byte makes another message.
public struct MessageID: Hashable, Sendable, CustomStringConvertible {
    /// The bytes.
    public let bytes: FixedBytes<16>

    /// The id of `payload` on `topic`.
    public init(topic: Topic, payload: [UInt8]) {
        var hasher = SHA256()
        hasher.update(Array("signalmesh gossip message v1".utf8))
        hasher.update([UInt8(topic.name.utf8.count)])
        hasher.update(Array(topic.name.utf8))
        hasher.update(payload)
        let digest = hasher.finalize().bytes
        bytes = FixedBytes<16>(digest.prefix(16))!
    }

    init(bytes: FixedBytes<16>) { self.bytes = bytes }

    /// The first 8 bytes in hex, for logs.
    public var description: String { bytes.bytes.prefix(8).map { String($0, radix: 16) }.joined() }
}

/// The tag of a message's origin (the node that published it): the first 8 bytes of its node id. Each origin's
/// messages travel their own tree (`Specs/gossip.md`, section 5), and frames about trees name origins by tag.
public typealias OriginTag = UInt64

extension NodeID {
    /// This node's tag as an origin.
    public var originTag: OriginTag {
        publicKey.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).bigEndian }
    }
}

/// What neighbours say to each other about a topic's messages (`Specs/gossip.md`, section 3).
public enum GossipFrame: Sendable, Equatable {
    /// A message published by `origin`, pushed eagerly.
    case publish(topic: Topic, origin: NodeID, payload: [UInt8])
    /// Messages the sender has, with their origins (lazy push).
    case ihave(topic: Topic, entries: [(id: MessageID, origin: OriginTag)])
    /// Ids of messages the sender wants.
    case iwant(ids: [MessageID])
    /// The sender wants eager pushes of these origins' messages on the topic, and these messages now.
    case graft(topic: Topic, origins: [OriginTag], ids: [MessageID])
    /// The sender wants no more eager pushes of these origins' messages on the topic (a duplicate came this way).
    case prune(topic: Topic, origins: [OriginTag])
    /// The sender has these (large) messages already: do not send them.
    case idontwant(ids: [MessageID])
    /// The sender subscribes to (true) or leaves (false) these topics.
    case subscriptions([(topic: Topic, subscribed: Bool)])
    /// What the sender holds of the topic's messages, per origin: their count and the XOR of their ids' first 8
    /// bytes (anti-entropy after a new neighbour or a healed partition). A node's digest may take several frames;
    /// `final` marks the last. `reply`: sent in answer to the receiver's digest (not answered with another).
    /// `settled`: of the messages held for at least the settle time only (a periodic digest), to be compared with
    /// the receiver's settled messages.
    case digest(topic: Topic, entries: [DigestEntry], final: Bool, reply: Bool, settled: Bool = false)

    /// One origin's line of a DIGEST.
    public struct DigestEntry: Sendable, Equatable {
        /// The origin.
        public var origin: OriginTag
        /// How many of its messages on the topic the sender holds.
        public var count: UInt32
        /// The XOR of their ids' first 8 bytes (read as a little-endian u64).
        public var hash: UInt64

        /// An entry from its fields.
        public init(origin: OriginTag, count: UInt32, hash: UInt64) {
            self.origin = origin
            self.count = count
            self.hash = hash
        }
    }

    /// The most ids, entries or origins in one frame.
    public static let maxIDs = 64
    /// The most subscription changes in one frame.
    public static let maxSubscriptions = 64
    /// The largest payload a frame carries.
    public static let maxPayload = 65_536
    /// The wire frame type gossip frames travel in (`wire.md`, "Frames"; even: a receiver must understand it).
    public static let wireType: UInt64 = 32

    /// Whether `bytes`, an encoded frame, is a PUBLISH (by its kind byte alone; nothing else is checked).
    public static func isPublish(_ bytes: [UInt8]) -> Bool { bytes.first == Kind.publish.rawValue }

    private enum Kind: UInt8 {
        case publish = 1, ihave, iwant, graft, prune, idontwant, subscriptions, digest
    }

    /// Frames are equal when their kinds and fields are.
    public static func == (lhs: GossipFrame, rhs: GossipFrame) -> Bool {
        switch (lhs, rhs) {
        case (.publish(let a, let b, let c), .publish(let d, let e, let f)): a == d && b == e && c == f
        case (.ihave(let a, let b), .ihave(let c, let d)):
            a == c && b.count == d.count && zip(b, d).allSatisfy { $0.id == $1.id && $0.origin == $1.origin }
        case (.iwant(let a), .iwant(let b)): a == b
        case (.graft(let a, let b, let c), .graft(let d, let e, let f)): a == d && b == e && c == f
        case (.prune(let a, let b), .prune(let c, let d)): a == c && b == d
        case (.idontwant(let a), .idontwant(let b)): a == b
        case (.subscriptions(let a), .subscriptions(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.topic == $1.topic && $0.subscribed == $1.subscribed }
        case (.digest(let a, let b, let c, let d, let i), .digest(let e, let f, let g, let h, let j)):
            a == e && b == f && c == g && d == h && i == j
        default: false
        }
    }

    /// The frame's bytes: a wire frame of type `wireType` around the gossip frame.
    public func encoded() -> [UInt8] { Frame(type: Self.wireType, payload: body()).encoded }

    private func body() -> [UInt8] {
        var writer = WireWriter(capacity: 64)
        switch self {
        case .publish(let topic, let origin, let payload):
            writer.writeUInt8(Kind.publish.rawValue)
            writer.writeString(topic.name)
            writer.writeBytes32(origin.publicKey)
            writer.writeLengthPrefixed(payload)
        case .ihave(let topic, let entries):
            writer.writeUInt8(Kind.ihave.rawValue)
            writer.writeString(topic.name)
            writer.writeVarint(UInt64(entries.count))
            for entry in entries {
                entry.id.bytes.withUnsafeBytes { writer.writeBytes($0) }
                writer.writeUInt64(entry.origin)
            }
        case .iwant(let ids):
            writer.writeUInt8(Kind.iwant.rawValue)
            Self.write(ids, into: &writer)
        case .graft(let topic, let origins, let ids):
            writer.writeUInt8(Kind.graft.rawValue)
            writer.writeString(topic.name)
            Self.write(origins, into: &writer)
            Self.write(ids, into: &writer)
        case .prune(let topic, let origins):
            writer.writeUInt8(Kind.prune.rawValue)
            writer.writeString(topic.name)
            Self.write(origins, into: &writer)
        case .idontwant(let ids):
            writer.writeUInt8(Kind.idontwant.rawValue)
            Self.write(ids, into: &writer)
        case .subscriptions(let changes):
            writer.writeUInt8(Kind.subscriptions.rawValue)
            writer.writeVarint(UInt64(changes.count))
            for change in changes {
                writer.writeBool(change.subscribed)
                writer.writeString(change.topic.name)
            }
        case .digest(let topic, let entries, let final, let reply, let settled):
            writer.writeUInt8(Kind.digest.rawValue)
            writer.writeString(topic.name)
            writer.writeUInt8((final ? 1 : 0) | (reply ? 2 : 0) | (settled ? 4 : 0))
            writer.writeVarint(UInt64(entries.count))
            for entry in entries {
                writer.writeUInt64(entry.origin)
                writer.writeVarint(UInt64(entry.count))
                writer.writeUInt64(entry.hash)
            }
        }
        return writer.take()
    }

    /// The frame in `bytes`.
    /// - Throws: `WireError` for an unknown kind, a field out of bounds, a bad topic or trailing bytes.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        let frames = try Frame.decodeAll(bytes, maxPayload: Self.maxPayload + 1024, maxFrames: 1) {
            $0 == Self.wireType
        }
        guard let frame = frames.first else { throw .truncated(field: "gossip frame", needed: 1, available: 0) }
        var reader = WireReader(frame.payload)
        let raw = try reader.readUInt8("gossip frame kind")
        guard let kind = Kind(rawValue: raw) else { throw .unknownType(context: "gossip frame", type: UInt64(raw)) }
        switch kind {
        case .publish:
            let topic = try Self.topic(&reader)
            let origin = NodeID(publicKey: try reader.readBytes32("origin"))
            let payload = try reader.readLengthPrefixed("gossip payload", maxLength: Self.maxPayload)
            self = .publish(topic: topic, origin: origin, payload: payload)
        case .ihave:
            let topic = try Self.topic(&reader)
            let count = try reader.readCount("entry count", max: Self.maxIDs)
            var entries: [(id: MessageID, origin: OriginTag)] = []
            for _ in 0..<count {
                let id = MessageID(bytes: FixedBytes<16>(try reader.readBytes("message id", count: 16))!)
                entries.append((id, try reader.readUInt64("origin tag")))
            }
            self = .ihave(topic: topic, entries: entries)
        case .iwant:
            self = .iwant(ids: try Self.ids(&reader))
        case .graft:
            let topic = try Self.topic(&reader)
            let origins = try Self.origins(&reader)
            self = .graft(topic: topic, origins: origins, ids: try Self.ids(&reader))
        case .prune:
            let topic = try Self.topic(&reader)
            self = .prune(topic: topic, origins: try Self.origins(&reader))
        case .idontwant:
            self = .idontwant(ids: try Self.ids(&reader))
        case .subscriptions:
            let count = try reader.readCount("subscription count", max: Self.maxSubscriptions)
            var changes: [(topic: Topic, subscribed: Bool)] = []
            for _ in 0..<count {
                let subscribed = try reader.readBool("subscribed")
                changes.append((try Self.topic(&reader), subscribed))
            }
            self = .subscriptions(changes)
        case .digest:
            let topic = try Self.topic(&reader)
            let flags = try reader.readUInt8("digest flags")
            guard flags < 8 else { throw .invalidValue(field: "digest flags", reason: "unknown bits \(flags)") }
            let count = try reader.readCount("digest entry count", max: Self.maxIDs)
            var entries: [DigestEntry] = []
            for _ in 0..<count {
                let origin = try reader.readUInt64("origin tag")
                let held = try reader.readVarint("message count")
                guard held <= UInt64(UInt32.max) else {
                    throw .invalidValue(field: "message count", reason: "\(held) is more than 2^32 - 1")
                }
                entries.append(
                    DigestEntry(origin: origin, count: UInt32(held), hash: try reader.readUInt64("digest hash")))
            }
            self = .digest(
                topic: topic, entries: entries, final: flags & 1 != 0, reply: flags & 2 != 0, settled: flags & 4 != 0)
        }
        try reader.expectEnd("gossip frame")
    }

    private static func write(_ ids: [MessageID], into writer: inout WireWriter) {
        writer.writeVarint(UInt64(ids.count))
        for id in ids { id.bytes.withUnsafeBytes { writer.writeBytes($0) } }
    }

    private static func write(_ origins: [OriginTag], into writer: inout WireWriter) {
        writer.writeVarint(UInt64(origins.count))
        for origin in origins { writer.writeUInt64(origin) }
    }

    private static func ids(_ reader: inout WireReader) throws(WireError) -> [MessageID] {
        let count = try reader.readCount("id count", max: maxIDs)
        var ids: [MessageID] = []
        ids.reserveCapacity(count)
        for _ in 0..<count {
            ids.append(MessageID(bytes: FixedBytes<16>(try reader.readBytes("message id", count: 16))!))
        }
        return ids
    }

    private static func origins(_ reader: inout WireReader) throws(WireError) -> [OriginTag] {
        let count = try reader.readCount("origin count", max: maxIDs)
        var origins: [OriginTag] = []
        for _ in 0..<count { origins.append(try reader.readUInt64("origin tag")) }
        return origins
    }

    private static func topic(_ reader: inout WireReader) throws(WireError) -> Topic {
        let name = try reader.readString("topic", maxLength: Topic.maxLength)
        guard let topic = Topic(name) else {
            throw .invalidValue(field: "topic", reason: "not 1-64 letters, digits, /, ., _ or -")
        }
        return topic
    }
}

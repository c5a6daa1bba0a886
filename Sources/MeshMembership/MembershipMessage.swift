public import MeshCore
import MeshWire

/// A message of the membership protocol (`Specs/membership.md`, "Messages"), carried in one frame on the reliable
/// stream between two nodes. Records name the nodes they are about and are checked when decoded.
public enum MembershipMessage: Sendable, Equatable {
    /// A new node asks a contact (a seed, usually) to take it into the overlay.
    case join(PeerRecord)
    /// The contact spreads the new node by a random walk of `ttl` more hops.
    case forwardJoin(PeerRecord, ttl: UInt8)
    /// Asks to become an active neighbour; `highPriority` when the sender has no active neighbour at all.
    case neighbor(PeerRecord, highPriority: Bool)
    /// The answer to `neighbor`.
    case neighborReply(accepted: Bool)
    /// The sender drops the receiver from its active view (`alive`: it is not leaving the network).
    case disconnect(alive: Bool)
    /// A shuffle's random walk: `origin` asks for records in exchange for `records`, `ttl` more hops; `path` lists
    /// the nodes that forwarded it so far, in order, for the reply to come back along.
    case shuffle(origin: PeerRecord, ttl: UInt8, records: [PeerRecord], path: [NodeID])
    /// The answer to `origin`'s shuffle, travelling back along the walk's links: `path` is the hops still to pass,
    /// the next one last; when it is empty the next is the origin.
    case shuffleReply(origin: NodeID, path: [NodeID], records: [PeerRecord])
    /// A liveness probe; answered with `ack` carrying the same nonce.
    case ping(nonce: UInt32)
    /// The answer to `ping`, or a helper's report that `pingRequest`'s target answered.
    case ack(nonce: UInt32)
    /// Asks the receiver to probe `target` on the sender's behalf (SWIM's indirect probe).
    case pingRequest(nonce: UInt32, target: NodeID)
    /// A helper's report that `target` did not answer its probe in time (Lifeguard's NACK: the helper is alive).
    case nack(nonce: UInt32)

    /// At most this many records in one shuffle or reply.
    public static let maxRecords = 16
    /// The largest random walk.
    public static let maxTTL: UInt8 = 16
    /// At most this many node ids in a shuffle's path (one per hop of the longest walk).
    public static let maxPath = Int(maxTTL)

    /// Frame type numbers (even: a receiver must understand them, `Specs/wire.md` section 5).
    enum FrameType: UInt64, CaseIterable {
        case join = 2
        case forwardJoin = 4
        case neighbor = 6
        case neighborReply = 8
        case disconnect = 10
        case shuffle = 12
        case shuffleReply = 14
        case ping = 16
        case ack = 18
        case pingRequest = 20
        case nack = 22
    }

    /// The message as one frame.
    public var encoded: [UInt8] {
        var payload = WireWriter(capacity: 256)
        let type: FrameType
        switch self {
        case .join(let record):
            type = .join
            record.encode(into: &payload)
        case .forwardJoin(let record, let ttl):
            type = .forwardJoin
            record.encode(into: &payload)
            payload.writeUInt8(ttl)
        case .neighbor(let record, let highPriority):
            type = .neighbor
            record.encode(into: &payload)
            payload.writeBool(highPriority)
        case .neighborReply(let accepted):
            type = .neighborReply
            payload.writeBool(accepted)
        case .disconnect(let alive):
            type = .disconnect
            payload.writeBool(alive)
        case .shuffle(let origin, let ttl, let records, let path):
            type = .shuffle
            origin.encode(into: &payload)
            payload.writeUInt8(ttl)
            Self.encode(records, into: &payload)
            Self.encode(path, into: &payload)
        case .shuffleReply(let origin, let path, let records):
            type = .shuffleReply
            payload.writeBytes32(origin.publicKey)
            Self.encode(path, into: &payload)
            Self.encode(records, into: &payload)
        case .ping(let nonce):
            type = .ping
            payload.writeUInt32(nonce)
        case .ack(let nonce):
            type = .ack
            payload.writeUInt32(nonce)
        case .pingRequest(let nonce, let target):
            type = .pingRequest
            payload.writeUInt32(nonce)
            payload.writeBytes32(target.publicKey)
        case .nack(let nonce):
            type = .nack
            payload.writeUInt32(nonce)
        }
        return Frame(type: type.rawValue, payload: payload.take()).encoded
    }

    /// Decodes one message that fills `bytes` (one frame).
    /// - Throws: `MembershipMessageError` naming what was wrong.
    public init(decoding bytes: [UInt8]) throws(MembershipMessageError) {
        let frames: [Frame]
        do {
            frames = try Frame.decodeAll(bytes, maxPayload: 8 << 10, maxFrames: 1) {
                FrameType(rawValue: $0) != nil
            }
        } catch {
            throw .malformed(error.description)
        }
        guard frames.count == 1, let type = FrameType(rawValue: frames[0].type) else {
            throw .malformed("a membership message is one frame of a known type")
        }
        var reader = WireReader(frames[0].payload)
        do {
            switch type {
            case .join:
                self = .join(try PeerRecord(from: &reader))
            case .forwardJoin:
                let record = try PeerRecord(from: &reader)
                self = .forwardJoin(record, ttl: try Self.readTTL(&reader))
            case .neighbor:
                let record = try PeerRecord(from: &reader)
                self = .neighbor(record, highPriority: try reader.readBool("high priority"))
            case .neighborReply:
                self = .neighborReply(accepted: try reader.readBool("accepted"))
            case .disconnect:
                self = .disconnect(alive: try reader.readBool("alive"))
            case .shuffle:
                let origin = try PeerRecord(from: &reader)
                let ttl = try Self.readTTL(&reader)
                let records = try Self.readRecords(&reader)
                self = .shuffle(origin: origin, ttl: ttl, records: records, path: try Self.readPath(&reader))
            case .shuffleReply:
                let origin = NodeID(publicKey: try reader.readBytes32("origin"))
                let path = try Self.readPath(&reader)
                self = .shuffleReply(origin: origin, path: path, records: try Self.readRecords(&reader))
            case .ping:
                self = .ping(nonce: try reader.readUInt32("nonce"))
            case .ack:
                self = .ack(nonce: try reader.readUInt32("nonce"))
            case .pingRequest:
                let nonce = try reader.readUInt32("nonce")
                self = .pingRequest(nonce: nonce, target: NodeID(publicKey: try reader.readBytes32("target")))
            case .nack:
                self = .nack(nonce: try reader.readUInt32("nonce"))
            }
            try reader.expectEnd("membership message")
        } catch let error as PeerRecordError {
            throw .badRecord(error)
        } catch let error as WireError {
            throw .malformed(error.description)
        } catch {
            throw .malformed(String(describing: error))
        }
    }

    private static func encode(_ records: [PeerRecord], into writer: inout WireWriter) {
        precondition(records.count <= maxRecords, "at most \(maxRecords) records in one message")
        writer.writeVarint(UInt64(records.count))
        for record in records { record.encode(into: &writer) }
    }

    private static func readRecords(_ reader: inout WireReader) throws -> [PeerRecord] {
        let count = try reader.readCount("records", max: maxRecords)
        var records: [PeerRecord] = []
        for _ in 0..<count { records.append(try PeerRecord(from: &reader)) }
        return records
    }

    private static func encode(_ path: [NodeID], into writer: inout WireWriter) {
        precondition(path.count <= maxPath, "at most \(maxPath) hops in a path")
        writer.writeVarint(UInt64(path.count))
        for id in path { writer.writeBytes32(id.publicKey) }
    }

    private static func readPath(_ reader: inout WireReader) throws -> [NodeID] {
        let count = try reader.readCount("path", max: maxPath)
        var path: [NodeID] = []
        for _ in 0..<count { path.append(NodeID(publicKey: try reader.readBytes32("path hop"))) }
        return path
    }

    private static func readTTL(_ reader: inout WireReader) throws(WireError) -> UInt8 {
        let ttl = try reader.readUInt8("ttl")
        guard ttl <= maxTTL else { throw .oversized(field: "ttl", length: UInt64(ttl), limit: UInt64(maxTTL)) }
        return ttl
    }
}

/// Why a membership message was refused (the sender's fault: counted against it).
public enum MembershipMessageError: Error, Equatable, CustomStringConvertible {
    /// Not a well-formed message of this version.
    case malformed(String)
    /// A record in it does not decode or verify.
    case badRecord(PeerRecordError)

    /// What was wrong.
    public var description: String {
        switch self {
        case .malformed(let detail): "a malformed membership message: \(detail)"
        case .badRecord(let error): "a membership message with \(error.description)"
        }
    }
}

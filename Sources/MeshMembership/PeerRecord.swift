public import MeshCore
public import MeshCrypto
public import MeshWire

/// A node's signed statement of where it can be reached (`Specs/membership.md`, "Peer records"). Nodes pass each
/// other's records in peer exchange; because only the node itself can sign its record, nobody can point others at a
/// wrong address under its id, and a higher `seq` replaces an older record.
public struct PeerRecord: Sendable, Equatable {
    /// The record format's version byte.
    public static let version: UInt8 = 1
    /// At most this many addresses in a record.
    public static let maxAddresses = 8
    /// The longest encoded record: header, 8 IPv6 addresses and the signature.
    public static let maxEncodedSize = 1 + 32 + 8 + 8 + 1 + 1 + maxAddresses * 19 + 64
    /// Prefixed to the record's encoding (without its signature) before signing.
    public static let context = Array("signalmesh-peer-record/1\n".utf8)

    /// What a node says about itself, beyond its addresses.
    public struct Roles: OptionSet, Sendable, Hashable {
        /// The role bits as encoded.
        public let rawValue: UInt8
        /// Roles from their bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The node runs the seed profile (`signalmesh seed`): many connections, no trading state.
        public static let seed = Roles(rawValue: 1)
        /// Every role this version knows; other bits are refused.
        public static let known: Roles = [.seed]
    }

    /// The fields, shared by copies (one reference to count instead of a record's 150 bytes and its address list:
    /// records travel in every view, walk and shuffle).
    private final class Storage: Sendable {
        let nodeID: NodeID
        let seq: UInt64
        let issuedAt: Instant
        let roles: Roles
        let addresses: [SocketAddress]
        let signature: Bytes64
        /// The whole encoding, signature included: written out as it is, and compared with what arrives
        /// (`DecodedRecords`).
        let encoding: [UInt8]

        init(
            nodeID: NodeID, seq: UInt64, issuedAt: Instant, roles: Roles, addresses: [SocketAddress],
            signature: Bytes64,
            encoding: [UInt8]
        ) {
            self.nodeID = nodeID
            self.seq = seq
            self.issuedAt = issuedAt
            self.roles = roles
            self.addresses = addresses
            self.signature = signature
            self.encoding = encoding
        }
    }

    private let storage: Storage

    /// The node the record is about, and whose key signed it.
    public var nodeID: NodeID { storage.nodeID }
    /// Rises whenever the node issues a new record; the highest one known wins.
    public var seq: UInt64 { storage.seq }
    /// When the node issued the record (nanoseconds; records far older than their peers' are treated as stale).
    public var issuedAt: Instant { storage.issuedAt }
    /// The roles the node claims (a claim, not a proof: nodes treat it as a hint).
    public var roles: Roles { storage.roles }
    /// Where the node listens, 1 to `maxAddresses`, in its order of preference.
    public var addresses: [SocketAddress] { storage.addresses }
    /// Ed25519 by `nodeID` over `context` and the encoding of the fields above.
    public var signature: Bytes64 { storage.signature }

    /// Equal when every field is (the same storage is equal at once).
    public static func == (lhs: PeerRecord, rhs: PeerRecord) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.nodeID == rhs.nodeID && lhs.seq == rhs.seq && lhs.issuedAt == rhs.issuedAt
                && lhs.roles == rhs.roles && lhs.addresses == rhs.addresses && lhs.signature == rhs.signature)
    }

    /// Issues a record for `key`'s node.
    /// - Precondition: 1 to `maxAddresses` addresses, none with port 0.
    public init(
        key: Ed25519PrivateKey, seq: UInt64, issuedAt: Instant, roles: Roles = [], addresses: [SocketAddress]
    ) {
        precondition(
            (1...Self.maxAddresses).contains(addresses.count) && addresses.allSatisfy { $0.port != 0 },
            "a peer record has 1 to \(Self.maxAddresses) addresses with nonzero ports")
        let nodeID = key.nodeID
        var writer = WireWriter()
        Self.encodeUnsigned(
            nodeID: nodeID, seq: seq, issuedAt: issuedAt, roles: roles, addresses: addresses, into: &writer)
        var encoding = writer.take()
        let signature = key.signature(for: Self.context + encoding)
        signature.withUnsafeBytes { encoding.append(contentsOf: $0) }
        storage = Storage(
            nodeID: nodeID, seq: seq, issuedAt: issuedAt, roles: roles, addresses: addresses, signature: signature,
            encoding: encoding)
    }

    /// Reads a record from `reader` and checks its signature.
    /// - Throws: `WireError` for a malformed encoding, `PeerRecordError.invalidSignature` for a bad signature.
    public init(from reader: inout WireReader) throws(PeerRecordError) {
        // The same record arrives many times (in join walks, shuffles and replies; at every node of a simulation):
        // bytes equal to a record decoded before decode to it again, without parsing or a signature check.
        if let known = DecodedRecords.match(reader) {
            try! reader.skip("peer record", count: known.encoded.count)  // `match` saw that many
            self = known
            return
        }
        let start = reader
        do {
            let version = try reader.readUInt8("peer record version")
            guard version == Self.version else { throw WireError.unsupportedVersion(version, supported: Self.version) }
            let nodeID = NodeID(publicKey: try reader.readBytes32("peer record node id"))
            let seq = try reader.readVarint("peer record seq")
            let issuedAt = Instant(nanosecondsSinceEpoch: try reader.readInt64("peer record issued at"))
            let rawRoles = try reader.readUInt8("peer record roles")
            guard Roles(rawValue: rawRoles).isSubset(of: .known) else {
                throw WireError.invalidValue(
                    field: "peer record roles", reason: "unknown role bits in \(String(rawRoles, radix: 2))")
            }
            let roles = Roles(rawValue: rawRoles)
            let count = try reader.readCount("peer record addresses", max: Self.maxAddresses)
            guard count >= 1 else { throw WireError.invalidValue(field: "peer record addresses", reason: "none") }
            var addresses: [SocketAddress] = []
            for _ in 0..<count { addresses.append(try Self.readAddress(&reader)) }
            let signedLength = reader.offset - start.offset
            let signature = try reader.readBytes64("peer record signature")
            var signed = start
            let message = try signed.readBytes("peer record", count: signedLength)
            // Through the memo: the same record arrives many times (VerifiedSignatures).
            guard VerifiedSignatures.isValid(signature, for: Self.context + message, key: Ed25519PublicKey(nodeID))
            else {
                throw PeerRecordError.invalidSignature(nodeID)
            }
            var encoding = message
            signature.withUnsafeBytes { encoding.append(contentsOf: $0) }
            storage = Storage(
                nodeID: nodeID, seq: seq, issuedAt: issuedAt, roles: roles, addresses: addresses, signature: signature,
                encoding: encoding)
            DecodedRecords.remember(self)
        } catch let error as WireError {
            reader = start
            throw .malformed(error)
        } catch let error as PeerRecordError {
            reader = start
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Decodes one record that fills `bytes` exactly.
    public init(decoding bytes: [UInt8]) throws(PeerRecordError) {
        var reader = WireReader(bytes)
        try self.init(from: &reader)
        do {
            try reader.expectEnd("peer record")
        } catch {
            throw .malformed(error)
        }
    }

    /// Appends the record's encoding.
    public func encode(into writer: inout WireWriter) {
        writer.writeBytes(storage.encoding)
    }

    /// The record's encoding.
    public var encoded: [UInt8] { storage.encoding }

    /// Whether this record should replace `other` (both about the same node): a higher `seq`.
    public func supersedes(_ other: PeerRecord) -> Bool {
        nodeID == other.nodeID && seq > other.seq
    }

    private static func encodeUnsigned(
        nodeID: NodeID, seq: UInt64, issuedAt: Instant, roles: Roles, addresses: [SocketAddress],
        into writer: inout WireWriter
    ) {
        writer.writeUInt8(version)
        writer.writeBytes32(nodeID.publicKey)
        writer.writeVarint(seq)
        writer.writeInt64(issuedAt.nanosecondsSinceEpoch)
        writer.writeUInt8(roles.rawValue)
        writer.writeVarint(UInt64(addresses.count))
        for address in addresses { writeAddress(address, into: &writer) }
    }

    /// `family:u8` (4 or 6), the host's 4 or 16 bytes, `port:u16`.
    static func writeAddress(_ address: SocketAddress, into writer: inout WireWriter) {
        switch address {
        case .ipv4(let host, let port):
            writer.writeUInt8(4)
            writer.writeUInt32(host)
            writer.writeUInt16(port)
        case .ipv6(let host, let port):
            writer.writeUInt8(6)
            writer.writeBytes(host.bytes)
            writer.writeUInt16(port)
        }
    }

    static func readAddress(_ reader: inout WireReader) throws(WireError) -> SocketAddress {
        let family = try reader.readUInt8("address family")
        let address: SocketAddress
        switch family {
        case 4:
            let host = try reader.readUInt32("IPv4 address")
            address = .ipv4(host, port: try reader.readUInt16("port"))
        case 6:
            let host = Bytes16(try reader.readBytes("IPv6 address", count: 16))!
            address = .ipv6(host, port: try reader.readUInt16("port"))
        default:
            throw .invalidValue(field: "address family", reason: "\(family) is neither 4 nor 6")
        }
        guard address.port != 0 else { throw .invalidValue(field: "port", reason: "port 0") }
        return address
    }
}

/// Why a peer record was refused.
public enum PeerRecordError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a record of this version (the wire error says which field).
    case malformed(WireError)
    /// The signature does not verify for the node the record names: forged or altered.
    case invalidSignature(NodeID)

    /// What was wrong.
    public var description: String {
        switch self {
        case .malformed(let error): "a malformed peer record: \(error.description)"
        case .invalidSignature(let id): "a peer record for \(id.shortText)… whose signature does not verify"
        }
    }
}

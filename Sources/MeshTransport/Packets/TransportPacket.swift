public import MeshCore
public import MeshWire

/// The four packet kinds that travel in UDP datagrams between SignalMesh nodes (`Specs/transport.md`,
/// "Packets"), WireGuard's layout with SignalMesh's suite.
///
/// Every packet starts with a type byte and three zero bytes. Handshake packets have fixed sizes, so a decoder
/// checks the exact length before reading anything; a response (92 bytes) and a cookie reply (52 bytes) are always
/// smaller than the 180-byte initiation that provokes them, so a node never sends an unvalidated address more bytes
/// than it received.
public enum TransportPacket: Equatable, Sendable {
    /// Handshake message 1: `-> e, es, s, ss` with a TAI64N timestamp and the initiator's Ed25519 key as payload.
    case initiation(Initiation)
    /// Handshake message 2: `<- e, ee, se` with an empty payload.
    case response(Response)
    /// An encrypted cookie, sent instead of a response while the responder is under load.
    case cookieReply(CookieReply)
    /// An encrypted packet of a session, carrying frames.
    case data(DataPacket)

    /// Type bytes.
    public enum Kind: UInt8, Sendable {
        /// Handshake message 1, 180 bytes.
        case initiation = 1
        /// Handshake message 2, 92 bytes.
        case response = 2
        /// A cookie reply, 52 bytes.
        case cookieReply = 3
        /// A session packet, 32 to 1200 bytes.
        case data = 4
    }

    /// An initiation: header (4), sender index (4), Noise message (32 + 48 + 44 + 16), MACs (32).
    public static let initiationLength = 180
    /// A response: header (4), sender index (4), receiver index (4), Noise message (32 + 16), MACs (32).
    public static let responseLength = 92
    /// A cookie reply: header (4), receiver index (4), nonce (12), sealed cookie (16 + 16).
    public static let cookieReplyLength = 52
    /// Header of a data packet: type and reserved (4), receiver index (4), counter (8).
    public static let dataHeaderLength = 16
    /// The smallest data packet: header and the AEAD tag of an empty payload.
    public static let minimumDataLength = dataHeaderLength + 16
    /// Bytes of each MAC field.
    public static let macLength = 16

    /// The initiation packet.
    public struct Initiation: Equatable, Sendable {
        /// The index the initiator picked at random for this handshake; the response and the responder's data packets
        /// carry it back as their receiver index.
        public var senderIndex: UInt32
        /// The Noise message: e (32), encrypted s (48), encrypted payload (timestamp 12, Ed25519 key 32, tag 16).
        public var noiseMessage: [UInt8]
        /// HMAC-SHA256 of the packet up to here under the receiver's mac1 key, first 16 bytes: checked before any
        /// Diffie-Hellman (`Specs/transport.md`, section 4).
        public var mac1: Bytes16
        /// HMAC-SHA256 of the packet up to here under a cookie, first 16 bytes; zeros without a fresh cookie.
        public var mac2: Bytes16

        /// Bytes of the Noise message: 32 + 48 + 44 + 16.
        public static let noiseLength = 140

        /// An initiation. The MACs default to zeros because `PacketMAC.seal` fills them in on the encoded bytes.
        /// Traps unless `noiseMessage` has `noiseLength` bytes: our handshake builds it and `decode` reads exactly
        /// that many, so any other size is a bug.
        public init(senderIndex: UInt32, noiseMessage: [UInt8], mac1: Bytes16 = .zero, mac2: Bytes16 = .zero) {
            precondition(noiseMessage.count == Self.noiseLength, "initiation Noise message must be 140 bytes")
            self.senderIndex = senderIndex
            self.noiseMessage = noiseMessage
            self.mac1 = mac1
            self.mac2 = mac2
        }
    }

    /// The response packet.
    public struct Response: Equatable, Sendable {
        /// The index the responder picked at random for the session; the initiator's data packets carry it as their
        /// receiver index.
        public var senderIndex: UInt32
        /// The sender index of the initiation this answers.
        public var receiverIndex: UInt32
        /// The Noise message: e (32) and the tag of the empty payload (16).
        public var noiseMessage: [UInt8]
        /// HMAC-SHA256 of the packet up to here under the receiver's mac1 key, first 16 bytes: checked before any
        /// Diffie-Hellman (`Specs/transport.md`, section 4).
        public var mac1: Bytes16
        /// HMAC-SHA256 of the packet up to here under a cookie, first 16 bytes; zeros without a fresh cookie.
        public var mac2: Bytes16

        /// Bytes of the Noise message: e (32) and the tag (16).
        public static let noiseLength = 48

        /// A response. The MACs default to zeros because `PacketMAC.seal` fills them in on the encoded bytes.
        /// Traps unless `noiseMessage` has `noiseLength` bytes: our handshake builds it and `decode` reads exactly
        /// that many, so any other size is a bug.
        public init(
            senderIndex: UInt32, receiverIndex: UInt32, noiseMessage: [UInt8], mac1: Bytes16 = .zero,
            mac2: Bytes16 = .zero
        ) {
            precondition(noiseMessage.count == Self.noiseLength, "response Noise message must be 48 bytes")
            self.senderIndex = senderIndex
            self.receiverIndex = receiverIndex
            self.noiseMessage = noiseMessage
            self.mac1 = mac1
            self.mac2 = mac2
        }
    }

    /// The cookie reply packet.
    public struct CookieReply: Equatable, Sendable {
        /// The sender index of the handshake message this answers.
        public var receiverIndex: UInt32
        /// The random 12-byte AES-256-GCM nonce the cookie was sealed with.
        public var nonce: [UInt8]
        /// The 16-byte cookie sealed with AES-256-GCM (32 bytes with the tag).
        public var sealedCookie: [UInt8]

        /// A cookie reply. Traps unless `nonce` has 12 bytes and `sealedCookie` 32, the sizes the packet layout fixes.
        public init(receiverIndex: UInt32, nonce: [UInt8], sealedCookie: [UInt8]) {
            precondition(nonce.count == 12 && sealedCookie.count == 32, "cookie reply field sizes")
            self.receiverIndex = receiverIndex
            self.nonce = nonce
            self.sealedCookie = sealedCookie
        }
    }

    /// A session packet.
    public struct DataPacket: Equatable, Sendable {
        /// The index the receiver picked for this session: it finds the session and its keys by it.
        public var receiverIndex: UInt32
        /// The packet number, which is also the AEAD nonce.
        public var counter: UInt64
        /// The encrypted frames and the 16-byte tag.
        public var ciphertext: [UInt8]

        /// A data packet. Sizes are not checked here; `decode` enforces them on datagrams from outside.
        public init(receiverIndex: UInt32, counter: UInt64, ciphertext: [UInt8]) {
            self.receiverIndex = receiverIndex
            self.counter = counter
            self.ciphertext = ciphertext
        }
    }

    /// The packet's bytes.
    public var encoded: [UInt8] {
        var writer = WireWriter(capacity: Self.initiationLength)
        switch self {
        case .initiation(let packet):
            Self.writeHeader(.initiation, into: &writer)
            writer.writeUInt32(packet.senderIndex)
            writer.writeBytes(packet.noiseMessage)
            writer.writeBytes(packet.mac1.bytes)
            writer.writeBytes(packet.mac2.bytes)
        case .response(let packet):
            Self.writeHeader(.response, into: &writer)
            writer.writeUInt32(packet.senderIndex)
            writer.writeUInt32(packet.receiverIndex)
            writer.writeBytes(packet.noiseMessage)
            writer.writeBytes(packet.mac1.bytes)
            writer.writeBytes(packet.mac2.bytes)
        case .cookieReply(let packet):
            Self.writeHeader(.cookieReply, into: &writer)
            writer.writeUInt32(packet.receiverIndex)
            writer.writeBytes(packet.nonce)
            writer.writeBytes(packet.sealedCookie)
        case .data(let packet):
            Self.writeHeader(.data, into: &writer)
            writer.writeUInt32(packet.receiverIndex)
            writer.writeUInt64(packet.counter)
            writer.writeBytes(packet.ciphertext)
        }
        return writer.bytes
    }

    private static func writeHeader(_ kind: Kind, into writer: inout WireWriter) {
        writer.writeUInt8(kind.rawValue)
        writer.writeBytes([0, 0, 0])
    }

    /// Decodes a datagram. Every failure is a `WireError`; nothing is allocated beyond the datagram's own size.
    public static func decode(_ datagram: [UInt8]) throws(WireError) -> TransportPacket {
        var reader = WireReader(datagram)
        let typeByte = try reader.readUInt8("packet type")
        guard let kind = Kind(rawValue: typeByte) else { throw .unknownType(context: "packet", type: UInt64(typeByte)) }
        let reserved = try reader.readBytes("reserved", count: 3)
        guard reserved == [0, 0, 0] else { throw .invalidValue(field: "reserved", reason: "must be zero") }
        switch kind {
        case .initiation:
            try expectLength(datagram, initiationLength, "initiation")
            let index = try reader.readUInt32("sender index")
            let noise = try reader.readBytes("noise message", count: Initiation.noiseLength)
            let mac1 = Bytes16(try reader.readBytes("mac1", count: macLength))!
            let mac2 = Bytes16(try reader.readBytes("mac2", count: macLength))!
            return .initiation(Initiation(senderIndex: index, noiseMessage: noise, mac1: mac1, mac2: mac2))
        case .response:
            try expectLength(datagram, responseLength, "response")
            let sender = try reader.readUInt32("sender index")
            let receiver = try reader.readUInt32("receiver index")
            let noise = try reader.readBytes("noise message", count: Response.noiseLength)
            let mac1 = Bytes16(try reader.readBytes("mac1", count: macLength))!
            let mac2 = Bytes16(try reader.readBytes("mac2", count: macLength))!
            return .response(
                Response(senderIndex: sender, receiverIndex: receiver, noiseMessage: noise, mac1: mac1, mac2: mac2))
        case .cookieReply:
            try expectLength(datagram, cookieReplyLength, "cookie reply")
            let receiver = try reader.readUInt32("receiver index")
            let nonce = try reader.readBytes("nonce", count: 12)
            let sealed = try reader.readBytes("sealed cookie", count: 32)
            return .cookieReply(CookieReply(receiverIndex: receiver, nonce: nonce, sealedCookie: sealed))
        case .data:
            guard datagram.count >= minimumDataLength else {
                throw .truncated(field: "data packet", needed: minimumDataLength, available: datagram.count)
            }
            guard datagram.count <= Limits.maxDatagramSize else {
                throw .oversized(
                    field: "data packet", length: UInt64(datagram.count), limit: UInt64(Limits.maxDatagramSize))
            }
            let receiver = try reader.readUInt32("receiver index")
            let counter = try reader.readUInt64("counter")
            let ciphertext = try reader.readBytes("ciphertext", count: reader.remaining)
            return .data(DataPacket(receiverIndex: receiver, counter: counter, ciphertext: ciphertext))
        }
    }

    /// The receiver index and counter of a data packet, checked (type, reserved bytes, size) without copying
    /// anything: the receive path of established sessions.
    public static func dataHeader(_ datagram: [UInt8]) throws(WireError) -> (receiverIndex: UInt32, counter: UInt64) {
        guard datagram.count >= minimumDataLength else {
            throw .truncated(field: "data packet", needed: minimumDataLength, available: datagram.count)
        }
        guard datagram.count <= Limits.maxDatagramSize else {
            throw .oversized(
                field: "data packet", length: UInt64(datagram.count), limit: UInt64(Limits.maxDatagramSize))
        }
        guard datagram[0] == Kind.data.rawValue else {
            throw .invalidValue(field: "packet type", reason: "not a data packet")
        }
        guard datagram[1] == 0 && datagram[2] == 0 && datagram[3] == 0 else {
            throw .invalidValue(field: "reserved", reason: "must be zero")
        }
        let index = datagram[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let counter = datagram[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (index, counter)
    }

    private static func expectLength(_ datagram: [UInt8], _ length: Int, _ name: StaticString) throws(WireError) {
        if datagram.count < length {
            throw .truncated(field: "\(name)", needed: length, available: datagram.count)
        }
        if datagram.count > length { throw .trailingBytes(context: "\(name)", count: datagram.count - length) }
    }
}

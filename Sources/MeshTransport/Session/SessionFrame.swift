import MeshCore
public import MeshWire

/// The frames inside a session packet's plaintext (`Specs/transport.md`, "Frames"); QUIC's encoding: a varint type
/// followed by the type's fields. A packet with no frames is a keepalive.
public enum SessionFrame: Equatable, Sendable {
    /// One zero byte; pads a packet.
    case padding
    /// Asks the peer to acknowledge; carries nothing.
    case ping
    /// An unreliable message, delivered once if it arrives.
    case datagram([UInt8])
    /// The sender is closing the session; `reason` is for logs.
    case close(code: UInt64, reason: String)
    /// Acknowledges packets received on the session the *receiver of this frame* knows by `sessionIndex` (its own
    /// index: packet numbers restart with each session).
    case ack(sessionIndex: UInt32, AckFrame)
    /// Bytes of the reliable stream generation `streamID`, starting at `offset`.
    case stream(streamID: UInt32, offset: UInt64, bytes: [UInt8])
    /// The receiver of stream generation `streamID` allows the sender to send up to offset `limit`.
    case maxData(streamID: UInt32, limit: UInt64)

    /// Type numbers.
    enum Kind: UInt64 {
        case padding = 0x00
        case ping = 0x01
        case ack = 0x02
        case stream = 0x08
        case maxData = 0x10
        case close = 0x1c
        case datagram = 0x30
    }

    /// The most reason text a CLOSE frame carries.
    public static let maxReasonLength = 256

    /// Appends the frame.
    public func encode(into writer: inout WireWriter) {
        switch self {
        case .padding:
            writer.writeVarint(Kind.padding.rawValue)
        case .ping:
            writer.writeVarint(Kind.ping.rawValue)
        case .datagram(let bytes):
            writer.writeVarint(Kind.datagram.rawValue)
            writer.writeLengthPrefixed(bytes)
        case .close(let code, let reason):
            writer.writeVarint(Kind.close.rawValue)
            writer.writeVarint(code)
            writer.writeString(Self.truncated(reason))
        case .ack(let index, let frame):
            writer.writeVarint(Kind.ack.rawValue)
            writer.writeUInt32(index)
            frame.encode(into: &writer)
        case .stream(let id, let offset, let bytes):
            writer.writeVarint(Kind.stream.rawValue)
            writer.writeUInt32(id)
            writer.writeVarint(offset)
            writer.writeLengthPrefixed(bytes)
        case .maxData(let id, let limit):
            writer.writeVarint(Kind.maxData.rawValue)
            writer.writeUInt32(id)
            writer.writeVarint(limit)
        }
    }

    /// The bytes a DATAGRAM frame adds to its message: type (1) and a length of up to 2 bytes.
    public static let datagramOverhead = 3
    /// The most bytes a STREAM frame adds to its data: type (1), stream id (4), offset (8), length (2).
    public static let streamOverhead = 15

    /// The number of bytes `encode(into:)` writes, computed without writing them.
    public var encodedSize: Int {
        // Every type number is below 64: one byte.
        switch self {
        case .padding, .ping:
            return 1
        case .datagram(let bytes):
            return 1 + Varint.encodedLength(of: UInt64(bytes.count)) + bytes.count
        case .close(let code, let reason):
            let text = Self.truncated(reason).utf8.count
            return 1 + Varint.encodedLength(of: code) + Varint.encodedLength(of: UInt64(text)) + text
        case .ack(_, let frame):
            return 1 + 4 + frame.encodedLength
        case .stream(_, let offset, let bytes):
            return 1 + 4 + Varint.encodedLength(of: offset) + Varint.encodedLength(of: UInt64(bytes.count))
                + bytes.count
        case .maxData(_, let limit):
            return 1 + 4 + Varint.encodedLength(of: limit)
        }
    }

    /// Whether the frame asks for an acknowledgment (RFC 9000 section 13.2: all but ACK and PADDING).
    public var isAckEliciting: Bool {
        switch self {
        case .padding, .ack: false
        case .ping, .datagram, .close, .stream, .maxData: true
        }
    }

    /// Decodes every frame of a plaintext. Padding is dropped from the result.
    public static func decodeAll(_ plaintext: [UInt8]) throws(WireError) -> [SessionFrame] {
        var frames: [SessionFrame] = []
        var buffers = BufferPool(limit: 0)
        try decodeAll(plaintext, into: &frames, buffers: &buffers)
        return frames
    }

    /// Decodes every frame of a plaintext, appending them to `frames` (padding dropped); DATAGRAM and STREAM
    /// payloads are copied into buffers from `buffers`, so that a receiver that reuses its frame array and gets its
    /// buffers back decodes without allocating. On failure, `frames` holds the frames decoded before the bad one.
    static func decodeAll(
        _ plaintext: [UInt8], into frames: inout [SessionFrame], buffers: inout BufferPool
    ) throws(WireError) {
        var reader = WireReader(plaintext)
        while !reader.isAtEnd {
            let type = try reader.readVarint("frame type")
            switch Kind(rawValue: type) {
            case .padding:
                continue
            case .ping:
                frames.append(.ping)
            case .datagram:
                var message = buffers.take()
                try reader.readLengthPrefixed("datagram", maxLength: Limits.maxDatagramSize, appendingTo: &message)
                frames.append(.datagram(message))
            case .close:
                let code = try reader.readVarint("close code")
                let reason = try reader.readString("close reason", maxLength: maxReasonLength)
                frames.append(.close(code: code, reason: reason))
            case .ack:
                let index = try reader.readUInt32("ack session index")
                frames.append(.ack(sessionIndex: index, try AckFrame.decode(from: &reader)))
            case .stream:
                let id = try reader.readUInt32("stream id")
                let offset = try reader.readVarint("stream offset")
                var bytes = buffers.take()
                try reader.readLengthPrefixed("stream data", maxLength: Limits.maxDatagramSize, appendingTo: &bytes)
                guard offset <= Varint.max - UInt64(bytes.count) else {
                    throw .oversized(field: "stream offset", length: offset, limit: Varint.max - UInt64(bytes.count))
                }
                frames.append(.stream(streamID: id, offset: offset, bytes: bytes))
            case .maxData:
                let id = try reader.readUInt32("stream id")
                frames.append(.maxData(streamID: id, limit: try reader.readVarint("max data")))
            case nil:
                throw .unknownType(context: "session frame", type: type)
            }
        }
    }

    /// `text` cut at a character boundary to at most `maxReasonLength` UTF-8 bytes.
    static func truncated(_ text: String) -> String {
        var result = ""
        for character in text {
            guard result.utf8.count + character.utf8.count <= maxReasonLength else { break }
            result.append(character)
        }
        return result
    }
}

public import MeshCore
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

    /// Type numbers.
    enum Kind: UInt64 {
        case padding = 0x00
        case ping = 0x01
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
            writer.writeString(String(reason.utf8.prefix(Self.maxReasonLength))!)
        }
    }

    /// The bytes a DATAGRAM frame adds to its message: type (1) and a length of up to 2 bytes.
    public static let datagramOverhead = 3

    /// Decodes every frame of a plaintext. Padding is dropped from the result.
    public static func decodeAll(_ plaintext: [UInt8]) throws(WireError) -> [SessionFrame] {
        var reader = WireReader(plaintext)
        var frames: [SessionFrame] = []
        while !reader.isAtEnd {
            let type = try reader.readVarint("frame type")
            switch Kind(rawValue: type) {
            case .padding:
                continue
            case .ping:
                frames.append(.ping)
            case .datagram:
                frames.append(.datagram(try reader.readLengthPrefixed("datagram", maxLength: Limits.maxDatagramSize)))
            case .close:
                let code = try reader.readVarint("close code")
                let reason = try reader.readString("close reason", maxLength: maxReasonLength)
                frames.append(.close(code: code, reason: reason))
            case nil:
                throw .unknownType(context: "session frame", type: type)
            }
        }
        return frames
    }
}

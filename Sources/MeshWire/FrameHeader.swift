public import MeshCore

/// The header in front of every SignalMesh frame: protocol version (one byte), frame type (varint) and payload
/// length (varint), followed by exactly that many payload bytes (`Specs/wire.md`, "Frames").
///
/// Type numbers follow "it's OK to be odd" (as in Lightning's BOLT #1): a receiver that does not know an odd type
/// skips the frame, which its length makes possible; an unknown even type is an error, because the sender marked
/// it as one the receiver must understand.
public struct FrameHeader: Hashable, Sendable {
    /// The protocol version this build writes and reads.
    public static let currentVersion: UInt8 = 1
    /// The most bytes a header takes: version, 8-byte type, 8-byte length.
    public static let maxEncodedLength = 17

    /// The protocol version of the frame.
    public var version: UInt8
    /// The frame type number.
    public var type: UInt64
    /// The number of payload bytes after the header.
    public var payloadLength: Int

    /// A header for `type` with `payloadLength` bytes, in the current version.
    public init(type: UInt64, payloadLength: Int, version: UInt8 = FrameHeader.currentVersion) {
        precondition(
            payloadLength >= 0 && payloadLength <= Limits.maxFramePayloadSize,
            "frame payload of \(payloadLength) bytes is outside 0...\(Limits.maxFramePayloadSize)")
        self.version = version
        self.type = type
        self.payloadLength = payloadLength
    }

    /// Whether a receiver that does not know this type may skip the frame (odd types).
    public var isSkippable: Bool { type & 1 == 1 }

    /// Appends the header.
    public func encode(into writer: inout WireWriter) {
        writer.writeUInt8(version)
        writer.writeVarint(type)
        writer.writeVarint(UInt64(payloadLength))
    }

    /// Reads a header and checks that its payload is present.
    ///
    /// - Parameter maxPayload: the largest payload the caller accepts for any type (at most 1 MiB).
    /// - Throws: `unsupportedVersion` before anything else is read; `oversized` for a length above `maxPayload`;
    ///   `truncated` when fewer payload bytes follow than announced.
    public static func decode(
        from reader: inout WireReader, maxPayload: Int = Limits.maxFramePayloadSize
    ) throws(WireError) -> FrameHeader {
        let version = try reader.readUInt8("frame version")
        guard version == currentVersion else { throw .unsupportedVersion(version, supported: currentVersion) }
        let type = try reader.readVarint("frame type")
        let length = try reader.readCount("frame length", max: min(maxPayload, Limits.maxFramePayloadSize))
        guard length <= reader.remaining else {
            throw .truncated(field: "frame payload", needed: length, available: reader.remaining)
        }
        return FrameHeader(type: type, payloadLength: length, version: version)
    }
}

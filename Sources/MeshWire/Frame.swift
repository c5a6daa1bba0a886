public import MeshCore

/// A frame: a type number and its payload, as carried after a `FrameHeader`.
public struct Frame: Hashable, Sendable {
    /// The frame type number.
    public var type: UInt64
    /// The payload bytes.
    public var payload: [UInt8]

    /// A frame of `type` carrying `payload`.
    public init(type: UInt64, payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }

    /// Appends the header and payload in the current version.
    public func encode(into writer: inout WireWriter) {
        FrameHeader(type: type, payloadLength: payload.count).encode(into: &writer)
        writer.writeBytes(payload)
    }

    /// The frame as bytes.
    public var encoded: [UInt8] {
        var writer = WireWriter(capacity: FrameHeader.maxEncodedLength + payload.count)
        encode(into: &writer)
        return writer.bytes
    }

    /// Decodes a sequence of frames that fills `bytes` exactly.
    ///
    /// Frames of unknown odd types are skipped; an unknown even type throws `unknownType`. At most `maxFrames`
    /// frames are returned (a bound on work per input), and each payload is at most `maxPayload` bytes.
    public static func decodeAll(
        _ bytes: [UInt8],
        maxPayload: Int = Limits.maxFramePayloadSize,
        maxFrames: Int = 256,
        isKnownType: (UInt64) -> Bool
    ) throws(WireError) -> [Frame] {
        var reader = WireReader(bytes)
        var frames: [Frame] = []
        var seen = 0
        while !reader.isAtEnd {
            seen += 1
            guard seen <= maxFrames else {
                throw .oversized(field: "frame count", length: UInt64(seen), limit: UInt64(maxFrames))
            }
            let header = try FrameHeader.decode(from: &reader, maxPayload: maxPayload)
            if isKnownType(header.type) {
                frames.append(
                    Frame(
                        type: header.type, payload: try reader.readBytes("frame payload", count: header.payloadLength)))
            } else if header.isSkippable {
                try reader.skip("frame payload", count: header.payloadLength)
            } else {
                throw .unknownType(context: "frame", type: header.type)
            }
        }
        return frames
    }
}

public import MeshCore

/// One packet the sender is tracking until it is acknowledged or declared lost (RFC 9002, appendix A.1.1), with the
/// caller's record of what it carried.
public struct SentPacket<Payload> {
    /// The packet number: the session's packet counter, which rises by one per packet.
    public let number: UInt64
    /// When it was sent (never earlier than the packet before it).
    public let timeSent: Instant
    /// Its size in bytes, as counted by congestion control.
    public let size: Int
    /// Whether it carried a frame other than ACK and padding, so the peer acknowledges it promptly.
    public let isAckEliciting: Bool
    /// Whether it counts towards bytes in flight: ack-eliciting or padded (RFC 9002, section 2).
    public let isInFlight: Bool
    /// What it carried, for the caller to mark delivered when acknowledged or resend when lost.
    public let payload: Payload

    /// A record of a sent packet; see the properties.
    public init(
        number: UInt64, timeSent: Instant, size: Int, isAckEliciting: Bool, isInFlight: Bool, payload: Payload
    ) {
        self.number = number
        self.timeSent = timeSent
        self.size = size
        self.isAckEliciting = isAckEliciting
        self.isInFlight = isInFlight
        self.payload = payload
    }
}

extension SentPacket: Sendable where Payload: Sendable {}
extension SentPacket: Equatable where Payload: Equatable {}
extension SentPacket: Hashable where Payload: Hashable {}

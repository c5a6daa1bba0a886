public import MeshCore

/// What one ACK frame changed, for the caller to act on: deliver what was acknowledged, resend what was lost, and
/// tell the congestion controller both (`CongestionController.onAckOutcome`).
public struct AckOutcome<Payload> {
    /// Packets this frame acknowledged for the first time, ascending by number.
    public var acknowledged: [SentPacket<Payload>]
    /// Packets declared lost because of this frame (RFC 9002, section 6.1), ascending by number.
    public var lost: [SentPacket<Payload>]
    /// The RTT sample this frame gave (`latest_rtt`), or `nil` when it gave none (RFC 9002, section 5.1: the largest
    /// acknowledged number must be newly acknowledged, and something ack-eliciting among the newly acknowledged).
    public var rttSample: Duration?
    /// Whether `lost` establishes persistent congestion (RFC 9002, section 7.6): the congestion window collapses.
    public var persistentCongestion: Bool

    /// An outcome; see the properties.
    public init(
        acknowledged: [SentPacket<Payload>] = [], lost: [SentPacket<Payload>] = [], rttSample: Duration? = nil,
        persistentCongestion: Bool = false
    ) {
        self.acknowledged = acknowledged
        self.lost = lost
        self.rttSample = rttSample
        self.persistentCongestion = persistentCongestion
    }
}

extension AckOutcome: Sendable where Payload: Sendable {}
extension AckOutcome: Equatable where Payload: Equatable {}

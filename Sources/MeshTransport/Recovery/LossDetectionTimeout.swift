/// What the sender must do when the loss detection timer fires (RFC 9002, appendix A.9).
///
/// Either the time threshold passed for some packets (`lost` is non-empty, `probePackets` is 0), or the probe
/// timeout expired (`probePackets` is 1 or 2). In the rare PTO case where the tracker was full, `lost` also holds the
/// oldest outstanding packets, given up to make room for the probes (see `SentPacketTracker.canTrackMore`).
/// Both empty means the timer fired before the deadline: nothing to do.
public struct LossDetectionTimeout<Payload> {
    /// Packets declared lost, ascending by number: resend what they carried and tell the congestion controller.
    public var lost: [SentPacket<Payload>]
    /// Whether `lost` establishes persistent congestion (RFC 9002, section 7.6).
    public var persistentCongestion: Bool
    /// How many ack-eliciting probe packets to send now, whatever the congestion window says (RFC 9002,
    /// section 6.2.4): new data if there is some, else a retransmission of unacknowledged data, else a PING.
    public var probePackets: Int

    /// A timeout result; see the properties.
    public init(lost: [SentPacket<Payload>] = [], persistentCongestion: Bool = false, probePackets: Int = 0) {
        self.lost = lost
        self.persistentCongestion = persistentCongestion
        self.probePackets = probePackets
    }
}

extension LossDetectionTimeout: Sendable where Payload: Sendable {}
extension LossDetectionTimeout: Equatable where Payload: Equatable {}

public import MeshCore

/// Tuning for `SentPacketTracker`, each default from the RFC 9002 section it cites.
public struct LossDetectionSettings: Hashable, Sendable {
    /// kPacketThreshold: a packet is lost once a packet sent this many numbers later is acknowledged; default 3
    /// (RFC 9002, section 6.1.1, which advises against less).
    public var packetThreshold: UInt64 = 3
    /// kTimeThreshold as a fraction, numerator: a packet is lost once it is older than
    /// `numerator / denominator * max(smoothed_rtt, latest_rtt)` and a later packet is acknowledged; default 9/8
    /// (RFC 9002, section 6.1.2).
    public var timeThresholdNumerator: Int64 = 9
    /// kTimeThreshold as a fraction, denominator; default 8.
    public var timeThresholdDenominator: Int64 = 8
    /// kInitialRtt: the RTT assumed before the first sample; default 333 ms (RFC 9002, section 6.2.2).
    public var initialRTT = RTTEstimator.defaultInitialRTT
    /// The peer's `max_ack_delay`: caps the ACK delay subtracted from RTT samples and is part of the PTO; default
    /// 25 ms, the value `ReceivedPacketTracker.Settings` uses (RFC 9000, section 18.2).
    public var peerMaxAckDelay = Duration.milliseconds(25)
    /// kPersistentCongestionThreshold: how many PTOs without an acknowledgment between two lost packets count as
    /// persistent congestion; default 3 (RFC 9002, section 7.6.1).
    public var persistentCongestionThreshold: Int64 = 3
    /// Probe packets to send when the PTO expires; default 2, the most RFC 9002 section 6.2.4 allows, so that one
    /// lost probe does not cost another, doubled, timeout.
    public var probePacketCount = 2
    /// The PTO doubles per consecutive expiry up to 2^this; default 16. RFC 9002 sets no cap; this one only keeps
    /// the arithmetic in range, since the session's idle timeout ends a dead session long before.
    public var maxPTOBackoffExponent = 16
    /// The most packets tracked at once; default 4096. At the limit the caller stops sending
    /// (`SentPacketTracker.canTrackMore`).
    public var maxTrackedPackets = 4096

    /// The defaults.
    public init() {}
}

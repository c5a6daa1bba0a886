public import MeshCore

/// The round-trip time estimate of RFC 9002, section 5: the latest sample, the minimum, an exponentially weighted
/// mean (`smoothedRTT`) and mean deviation (`rttVariance`), and the probe timeout derived from them.
///
/// Pure integer arithmetic on nanoseconds, so the simulator and the runtime compute identical values. A session has
/// one packet-number space and no QUIC handshake, so the handshake is always "confirmed" in RFC 9002's terms: the
/// peer's ACK delay is always capped by its `max_ack_delay`, and the PTO always includes it.
public struct RTTEstimator: Hashable, Sendable {
    /// kGranularity (RFC 9002, section 6.1.2): the timer granularity, 1 ms; the least RTT variance term a PTO uses
    /// and the least loss delay.
    public static let granularity = Duration.milliseconds(1)
    /// kInitialRtt (RFC 9002, section 6.2.2): 333 ms, the estimate before the first sample.
    public static let defaultInitialRTT = Duration.milliseconds(333)

    /// latest_rtt: the most recent sample, not adjusted for ACK delay; zero before the first.
    public private(set) var latestRTT: Duration = .zero
    /// min_rtt: the least sample seen (ACK delay not subtracted); zero before the first.
    public private(set) var minRTT: Duration = .zero
    /// smoothed_rtt: 7/8 of the previous value plus 1/8 of the ACK-delay-adjusted sample.
    public private(set) var smoothedRTT: Duration
    /// rttvar: 3/4 of the previous value plus 1/4 of the adjusted sample's distance from `smoothedRTT`.
    public private(set) var rttVariance: Duration
    /// When the first sample was taken (`first_rtt_sample`); persistent congestion only counts packets sent later.
    public private(set) var firstSampleTime: Instant?

    /// An estimator that assumes `initialRTT` until the first sample: smoothed RTT `initialRTT`, variance half of it
    /// (RFC 9002, section 5.3).
    public init(initialRTT: Duration = RTTEstimator.defaultInitialRTT) {
        precondition(initialRTT > .zero, "RFC 9002 section 6.2.2: the initial RTT must be positive, not \(initialRTT)")
        smoothedRTT = initialRTT
        rttVariance = initialRTT / 2
    }

    /// Whether a sample has been taken.
    public var hasSample: Bool { firstSampleTime != nil }

    /// Adds a sample (RFC 9002, section 5.3, `UpdateRtt`).
    ///
    /// - Parameters:
    ///   - latestRTT: the time from sending the largest newly acknowledged packet to receiving its ACK; a negative
    ///     value (the driving clock stepped back) counts as zero.
    ///   - ackDelay: the ACK delay the peer reported; capped at `maxAckDelay`, and subtracted only when the sample
    ///     stays at or above `minRTT` after subtracting. Ignored for the first sample.
    ///   - maxAckDelay: the peer's `max_ack_delay`.
    ///   - now: when the ACK arrived.
    public mutating func addSample(_ latestRTT: Duration, ackDelay: Duration, maxAckDelay: Duration, now: Instant) {
        let sample = max(latestRTT, .zero)
        self.latestRTT = sample
        guard firstSampleTime != nil else {
            minRTT = sample
            smoothedRTT = sample
            rttVariance = sample / 2
            firstSampleTime = now
            return
        }
        minRTT = min(minRTT, sample)
        let delay = min(max(ackDelay, .zero), maxAckDelay)
        let adjusted = sample >= minRTT + delay ? sample - delay : sample
        let deviation = smoothedRTT > adjusted ? smoothedRTT - adjusted : adjusted - smoothedRTT
        rttVariance = (rttVariance * 3 + deviation) / 4
        smoothedRTT = (smoothedRTT * 7 + adjusted) / 8
    }

    /// The probe timeout before backoff (RFC 9002, section 6.2.1):
    /// `smoothed_rtt + max(4 * rttvar, kGranularity) + max_ack_delay`.
    ///
    /// - Parameter maxAckDelay: the peer's `max_ack_delay`.
    public func pto(maxAckDelay: Duration) -> Duration {
        smoothedRTT + max(rttVariance * 4, Self.granularity) + maxAckDelay
    }
}

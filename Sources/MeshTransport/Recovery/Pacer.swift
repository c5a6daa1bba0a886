public import MeshCore

/// Spreads packets over the round trip instead of sending a window's worth at once (RFC 9002, section 7.7).
///
/// A token bucket in bytes: it refills at `N * congestion_window / smoothed_rtt` with N = 5/4, holds at most
/// `settings.burstSize` bytes, and starts full. A packet may go when the bucket holds its size. The rate inputs are
/// passed to every call, so the pacer follows the congestion controller and RTT estimate without copies of them.
/// Integer nanosecond arithmetic throughout (128-bit intermediates), so runs are identical everywhere.
public struct Pacer: Hashable, Sendable {
    /// Tuning, each default from the RFC 9002 section it cites.
    public struct Settings: Hashable, Sendable {
        /// The most bytes sent back to back: the initial congestion window, 12000 bytes (ten 1200-byte packets),
        /// as RFC 9002 section 7.7 advises for bursts.
        public var burstSize = CongestionController.Settings.initialWindow(maxDatagramSize: Limits.maxDatagramSize)
        /// N, the pacing gain, numerator: pace slightly faster than one window per RTT so pacing does not
        /// underuse the window; default 5/4 = 1.25 (RFC 9002, section 7.7).
        public var rateNumerator: Int64 = 5
        /// N, the pacing gain, denominator; default 4.
        public var rateDenominator: Int64 = 4

        /// The defaults.
        public init() {}
    }

    /// The settings in force.
    public let settings: Settings
    /// Bytes that may be sent at once as of `lastUpdate`.
    public private(set) var tokens: Int
    private var lastUpdate: Instant?

    /// A pacer with a full bucket.
    public init(settings: Settings = Settings()) {
        precondition(
            settings.burstSize >= Limits.maxDatagramSize, "the burst must hold at least one full-size datagram")
        precondition(
            settings.rateDenominator > 0 && settings.rateNumerator >= settings.rateDenominator,
            "RFC 9002 section 7.7: a pacing gain N below 1 would underuse the congestion window")
        self.settings = settings
        self.tokens = settings.burstSize
    }

    /// The earliest time a packet of `bytes` may be sent: `now` if the bucket holds enough, otherwise when it will.
    ///
    /// - Parameters:
    ///   - bytes: the packet size, at most `settings.burstSize`.
    ///   - congestionWindow: the congestion controller's current window, in bytes.
    ///   - smoothedRTT: the current smoothed RTT; below 1 ns counts as 1 ns.
    public func nextSendTime(now: Instant, bytes: Int, congestionWindow: Int, smoothedRTT: Duration) -> Instant {
        precondition(bytes <= settings.burstSize, "a \(bytes)-byte packet never fits a \(settings.burstSize) burst")
        let available = tokens(at: now, congestionWindow: congestionWindow, smoothedRTT: smoothedRTT)
        guard available < bytes else { return now }
        // Solve deficit <= wait * rate for the least whole nanosecond `wait`.
        let deficit = Int128(bytes - available)
        let (numerator, denominator) = rate(congestionWindow: congestionWindow, smoothedRTT: smoothedRTT)
        let wait = (deficit * denominator + numerator - 1) / numerator
        return now + Duration(nanoseconds: Int64(wait))
    }

    /// Takes a sent packet's bytes from the bucket. Sending before `nextSendTime` empties the bucket but runs up no
    /// debt.
    public mutating func onPacketSent(now: Instant, bytes: Int, congestionWindow: Int, smoothedRTT: Duration) {
        tokens = max(tokens(at: now, congestionWindow: congestionWindow, smoothedRTT: smoothedRTT) - bytes, 0)
        lastUpdate = max(now, lastUpdate ?? now)
    }

    /// The refill rate as a fraction, bytes per nanosecond: `N * window / srtt`.
    private func rate(congestionWindow: Int, smoothedRTT: Duration) -> (numerator: Int128, denominator: Int128) {
        precondition(congestionWindow > 0, "a congestion window of \(congestionWindow) bytes")
        let rtt = Int128(max(smoothedRTT.nanoseconds, 1))
        return (Int128(settings.rateNumerator) * Int128(congestionWindow), Int128(settings.rateDenominator) * rtt)
    }

    /// The bucket's content at `now`: refilled since `lastUpdate`, capped at the burst size.
    private func tokens(at now: Instant, congestionWindow: Int, smoothedRTT: Duration) -> Int {
        guard let lastUpdate, now > lastUpdate else { return tokens }
        let (numerator, denominator) = rate(congestionWindow: congestionWindow, smoothedRTT: smoothedRTT)
        let elapsed = Int128((now - lastUpdate).nanoseconds)
        let refill = min(elapsed * numerator / denominator, Int128(settings.burstSize))
        return min(tokens + Int(refill), settings.burstSize)
    }
}

public import MeshCore

/// NewReno congestion control as RFC 9002 specifies it (section 7 and appendix B): slow start, congestion
/// avoidance, one window reduction per recovery period, and collapse to the minimum window on persistent
/// congestion; plus the bytes-in-flight count that gates sending.
///
/// Feed it every in-flight packet sent (`onPacketSent(bytes:)`) and every `AckOutcome` or
/// `LossDetectionTimeout` from the `SentPacketTracker`. Integer arithmetic only.
public struct CongestionController: Hashable, Sendable {
    /// Tuning, each default from the RFC 9002 section it cites.
    public struct Settings: Hashable, Sendable {
        /// max_datagram_size: the packet size the windows are counted in; default `Limits.maxDatagramSize` (1200).
        public var maxDatagramSize = Limits.maxDatagramSize
        /// kInitialWindow: `min(10 * max_datagram_size, max(14720, 2 * max_datagram_size))`, 12000 bytes by default
        /// (RFC 9002, section 7.2).
        public var initialWindow = Self.initialWindow(maxDatagramSize: Limits.maxDatagramSize)
        /// kMinimumWindow: `2 * max_datagram_size`, 2400 bytes by default (RFC 9002, section 7.2).
        public var minimumWindow = 2 * Limits.maxDatagramSize

        /// The defaults.
        public init() {}

        /// RFC 9002 section 7.2's initial window for a given datagram size.
        public static func initialWindow(maxDatagramSize: Int) -> Int {
            min(10 * maxDatagramSize, max(14720, 2 * maxDatagramSize))
        }
    }

    /// The settings in force.
    public let settings: Settings
    /// congestion_window: the most bytes that may be in flight.
    public private(set) var congestionWindow: Int
    /// bytes_in_flight: bytes of sent, unacknowledged, not lost in-flight packets.
    public private(set) var bytesInFlight = 0
    /// ssthresh: the slow start threshold; `Int.max` (infinite) until the first congestion event.
    public private(set) var slowStartThreshold = Int.max
    /// congestion_recovery_start_time: when the current recovery period began, or `nil` when there is none.
    /// Packets sent at or before it cannot reduce the window again, nor grow it when acknowledged.
    public private(set) var recoveryStartTime: Instant?
    /// Bytes acknowledged in congestion avoidance since the window last grew; one window's worth grows it by one
    /// datagram (RFC 9002, section 7.3.3).
    private var bytesAckedInAvoidance = 0

    /// A controller at the initial window.
    public init(settings: Settings = Settings()) {
        precondition(settings.maxDatagramSize >= 1200, "RFC 9000 section 14: datagrams of at least 1200 bytes")
        precondition(
            settings.minimumWindow >= 2 * settings.maxDatagramSize,
            "RFC 9002 section 7.2: the minimum window is at least 2 datagrams")
        precondition(
            settings.initialWindow >= settings.minimumWindow, "RFC 9002 section 7.2: initial window below minimum")
        self.settings = settings
        self.congestionWindow = settings.initialWindow
    }

    /// Whether the controller is in slow start (window below the threshold).
    public var isInSlowStart: Bool { congestionWindow < slowStartThreshold }

    /// Whether a packet of `bytes` may be sent now (RFC 9002, section 7): bytes in flight would not exceed the
    /// window. Probe packets after a PTO are sent regardless (section 7.5) and still counted by `onPacketSent`.
    public func canSend(bytes: Int) -> Bool { bytesInFlight + bytes <= congestionWindow }

    /// The bytes that may still be sent before the window is full.
    public var availableWindow: Int { max(congestionWindow - bytesInFlight, 0) }

    /// Counts an in-flight packet just sent (`OnPacketSentCC`). Packets that are not in flight are not counted.
    public mutating func onPacketSent(bytes: Int) {
        precondition(bytes > 0, "an in-flight packet has a size")
        bytesInFlight += bytes
    }

    /// Applies what an ACK frame changed: losses first, then acknowledgments, in RFC 9002 appendix A.7's order,
    /// so packets acknowledged by the same frame that started a recovery period do not grow the window.
    ///
    /// - Parameter applicationLimited: whether the sender had less to send than the window allowed; the window does
    ///   not grow then (RFC 9002, section 7.8).
    public mutating func onAckOutcome<Payload>(_ outcome: AckOutcome<Payload>, applicationLimited: Bool, now: Instant) {
        onPacketsLost(outcome.lost, persistentCongestion: outcome.persistentCongestion, now: now)
        onPacketsAcknowledged(outcome.acknowledged, applicationLimited: applicationLimited)
    }

    /// Packets that will never be acknowledged or declared lost (their session was retired) leave flight without
    /// any change to the window (RFC 9002, section 6.4, on discarding keys).
    public mutating func onPacketsDiscarded<Payload>(_ packets: [SentPacket<Payload>]) {
        for packet in packets where packet.isInFlight { removeFromFlight(packet.size) }
    }

    /// Acknowledged packets leave flight and, outside recovery and unless application limited, grow the window:
    /// by their size in slow start, by one datagram per window acknowledged in congestion avoidance
    /// (RFC 9002, appendix B.5).
    public mutating func onPacketsAcknowledged<Payload>(
        _ packets: [SentPacket<Payload>], applicationLimited: Bool
    ) {
        for packet in packets where packet.isInFlight {
            removeFromFlight(packet.size)
            guard !applicationLimited, !isInRecovery(sentAt: packet.timeSent) else { continue }
            if isInSlowStart {
                congestionWindow += packet.size
            } else {
                bytesAckedInAvoidance += packet.size
                if bytesAckedInAvoidance >= congestionWindow {
                    bytesAckedInAvoidance -= congestionWindow
                    congestionWindow += settings.maxDatagramSize
                }
            }
        }
    }

    /// Lost packets leave flight; if any was in flight and sent after the current recovery period began, a new
    /// recovery period starts and the window halves (not below the minimum); persistent congestion collapses it to
    /// the minimum (RFC 9002, appendices B.6 and B.8).
    public mutating func onPacketsLost<Payload>(
        _ packets: [SentPacket<Payload>], persistentCongestion: Bool, now: Instant
    ) {
        var lastLossSendTime: Instant?
        for packet in packets where packet.isInFlight {
            removeFromFlight(packet.size)
            lastLossSendTime = max(lastLossSendTime ?? packet.timeSent, packet.timeSent)
        }
        if let lastLossSendTime { onCongestionEvent(sentAt: lastLossSendTime, now: now) }
        if persistentCongestion {
            congestionWindow = settings.minimumWindow
            recoveryStartTime = nil
            bytesAckedInAvoidance = 0
        }
    }

    private func isInRecovery(sentAt timeSent: Instant) -> Bool {
        guard let recoveryStartTime else { return false }
        return timeSent <= recoveryStartTime
    }

    /// OnCongestionEvent (RFC 9002, appendix B.6); kLossReductionFactor is 1/2.
    private mutating func onCongestionEvent(sentAt timeSent: Instant, now: Instant) {
        guard !isInRecovery(sentAt: timeSent) else { return }
        recoveryStartTime = now
        slowStartThreshold = congestionWindow / 2
        congestionWindow = max(slowStartThreshold, settings.minimumWindow)
        bytesAckedInAvoidance = 0
    }

    private mutating func removeFromFlight(_ bytes: Int) {
        precondition(bytes <= bytesInFlight, "\(bytes) bytes left flight but only \(bytesInFlight) were in flight")
        bytesInFlight -= bytes
    }
}

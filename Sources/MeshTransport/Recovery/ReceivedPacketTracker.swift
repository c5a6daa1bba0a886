public import MeshCore
import MeshWire

/// The receiving half of acknowledgment: remembers which packet numbers arrived, decides when an ACK frame is owed
/// (RFC 9000, sections 13.2.1 and 13.2.2) and builds it.
///
/// Duplicate detection is not its job (the replay window drops duplicates before a packet gets here); a repeated
/// number is harmless but counts again towards the every-second-packet rule.
///
/// An ACK is owed **at once** when the `immediateAckThreshold`-th ack-eliciting packet since the last ACK arrives,
/// or when an ack-eliciting packet arrives out of order: below the largest ack-eliciting number seen, or above it
/// with numbers missing in between; within `ackBatchingDelay` once the `ackElicitingThreshold`-th has arrived.
/// Otherwise an ack-eliciting packet makes an ACK owed within `maxAckDelay` of its arrival. Packets that are not ack-eliciting never make an ACK owed by themselves (section 13.2.1); they are
/// acknowledged along with the next ones that are.
///
/// At most `maxRanges` ranges are kept; when a new gap would make one more, the lowest (oldest) range is dropped
/// (section 13.2.3), so a very late packet may go unacknowledged and be retransmitted by the peer.
///
/// Ranges the peer has seen reported are dropped too (section 13.2.4): keep the `AckFrame` in the record of each
/// packet that carried one (`SentPacket.payload`), and when the peer acknowledges that packet, call
/// `onAckFrameAcknowledged(_:)`; the frame's numbers are no longer reported.
public struct ReceivedPacketTracker: Hashable, Sendable {
    /// Tuning, each default from the RFC section it cites.
    public struct Settings: Hashable, Sendable {
        /// The most ranges remembered and reported; default and maximum `AckFrame.maxRanges` (32).
        public var maxRanges = AckFrame.maxRanges
        /// Our `max_ack_delay`: how long an ACK for an ack-eliciting packet may wait; default 25 ms
        /// (RFC 9000, section 18.2). The peer's loss detection assumes this value, so both ends use the default.
        public var maxAckDelay = Duration.milliseconds(25)
        /// After this many ack-eliciting packets since the last ACK, one is owed within `ackBatchingDelay`;
        /// default 2 (RFC 9000, section 13.2.2, acknowledges every second packet).
        public var ackElicitingThreshold = 2
        /// How long an ACK owed under `ackElicitingThreshold` may wait for more packets to cover; default 1 ms. A
        /// fast flow reaches `immediateAckThreshold` well within it and gets one ACK per ten packets instead of
        /// one per two — the ACK decimation QUIC implementations use (draft-ietf-quic-ack-frequency), which halves
        /// what both ends spend on ACKs; a slow flow gets its ACK 1 ms later, which the ACK Delay field tells the
        /// peer, so its RTT samples do not grow. Zero gives RFC 9000's every-second-packet rule exactly.
        public var ackBatchingDelay = Duration.milliseconds(1)
        /// Acknowledge at once after this many ack-eliciting packets since the last ACK; default 10.
        public var immediateAckThreshold = 10

        /// The defaults.
        public init() {}
    }

    private struct Received: Hashable, Sendable {
        var numbers: ClosedRange<UInt64>
        var largestReceivedAt: Instant
    }

    /// The settings in force.
    public let settings: Settings
    /// Received numbers still to report, descending, disjoint and non-adjacent; at most `settings.maxRanges`.
    private var received: [Received] = []
    private var largestAckEliciting: UInt64?
    /// The largest number in a frame the peer has seen (`onAckFrameAcknowledged`); for spotting gaps, numbers up to
    /// it count as received, since the peer already knows how things stand there.
    private var confirmedThrough: UInt64?
    private var ackElicitingSinceLastAck = 0

    /// When the next ACK frame must be sent, or `nil` when none is owed. Equal to a packet's arrival time when the
    /// ACK is owed at once. Send an ACK (`makeAckFrame(now:)`) no later than this.
    public private(set) var ackDeadline: Instant?

    /// A tracker that has received nothing.
    public init(settings: Settings = Settings()) {
        precondition(
            (1...AckFrame.maxRanges).contains(settings.maxRanges),
            "RFC 9000 section 13.2.3: keep 1 to \(AckFrame.maxRanges) ACK ranges, not \(settings.maxRanges)")
        precondition(settings.maxAckDelay >= .zero, "max_ack_delay (RFC 9000 section 18.2) is not negative")
        precondition(
            settings.maxAckDelay < .milliseconds(1 << 14),
            "RFC 9000 section 18.2: max_ack_delay values of 2^14 ms or more are invalid")
        precondition(settings.ackElicitingThreshold >= 1, "RFC 9000 section 13.2.2: acknowledge at least every packet")
        precondition(
            settings.immediateAckThreshold >= settings.ackElicitingThreshold,
            "the immediate-ACK threshold is at least the ack-eliciting threshold")
        precondition(
            settings.ackBatchingDelay >= .zero && settings.ackBatchingDelay <= settings.maxAckDelay,
            "the ACK batching delay lies between zero and max_ack_delay")
        self.settings = settings
    }

    /// The numbers an ACK frame would report now, descending.
    public var acknowledgedRanges: [ClosedRange<UInt64>] { received.map(\.numbers) }

    /// Records that packet `number` arrived and authenticated.
    ///
    /// - Parameters:
    ///   - ackEliciting: whether it carried a frame other than ACK and padding (RFC 9002, section 2).
    ///   - now: when it arrived.
    /// - Throws: `RecoveryError.packetNumberTooLarge` above 2^62 - 1, which no ACK frame can carry; nothing
    ///   changes.
    /// - Complexity: O(`settings.maxRanges`).
    public mutating func onPacketReceived(_ number: UInt64, ackEliciting: Bool, now: Instant) throws(RecoveryError) {
        guard number <= Varint.max else { throw .packetNumberTooLarge(number) }
        let rangeStart = insert(number, now: now)
        guard ackEliciting else { return }

        var outOfOrder = false
        if let largest = largestAckEliciting {
            // Below the largest ack-eliciting number, or above it with numbers missing in between (13.2.1). Numbers
            // the peer has seen reported count as present: their gaps are old news to it.
            let presentThrough = max(largest, confirmedThrough ?? largest)
            outOfOrder = number < largest || (number > largest && rangeStart > presentThrough + 1)
        }
        largestAckEliciting = max(largestAckEliciting ?? number, number)
        ackElicitingSinceLastAck += 1
        let due: Instant
        if outOfOrder || ackElicitingSinceLastAck >= settings.immediateAckThreshold {
            due = now
        } else if ackElicitingSinceLastAck >= settings.ackElicitingThreshold {
            due = now + settings.ackBatchingDelay
        } else {
            due = now + settings.maxAckDelay
        }
        ackDeadline = min(ackDeadline ?? due, due)
    }

    /// The ACK frame to send now, or `nil` when nothing has been received (or everything was confirmed); clears the
    /// owed ACK. Call it when the frame goes into a packet, whether the deadline forced the packet or the frame rides
    /// along with other frames.
    ///
    /// The ACK delay is the time since the largest reported number arrived (RFC 9000, section 13.2.5).
    public mutating func makeAckFrame(now: Instant) -> AckFrame? {
        ackElicitingSinceLastAck = 0
        ackDeadline = nil
        guard let top = received.first else { return nil }
        var ranges = AckRanges(first: top.numbers)
        for range in received.dropFirst() { ranges.append(range.numbers) }
        return AckFrame(ranges: ranges, ackDelay: max(now - top.largestReceivedAt, .zero))
    }

    /// The peer acknowledged a packet that carried `frame`: it has seen those numbers reported, so stop reporting
    /// them (RFC 9000, sections 13.2.3 and 13.2.4). Only the frame's own ranges are removed, so a packet that arrived
    /// late, after the frame was built, is still reported.
    /// - Complexity: O(ranges in `frame` × `settings.maxRanges`).
    public mutating func onAckFrameAcknowledged(_ frame: AckFrame) {
        confirmedThrough = max(confirmedThrough ?? frame.largestAcknowledged, frame.largestAcknowledged)
        // In place: each range is trimmed to what the frame did not confirm; a range the confirmed one splits in
        // two gives its upper part in place and its lower part right after (still descending).
        for confirmed in frame.ranges {
            var index = 0
            while index < received.count {
                let range = received[index]
                guard range.numbers.overlaps(confirmed) else {
                    index += 1
                    continue
                }
                let keepsUpper = range.numbers.upperBound > confirmed.upperBound
                let keepsLower = range.numbers.lowerBound < confirmed.lowerBound
                // When the lower part's largest arrived was not recorded; the range's time stands in for it (the
                // peer never subtracts more than max_ack_delay, nor below min_rtt).
                switch (keepsUpper, keepsLower) {
                case (true, true):
                    received[index].numbers = (confirmed.upperBound + 1)...range.numbers.upperBound
                    received.insert(
                        Received(
                            numbers: range.numbers.lowerBound...(confirmed.lowerBound - 1),
                            largestReceivedAt: range.largestReceivedAt),
                        at: index + 1)
                    index += 2
                case (true, false):
                    received[index].numbers = (confirmed.upperBound + 1)...range.numbers.upperBound
                    index += 1
                case (false, true):
                    received[index].numbers = range.numbers.lowerBound...(confirmed.lowerBound - 1)
                    index += 1
                case (false, false):
                    received.remove(at: index)
                }
            }
            if received.count > settings.maxRanges { received.removeLast(received.count - settings.maxRanges) }
        }
    }

    /// Adds `number` to the ranges, merging neighbours and dropping the lowest range beyond the limit; returns the
    /// lower bound of the range that now holds `number` (or `number` itself if that range was dropped).
    private mutating func insert(_ number: UInt64, now: Instant) -> UInt64 {
        // The first range whose lower bound is at or below `number`; ranges before it lie wholly above.
        let index = received.firstIndex { $0.numbers.lowerBound <= number } ?? received.count
        if index < received.count, received[index].numbers.contains(number) {
            return received[index].numbers.lowerBound
        }
        let joinsAbove = index > 0 && received[index - 1].numbers.lowerBound == number + 1
        let joinsBelow = index < received.count && number > 0 && received[index].numbers.upperBound == number - 1
        switch (joinsAbove, joinsBelow) {
        case (true, true):
            received[index - 1].numbers = received[index].numbers.lowerBound...received[index - 1].numbers.upperBound
            received.remove(at: index)
            return received[index - 1].numbers.lowerBound
        case (true, false):
            received[index - 1].numbers = number...received[index - 1].numbers.upperBound
            return number
        case (false, true):
            received[index].numbers = received[index].numbers.lowerBound...number
            received[index].largestReceivedAt = now
            return received[index].numbers.lowerBound
        case (false, false):
            received.insert(Received(numbers: number...number, largestReceivedAt: now), at: index)
            if received.count > settings.maxRanges { received.removeLast() }
            return number
        }
    }
}

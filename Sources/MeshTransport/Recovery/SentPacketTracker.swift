import DequeModule
public import MeshCore

/// The sending half of loss recovery (RFC 9002, section 6 and appendix A), for the session's single packet-number
/// space: tracks every packet sent until it is acknowledged or declared lost, keeps the RTT estimate, and runs the
/// loss detection timer (time threshold or probe timeout).
///
/// A pure state machine: every event takes `now`, nothing reads a clock. The shell calls `onPacketSent` for every
/// packet it sends (ACK-only packets included, since the packet numbers must rise by exactly one),
/// `onAckReceived` for every ACK frame, and `onLossDetectionTimeout` when `lossDetectionDeadline` passes. The
/// congestion controller is separate (`CongestionController`) and fed from the outcomes.
///
/// **Limit.** At most `settings.maxTrackedPackets` packets are tracked. When the limit is reached, packets that are
/// neither ack-eliciting nor in flight (ACK-only) are all forgotten to make room: they never need resending, and the
/// peer never acknowledges them on their own; forgetting one only means not learning that its ACK frame arrived. Beyond that the caller must stop sending while `canTrackMore` is false; room
/// comes back as acknowledgments arrive. If the PTO expires while the tracker is full, the oldest outstanding packets
/// are declared lost to make room for the probes, so the session cannot wedge with no room to probe.
public struct SentPacketTracker<Payload> {
    /// The settings in force.
    public let settings: LossDetectionSettings
    /// The RTT estimate, updated by acknowledgments.
    public private(set) var rtt: RTTEstimator
    /// pto_count: probe timeouts since the last acknowledgment that acknowledged something new.
    public private(set) var ptoCount = 0
    /// The largest packet number sent.
    public private(set) var largestSent: UInt64?
    /// The largest packet number the peer has acknowledged.
    public private(set) var largestAcknowledged: UInt64?

    /// Unacknowledged, not yet lost packets, ascending by number (so also by send time). A deque: acknowledgments
    /// and losses mostly remove the oldest packets, which an array would pay for by moving all the others.
    private var packets: Deque<SentPacket<Payload>> = []
    private var ackElicitingCount = 0
    private var forgettableCount = 0
    private var lossTime: Instant?
    private var timeOfLastAckElicitingPacket: Instant?

    /// A tracker that has sent nothing.
    public init(settings: LossDetectionSettings = LossDetectionSettings()) {
        precondition(
            settings.packetThreshold >= 3, "RFC 9002 section 6.1.1: a packet threshold below 3 is not advised")
        precondition(
            settings.timeThresholdDenominator > 0
                && settings.timeThresholdNumerator >= settings.timeThresholdDenominator,
            "RFC 9002 section 6.1.2: the time threshold is at least 1")
        precondition(settings.peerMaxAckDelay >= .zero, "max_ack_delay (RFC 9000 section 18.2) is not negative")
        precondition(
            settings.persistentCongestionThreshold >= 1,
            "RFC 9002 section 7.6.1: the persistent congestion threshold is at least 1 PTO")
        precondition(
            (1...2).contains(settings.probePacketCount), "RFC 9002 section 6.2.4: send one or two probe packets")
        precondition((0...30).contains(settings.maxPTOBackoffExponent), "PTO backoff exponent outside 0...30")
        precondition(settings.maxTrackedPackets >= 2 * settings.probePacketCount, "too few tracked packets to probe")
        self.settings = settings
        self.rtt = RTTEstimator(initialRTT: settings.initialRTT)
    }

    /// How many packets are tracked (at most `settings.maxTrackedPackets`).
    public var trackedCount: Int { packets.count }

    /// Whether one more packet can be sent and tracked. When false, send nothing until an acknowledgment or the
    /// loss detection timer frees room.
    public var canTrackMore: Bool { packets.count < settings.maxTrackedPackets || forgettableCount > 0 }

    /// Whether any ack-eliciting packet is unacknowledged (the PTO timer runs only then).
    public var hasAckElicitingInFlight: Bool { ackElicitingCount > 0 }

    /// When to call `onLossDetectionTimeout`, or `nil` for never (RFC 9002, appendix A.8): the earliest time a packet
    /// becomes lost by the time threshold if any; otherwise, with ack-eliciting packets outstanding, the last one's
    /// send time plus the PTO doubled `ptoCount` times.
    public var lossDetectionDeadline: Instant? {
        if let lossTime { return lossTime }
        guard ackElicitingCount > 0, let last = timeOfLastAckElicitingPacket else { return nil }
        let backoff = Int64(1) << min(ptoCount, settings.maxPTOBackoffExponent)
        let (timeout, overflow) = rtt.pto(maxAckDelay: settings.peerMaxAckDelay).nanoseconds
            .multipliedReportingOverflow(by: backoff)
        let (deadline, late) = last.nanosecondsSinceEpoch.addingReportingOverflow(overflow ? Int64.max : timeout)
        return Instant(nanosecondsSinceEpoch: late ? Int64.max : deadline)
    }

    /// The persistent congestion duration (RFC 9002, section 7.6.1): the PTO without backoff times
    /// kPersistentCongestionThreshold.
    public var persistentCongestionDuration: Duration {
        rtt.pto(maxAckDelay: settings.peerMaxAckDelay) * settings.persistentCongestionThreshold
    }

    /// Records a packet just sent (RFC 9002, appendix A.5).
    ///
    /// - Parameters:
    ///   - number: the packet number; the first may be anything, each later one exactly one above the last.
    ///   - size: bytes on the wire, 1 to `Limits.maxDatagramSize`.
    ///   - ackEliciting: whether it carries a frame other than ACK and padding; such packets are in flight.
    ///   - inFlight: whether it counts towards bytes in flight (ack-eliciting or padded). Feed in-flight sizes to
    ///     `CongestionController.onPacketSent(bytes:)` too.
    ///   - payload: what it carried, returned when it is acknowledged or lost.
    ///   - now: when it was sent; an earlier time than the previous packet's counts as that one's.
    /// - Precondition: `canTrackMore`.
    public mutating func onPacketSent(
        _ number: UInt64, size: Int, ackEliciting: Bool, inFlight: Bool, payload: Payload, now: Instant
    ) {
        if let largestSent {
            precondition(
                number > largestSent && number - largestSent == 1,
                "packet \(number) sent after \(largestSent): packet numbers rise by exactly one")
        }
        precondition(
            (1...Limits.maxDatagramSize).contains(size), "packet size \(size) outside 1...\(Limits.maxDatagramSize)")
        precondition(!ackEliciting || inFlight, "RFC 9002 section 2: ack-eliciting packets are in flight")
        precondition(canTrackMore, "packet \(number) sent while the tracker is full; check canTrackMore")
        if packets.count == settings.maxTrackedPackets {
            // All at once, so a session that sends mostly ACK-only packets pays O(1) per packet on average.
            packets.removeAll(where: Self.isForgettable)
            forgettableCount = 0
        }
        let timeSent = max(now, packets.last?.timeSent ?? now)
        packets.append(
            SentPacket(
                number: number, timeSent: timeSent, size: size, isAckEliciting: ackEliciting, isInFlight: inFlight,
                payload: payload))
        if ackEliciting {
            ackElicitingCount += 1
            timeOfLastAckElicitingPacket = timeSent
        } else if !inFlight {
            forgettableCount += 1
        }
        largestSent = number
    }

    /// Processes an ACK frame (RFC 9002, appendix A.7): removes newly acknowledged packets, takes an RTT sample,
    /// detects losses, and resets the PTO backoff.
    ///
    /// - Returns: the newly acknowledged and lost packets, the RTT sample, and whether persistent congestion
    ///   occurred. A frame that acknowledges nothing new changes nothing but `largestAcknowledged`.
    /// - Throws: `RecoveryError.acknowledgedUnsentPacket` when the frame acknowledges a number above
    ///   `largestSent`; the state is unchanged and the session should be closed.
    /// - Complexity: O(tracked packets + ranges).
    public mutating func onAckReceived(_ ack: AckFrame, now: Instant) throws(RecoveryError) -> AckOutcome<Payload> {
        var outcome = AckOutcome<Payload>()
        try onAckReceived(ack, now: now, into: &outcome)
        return outcome
    }

    /// `onAckReceived(_:now:)`, writing into `outcome`, which is emptied first and keeps its arrays' capacity: a
    /// caller that keeps one outcome between ACKs processes them without allocating.
    public mutating func onAckReceived(
        _ ack: AckFrame, now: Instant, into outcome: inout AckOutcome<Payload>
    ) throws(RecoveryError) {
        outcome.acknowledged.removeAll(keepingCapacity: true)
        outcome.lost.removeAll(keepingCapacity: true)
        outcome.rttSample = nil
        outcome.persistentCongestion = false
        guard let largestSent, ack.largestAcknowledged <= largestSent else {
            throw .acknowledgedUnsentPacket(largestAcknowledged: ack.largestAcknowledged, largestSent: largestSent)
        }
        largestAcknowledged = max(largestAcknowledged ?? ack.largestAcknowledged, ack.largestAcknowledged)

        removeAcknowledged(by: ack, into: &outcome.acknowledged)
        guard let largestNewlyAcknowledged = outcome.acknowledged.last else { return }

        if largestNewlyAcknowledged.number == ack.largestAcknowledged,
            outcome.acknowledged.contains(where: \.isAckEliciting)
        {
            let sample = now - largestNewlyAcknowledged.timeSent
            rtt.addSample(sample, ackDelay: ack.ackDelay, maxAckDelay: settings.peerMaxAckDelay, now: now)
            outcome.rttSample = rtt.latestRTT
        }
        detectAndRemoveLostPackets(now: now, into: &outcome.lost)
        ptoCount = 0
        outcome.persistentCongestion = establishesPersistentCongestion(outcome.lost)
    }

    /// Handles the loss detection timer (RFC 9002, appendix A.9): declares packets lost by the time threshold, or,
    /// when the PTO expired, doubles the backoff and asks for probe packets.
    ///
    /// Called before `lossDetectionDeadline` (a stale timer), it does nothing and returns an empty result.
    public mutating func onLossDetectionTimeout(now: Instant) -> LossDetectionTimeout<Payload> {
        guard let deadline = lossDetectionDeadline, now >= deadline else { return LossDetectionTimeout() }
        if lossTime != nil {
            let lost = detectAndRemoveLostPackets(now: now)
            return LossDetectionTimeout(lost: lost, persistentCongestion: establishesPersistentCongestion(lost))
        }
        ptoCount += 1
        let givenUp = makeRoom(for: settings.probePacketCount)
        return LossDetectionTimeout(
            lost: givenUp, persistentCongestion: establishesPersistentCongestion(givenUp),
            probePackets: settings.probePacketCount)
    }

    // MARK: - Internals

    /// Removes and returns every tracked packet, without declaring anything lost: for a session being retired,
    /// whose payloads the caller sends again on its successor. The RTT estimate is kept.
    public mutating func abandonAll() -> [SentPacket<Payload>] {
        let all = Array(packets)
        packets.removeAll()
        ackElicitingCount = 0
        forgettableCount = 0
        lossTime = nil
        timeOfLastAckElicitingPacket = nil
        return all
    }

    private static func isForgettable(_ packet: SentPacket<Payload>) -> Bool {
        !packet.isAckEliciting && !packet.isInFlight
    }

    /// Keeps the counters in step with a packet leaving `packets`.
    private mutating func forget(_ packet: SentPacket<Payload>) {
        if packet.isAckEliciting {
            ackElicitingCount -= 1
        } else if !packet.isInFlight {
            forgettableCount -= 1
        }
    }

    /// Removes the tracked packets `ack` covers and appends them to `acknowledged`, ascending.
    private mutating func removeAcknowledged(by ack: AckFrame, into acknowledged: inout [SentPacket<Payload>]) {
        // `packets` ascends by number; the ranges are taken lowest first, so the runs append in ascending order.
        // Each is found by binary search and removed in place (the deque moves whichever side of it is shorter).
        // O(ranges × log n + acknowledged + moved), no allocation once `acknowledged` has grown to its size.
        let first = acknowledged.count
        for range in ack.ranges.reversed() {
            let start = firstIndex(numberAtLeast: range.lowerBound)
            var end = start
            while end < packets.count && packets[end].number <= range.upperBound { end += 1 }
            guard start < end else { continue }
            acknowledged.append(contentsOf: packets[start..<end])
            packets.removeSubrange(start..<end)
        }
        for index in first..<acknowledged.count { forget(acknowledged[index]) }
    }

    /// The index of the first tracked packet whose number is at least `number` (`packets.count` if none).
    private func firstIndex(numberAtLeast number: UInt64) -> Int {
        var low = 0
        var high = packets.count
        while low < high {
            let middle = (low + high) / 2
            if packets[middle].number < number { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// DetectAndRemoveLostPackets (RFC 9002, appendix A.10): packets at or below the largest acknowledged number
    /// that are `packetThreshold` numbers older, or older than the loss delay, are lost; the earliest time another
    /// would become lost is kept as `lossTime`.
    private mutating func detectAndRemoveLostPackets(now: Instant) -> [SentPacket<Payload>] {
        var lost: [SentPacket<Payload>] = []
        detectAndRemoveLostPackets(now: now, into: &lost)
        return lost
    }

    /// `detectAndRemoveLostPackets(now:)`, appending the lost packets to `lost`.
    private mutating func detectAndRemoveLostPackets(now: Instant, into lost: inout [SentPacket<Payload>]) {
        lossTime = nil
        guard let largestAcknowledged else { return }
        let base = max(rtt.latestRTT, rtt.smoothedRTT)
        let lossDelay = max(
            base * settings.timeThresholdNumerator / settings.timeThresholdDenominator, RTTEstimator.granularity)
        let lostSendTime = now - lossDelay
        // Numbers and send times rise together, so the lost packets are a prefix of `packets`: once one is not lost,
        // none after it is, and it is the first to become lost by time.
        var lostCount = 0
        for packet in packets {
            guard packet.number <= largestAcknowledged else { break }
            guard packet.timeSent <= lostSendTime || largestAcknowledged - packet.number >= settings.packetThreshold
            else {
                lossTime = packet.timeSent + lossDelay
                break
            }
            lostCount += 1
        }
        let first = lost.count
        lost.append(contentsOf: packets.prefix(lostCount))
        packets.removeFirst(lostCount)
        for index in first..<lost.count { forget(lost[index]) }
    }

    /// Declares the oldest outstanding packets lost until `count` more packets fit, counting forgettable packets
    /// as room (`onPacketSent` forgets them when the tracker is full).
    private mutating func makeRoom(for count: Int) -> [SentPacket<Payload>] {
        var givenUp: [SentPacket<Payload>] = []
        var index = 0
        while packets.count - givenUp.count + count > settings.maxTrackedPackets + forgettableCount {
            if !Self.isForgettable(packets[index]) { givenUp.append(packets[index]) }
            index += 1
        }
        guard !givenUp.isEmpty else { return [] }
        packets.removeAll { !Self.isForgettable($0) && $0.number <= givenUp[givenUp.count - 1].number }
        givenUp.forEach { forget($0) }
        return givenUp
    }

    /// Whether `lost` (ascending) establishes persistent congestion (RFC 9002, section 7.6.2): two ack-eliciting
    /// packets sent after the first RTT sample, more than `persistentCongestionDuration` apart, with no packet
    /// between them acknowledged. Packet numbers rise by one per packet, so a missing number between two lost
    /// packets is one that was acknowledged (or a forgotten ACK-only packet, which errs towards no collapse).
    private func establishesPersistentCongestion(_ lost: [SentPacket<Payload>]) -> Bool {
        guard let firstSampleTime = rtt.firstSampleTime else { return false }
        let duration = persistentCongestionDuration
        var runStart: Instant?
        var previous: UInt64?
        for packet in lost {
            if let previous, packet.number - previous != 1 { runStart = nil }
            previous = packet.number
            guard packet.isAckEliciting, packet.timeSent > firstSampleTime else { continue }
            if let start = runStart {
                if packet.timeSent - start > duration { return true }
            } else {
                runStart = packet.timeSent
            }
        }
        return false
    }
}

extension SentPacketTracker: Sendable where Payload: Sendable {}

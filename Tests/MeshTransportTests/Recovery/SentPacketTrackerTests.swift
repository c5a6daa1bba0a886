import MeshCore
import MeshTransport
import Testing

/// Loss detection of RFC 9002 section 6 and appendix A, for the session's single packet-number space.
@Suite struct SentPacketTrackerTests {
    typealias Tracker = SentPacketTracker<UInt64>

    /// Sends `numbers` at `time`, each 1200 bytes carrying its own number as payload.
    private func send(
        _ numbers: ClosedRange<UInt64>, on tracker: inout Tracker, at time: Instant, ackEliciting: Bool = true,
        inFlight: Bool = true
    ) {
        for number in numbers {
            tracker.onPacketSent(
                number, size: 1200, ackEliciting: ackEliciting, inFlight: inFlight, payload: number, now: time)
        }
    }

    private func ack(
        _ ranges: [ClosedRange<UInt64>], on tracker: inout Tracker, at time: Instant, delay: Duration = .zero
    ) throws -> AckOutcome<UInt64> {
        try tracker.onAckReceived(AckFrame(ranges: ranges, ackDelay: delay), now: time)
    }

    private func tracker(maxTrackedPackets: Int = 4096) -> Tracker {
        var settings = LossDetectionSettings()
        settings.maxTrackedPackets = maxTrackedPackets
        return Tracker(settings: settings)
    }

    // MARK: Acknowledgment

    @Test func acknowledgedPacketsAreReportedOnce() throws {
        var tracker = tracker()
        send(0...2, on: &tracker, at: instant(ms: 0))
        #expect(try ack([0...2], on: &tracker, at: instant(ms: 50)).acknowledged.map(\.payload) == [0, 1, 2])
        #expect(try ack([0...2], on: &tracker, at: instant(ms: 60)).acknowledged.isEmpty)
        #expect(tracker.trackedCount == 0)
    }

    @Test func ackOfAPacketNeverSentIsAProtocolViolation() {
        var tracker = tracker()
        send(0...2, on: &tracker, at: instant(ms: 0))
        #expect(throws: RecoveryError.acknowledgedUnsentPacket(largestAcknowledged: 3, largestSent: 2)) {
            try ack([3...3], on: &tracker, at: instant(ms: 50))
        }
        #expect(tracker.trackedCount == 3)
        #expect(tracker.largestAcknowledged == nil)
    }

    @Test func ackBeforeAnythingWasSentIsAProtocolViolation() {
        var tracker = tracker()
        #expect(throws: RecoveryError.acknowledgedUnsentPacket(largestAcknowledged: 0, largestSent: nil)) {
            try ack([0...0], on: &tracker, at: instant(ms: 50))
        }
    }

    @Test func newlyAcknowledgedLargestGivesAnRTTSample() throws {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 10))
        let outcome = try ack([0...0], on: &tracker, at: instant(ms: 110), delay: .milliseconds(5))
        #expect(outcome.rttSample == .milliseconds(100))
        #expect(tracker.rtt.smoothedRTT == .milliseconds(100))
    }

    @Test func ackWhoseLargestWasAlreadyAcknowledgedGivesNoRTTSample() throws {
        var tracker = tracker()
        send(0...1, on: &tracker, at: instant(ms: 0))
        _ = try ack([1...1], on: &tracker, at: instant(ms: 100))
        let outcome = try ack([0...1], on: &tracker, at: instant(ms: 300))
        #expect(outcome.acknowledged.map(\.number) == [0])
        #expect(outcome.rttSample == nil)
        #expect(tracker.rtt.smoothedRTT == .milliseconds(100))
    }

    @Test func ackOfOnlyNonAckElicitingPacketsGivesNoRTTSample() throws {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 0), ackEliciting: false, inFlight: false)
        let outcome = try ack([0...0], on: &tracker, at: instant(ms: 100))
        #expect(outcome.acknowledged.count == 1)
        #expect(outcome.rttSample == nil)
        #expect(!tracker.rtt.hasSample)
    }

    // MARK: Loss detection

    @Test func packetThreeNumbersBelowAnAcknowledgedOneIsLost() throws {
        var tracker = tracker()
        send(0...4, on: &tracker, at: instant(ms: 0))
        let outcome = try ack([3...3], on: &tracker, at: instant(ms: 10))
        #expect(outcome.lost.map(\.number) == [0])
        // 1 and 2 are too close to 3; they become lost by time at 9/8 of the 10 ms RTT after they were sent.
        #expect(tracker.lossDetectionDeadline == Instant.epoch + .microseconds(11_250))
    }

    @Test func packetOlderThanNineEighthsOfTheRTTIsLostWhenTheTimerFires() throws {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 0))
        send(1...1, on: &tracker, at: instant(ms: 10))
        let outcome = try ack([1...1], on: &tracker, at: instant(ms: 110))
        #expect(outcome.lost.isEmpty)
        // loss delay = 9/8 * 100 ms = 112.5 ms after packet 0 was sent.
        let deadline = Instant.epoch + .microseconds(112_500)
        #expect(tracker.lossDetectionDeadline == deadline)
        let timeout = tracker.onLossDetectionTimeout(now: deadline)
        #expect(timeout.lost.map(\.number) == [0])
        #expect(timeout.probePackets == 0)
        #expect(tracker.ptoCount == 0)
    }

    @Test func packetAlreadyOlderThanTheLossDelayIsLostOnTheAck() throws {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 0))
        send(1...1, on: &tracker, at: instant(ms: 200))
        let outcome = try ack([1...1], on: &tracker, at: instant(ms: 300))
        #expect(outcome.lost.map(\.number) == [0])
    }

    @Test func timerFiringEarlyDoesNothing() throws {
        var tracker = tracker()
        send(0...1, on: &tracker, at: instant(ms: 0))
        _ = try ack([1...1], on: &tracker, at: instant(ms: 100))
        let deadline = tracker.lossDetectionDeadline
        let timeout = tracker.onLossDetectionTimeout(now: instant(ms: 101))
        #expect(timeout.lost.isEmpty && timeout.probePackets == 0)
        #expect(tracker.lossDetectionDeadline == deadline)
        #expect(tracker.trackedCount == 1)
    }

    // MARK: Probe timeout

    @Test func firstPTOIsTheInitialRTTEstimatePlusMaxAckDelay() {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 5))
        // 333 + 4 * 166.5 + 25 ms after the packet.
        #expect(tracker.lossDetectionDeadline == instant(ms: 5 + 1024))
    }

    @Test func ptoAsksForTwoProbesAndDoublesEachTime() {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 0))
        let first = tracker.onLossDetectionTimeout(now: instant(ms: 1024))
        #expect(first.probePackets == 2 && first.lost.isEmpty)
        #expect(tracker.ptoCount == 1)
        send(1...2, on: &tracker, at: instant(ms: 1024))
        #expect(tracker.lossDetectionDeadline == instant(ms: 1024 + 2048))
        _ = tracker.onLossDetectionTimeout(now: instant(ms: 1024 + 2048))
        #expect(tracker.ptoCount == 2)
        #expect(tracker.lossDetectionDeadline == instant(ms: 1024 + 4096))
    }

    @Test func acknowledgmentResetsThePTOBackoff() throws {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 0))
        _ = tracker.onLossDetectionTimeout(now: instant(ms: 1024))
        send(1...2, on: &tracker, at: instant(ms: 1024))
        _ = tracker.onLossDetectionTimeout(now: instant(ms: 3072))
        send(3...3, on: &tracker, at: instant(ms: 3072))
        _ = try ack([1...1], on: &tracker, at: instant(ms: 3100))
        #expect(tracker.ptoCount == 0)
    }

    @Test func withoutAckElicitingPacketsOutstandingNoTimerRuns() {
        var tracker = tracker()
        send(0...3, on: &tracker, at: instant(ms: 0), ackEliciting: false, inFlight: false)
        #expect(tracker.lossDetectionDeadline == nil)
        #expect(!tracker.hasAckElicitingInFlight)
    }

    // MARK: Persistent congestion

    @Test func lossesSpanningMoreThanThreePTOsAreThePersistentCongestion() throws {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 0))
        _ = try ack([0...0], on: &tracker, at: instant(ms: 100))
        send(1...1, on: &tracker, at: instant(ms: 200))
        send(2...2, on: &tracker, at: instant(ms: 1400))
        send(3...5, on: &tracker, at: instant(ms: 1500))
        let outcome = try ack([5...5], on: &tracker, at: instant(ms: 1600))
        // The second sample (100 ms again) leaves srtt 100 and rttvar 37.5 ms: (100 + 150 + 25) * 3 = 825 ms,
        // and packets 1 and 2 were sent 1200 ms apart.
        #expect(tracker.persistentCongestionDuration == .milliseconds(825))
        #expect(outcome.lost.map(\.number) == [1, 2])
        #expect(outcome.persistentCongestion)
    }

    @Test func acknowledgedPacketBetweenTheLossesRulesOutPersistentCongestion() throws {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 0))
        _ = try ack([0...0], on: &tracker, at: instant(ms: 100))
        send(1...1, on: &tracker, at: instant(ms: 200))
        send(2...2, on: &tracker, at: instant(ms: 700))
        send(3...3, on: &tracker, at: instant(ms: 1400))
        send(4...6, on: &tracker, at: instant(ms: 1500))
        let outcome = try ack([6...6, 2...2], on: &tracker, at: instant(ms: 1600))
        #expect(outcome.lost.map(\.number) == [1, 3])
        #expect(!outcome.persistentCongestion)
    }

    @Test func lossesCloserThanThePersistentCongestionDurationAreNotPersistentCongestion() throws {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 0))
        _ = try ack([0...0], on: &tracker, at: instant(ms: 100))
        send(1...1, on: &tracker, at: instant(ms: 200))
        send(2...2, on: &tracker, at: instant(ms: 800))
        send(3...5, on: &tracker, at: instant(ms: 1500))
        let outcome = try ack([5...5], on: &tracker, at: instant(ms: 1600))
        #expect(outcome.lost.map(\.number) == [1, 2])
        #expect(!outcome.persistentCongestion)
    }

    @Test func packetsSentBeforeTheFirstRTTSampleDoNotCountForPersistentCongestion() throws {
        var tracker = tracker()
        send(0...0, on: &tracker, at: instant(ms: 0))
        send(1...1, on: &tracker, at: instant(ms: 1000))
        send(2...4, on: &tracker, at: instant(ms: 2000))
        let outcome = try ack([4...4], on: &tracker, at: instant(ms: 2100))
        #expect(outcome.lost.map(\.number) == [0, 1])
        #expect(!outcome.persistentCongestion)
    }

    // MARK: The tracking limit

    @Test func fullTrackerRefusesMorePackets() {
        var tracker = tracker(maxTrackedPackets: 4)
        send(0...3, on: &tracker, at: instant(ms: 0))
        #expect(!tracker.canTrackMore)
    }

    @Test func ackOnlyPacketsAreForgottenWhenTheTrackerIsFull() throws {
        var tracker = tracker(maxTrackedPackets: 4)
        send(0...0, on: &tracker, at: instant(ms: 0))
        send(1...3, on: &tracker, at: instant(ms: 0), ackEliciting: false, inFlight: false)
        #expect(tracker.canTrackMore)
        send(4...4, on: &tracker, at: instant(ms: 1))
        #expect(tracker.trackedCount == 2)
        let outcome = try ack([0...4], on: &tracker, at: instant(ms: 50))
        #expect(outcome.acknowledged.map(\.number) == [0, 4])
    }

    @Test func acknowledgmentsMakeRoomAgain() throws {
        var tracker = tracker(maxTrackedPackets: 4)
        send(0...3, on: &tracker, at: instant(ms: 0))
        _ = try ack([0...1], on: &tracker, at: instant(ms: 50))
        #expect(tracker.canTrackMore)
    }

    @Test func ptoWhileFullGivesUpTheOldestPacketsToMakeRoomForProbes() {
        var tracker = tracker(maxTrackedPackets: 4)
        send(0...3, on: &tracker, at: instant(ms: 0))
        let timeout = tracker.onLossDetectionTimeout(now: instant(ms: 1024))
        #expect(timeout.lost.map(\.number) == [0, 1])
        #expect(timeout.probePackets == 2)
        #expect(tracker.canTrackMore)
        send(4...5, on: &tracker, at: instant(ms: 1024))
        #expect(tracker.trackedCount == 4)
    }
}

import MeshCore
import MeshTransport
import MeshWire
import Testing

/// When and what to acknowledge: RFC 9000 sections 13.2.1 to 13.2.5.
@Suite struct ReceivedPacketTrackerTests {
    private func receive(
        _ numbers: [UInt64], into tracker: inout ReceivedPacketTracker, ackEliciting: Bool = true, at time: Instant
    ) throws {
        for number in numbers { try tracker.onPacketReceived(number, ackEliciting: ackEliciting, now: time) }
    }

    @Test func oneAckElicitingPacketIsAcknowledgedWithinMaxAckDelay() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0], into: &tracker, at: instant(ms: 10))
        #expect(tracker.ackDeadline == instant(ms: 35))
    }

    @Test func everySecondAckElicitingPacketIsAcknowledgedWithinTheBatchingDelay() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0], into: &tracker, at: instant(ms: 10))
        try receive([1], into: &tracker, at: instant(ms: 12))
        #expect(tracker.ackDeadline == instant(ms: 13))
    }

    @Test func everyTenthAckElicitingPacketIsAcknowledgedAtOnce() throws {
        var tracker = ReceivedPacketTracker()
        try receive(Array(0..<9), into: &tracker, at: instant(ms: 10))
        #expect(tracker.ackDeadline == instant(ms: 11))
        try receive([9], into: &tracker, at: instant(ms: 10))
        #expect(tracker.ackDeadline == instant(ms: 10))
    }

    @Test func withoutABatchingDelayEverySecondPacketIsAcknowledgedAtOnce() throws {
        var settings = ReceivedPacketTracker.Settings()
        settings.ackBatchingDelay = .zero
        var tracker = ReceivedPacketTracker(settings: settings)
        try receive([0], into: &tracker, at: instant(ms: 10))
        try receive([1], into: &tracker, at: instant(ms: 12))
        #expect(tracker.ackDeadline == instant(ms: 12))
    }

    @Test func packetsThatAreNotAckElicitingOweNoAck() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0, 1, 2], into: &tracker, ackEliciting: false, at: instant(ms: 10))
        #expect(tracker.ackDeadline == nil)
        #expect(tracker.acknowledgedRanges == [0...2])
    }

    @Test func packetAfterAGapIsAcknowledgedAtOnce() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0], into: &tracker, at: instant(ms: 10))
        _ = tracker.makeAckFrame(now: instant(ms: 11))
        try receive([2], into: &tracker, at: instant(ms: 20))
        #expect(tracker.ackDeadline == instant(ms: 20))
    }

    @Test func packetBelowTheLargestIsAcknowledgedAtOnce() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0, 2], into: &tracker, at: instant(ms: 10))
        _ = tracker.makeAckFrame(now: instant(ms: 10))
        try receive([1], into: &tracker, at: instant(ms: 30))
        #expect(tracker.ackDeadline == instant(ms: 30))
    }

    @Test func inOrderPacketAfterAnAckWaitsForMaxAckDelay() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0, 1], into: &tracker, at: instant(ms: 10))
        _ = tracker.makeAckFrame(now: instant(ms: 10))
        try receive([2], into: &tracker, at: instant(ms: 40))
        #expect(tracker.ackDeadline == instant(ms: 65))
    }

    @Test func makingAnAckFrameClearsTheDeadline() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0], into: &tracker, at: instant(ms: 10))
        #expect(tracker.makeAckFrame(now: instant(ms: 20)) != nil)
        #expect(tracker.ackDeadline == nil)
    }

    @Test func nothingReceivedMeansNoFrame() {
        var tracker = ReceivedPacketTracker()
        #expect(tracker.makeAckFrame(now: instant(ms: 0)) == nil)
    }

    @Test func frameReportsMergedRangesAndTheDelaySinceTheLargestArrived() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0, 1, 2, 5, 6], into: &tracker, at: instant(ms: 10))
        try receive([9], into: &tracker, at: instant(ms: 12))
        let made = tracker.makeAckFrame(now: instant(ms: 15))
        let frame = try #require(made)
        #expect(frame.ranges == [9...9, 5...6, 0...2])
        #expect(frame.ackDelay == .milliseconds(3))
    }

    @Test func ackDelayCountsFromTheLargestEvenWhenLowerPacketsArriveLater() throws {
        var tracker = ReceivedPacketTracker()
        try receive([5], into: &tracker, at: instant(ms: 10))
        try receive([3, 4], into: &tracker, at: instant(ms: 18))
        let made = tracker.makeAckFrame(now: instant(ms: 20))
        let frame = try #require(made)
        #expect(frame.ranges == [3...5])
        #expect(frame.ackDelay == .milliseconds(10))
    }

    @Test func packetFillingAHoleJoinsBothNeighbours() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0, 1, 3, 4], into: &tracker, at: instant(ms: 10))
        try receive([2], into: &tracker, at: instant(ms: 11))
        #expect(tracker.acknowledgedRanges == [0...4])
    }

    @Test func atMostMaxRangesAreKeptAndTheOldestGoFirst() throws {
        var settings = ReceivedPacketTracker.Settings()
        settings.maxRanges = 4
        var tracker = ReceivedPacketTracker(settings: settings)
        try receive([0, 2, 4, 6, 8, 10], into: &tracker, at: instant(ms: 10))
        #expect(tracker.acknowledgedRanges == [10...10, 8...8, 6...6, 4...4])
        try receive([1], into: &tracker, at: instant(ms: 11))
        #expect(tracker.acknowledgedRanges == [10...10, 8...8, 6...6, 4...4])
    }

    @Test func numbersInAFrameThePeerReceivedAreNoLongerReported() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0, 1, 2, 4, 5, 8], into: &tracker, at: instant(ms: 10))
        let made = tracker.makeAckFrame(now: instant(ms: 10))
        let frame = try #require(made)
        try receive([9], into: &tracker, at: instant(ms: 12))
        tracker.onAckFrameAcknowledged(frame)
        #expect(tracker.acknowledgedRanges == [9...9])
    }

    @Test func latePacketArrivingAfterTheFrameIsStillReported() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0, 1, 2, 4, 5], into: &tracker, at: instant(ms: 10))
        let made = tracker.makeAckFrame(now: instant(ms: 10))
        let frame = try #require(made)
        try receive([3], into: &tracker, at: instant(ms: 15))
        tracker.onAckFrameAcknowledged(frame)
        #expect(tracker.acknowledgedRanges == [3...3])
    }

    @Test func packetRightAfterConfirmedNumbersIsNotTreatedAsAfterAGap() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0, 1], into: &tracker, at: instant(ms: 10))
        try receive([2, 3], into: &tracker, ackEliciting: false, at: instant(ms: 10))
        let made = tracker.makeAckFrame(now: instant(ms: 10))
        tracker.onAckFrameAcknowledged(try #require(made))
        try receive([4], into: &tracker, at: instant(ms: 20))
        #expect(tracker.ackDeadline == instant(ms: 45))
    }

    @Test func makingAFrameWithNothingToReportStillClearsTheDeadline() throws {
        var tracker = ReceivedPacketTracker()
        try receive([0], into: &tracker, at: instant(ms: 10))
        let made = tracker.makeAckFrame(now: instant(ms: 10))
        try receive([0], into: &tracker, at: instant(ms: 12))  // a duplicate the replay window would have dropped
        tracker.onAckFrameAcknowledged(try #require(made))
        #expect(tracker.ackDeadline == instant(ms: 37))
        #expect(tracker.makeAckFrame(now: instant(ms: 20)) == nil)
        #expect(tracker.ackDeadline == nil)
    }

    @Test func packetNumberBeyondWhatAnAckFrameCarriesIsRefused() {
        var tracker = ReceivedPacketTracker()
        #expect(throws: RecoveryError.packetNumberTooLarge(Varint.max + 1)) {
            try tracker.onPacketReceived(Varint.max + 1, ackEliciting: true, now: instant(ms: 0))
        }
        #expect(tracker.acknowledgedRanges == [])
    }
}

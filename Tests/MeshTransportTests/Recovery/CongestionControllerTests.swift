import MeshCore
import MeshTransport
import Testing

/// NewReno as RFC 9002 section 7 and appendix B specify it, with 1200-byte datagrams.
@Suite struct CongestionControllerTests {
    private func packet(_ number: UInt64, sentAt time: Instant, size: Int = 1200) -> SentPacket<Int> {
        SentPacket(number: number, timeSent: time, size: size, isAckEliciting: true, isInFlight: true, payload: 0)
    }

    /// Sends `count` full-size packets at `time` and returns them.
    private func send(
        _ count: Int, from first: UInt64, at time: Instant, on controller: inout CongestionController
    ) -> [SentPacket<Int>] {
        (0..<count).map { offset in
            controller.onPacketSent(bytes: 1200)
            return packet(first + UInt64(offset), sentAt: time)
        }
    }

    /// A controller that lost a packet at 50 ms: window and threshold 6000 bytes, recovery from 50 ms.
    private func controllerAfterFirstLoss() -> CongestionController {
        var controller = CongestionController()
        let sent = send(10, from: 0, at: instant(ms: 0), on: &controller)
        controller.onPacketsLost([sent[0]], persistentCongestion: false, now: instant(ms: 50))
        controller.onPacketsAcknowledged(Array(sent[1...]), applicationLimited: false)
        return controller
    }

    @Test func initialWindowIsTenDatagramsAndMinimumIsTwo() {
        let controller = CongestionController()
        #expect(controller.congestionWindow == 12000)
        #expect(controller.settings.minimumWindow == 2400)
        #expect(controller.slowStartThreshold == Int.max)
        #expect(controller.isInSlowStart)
    }

    @Test func sendingIsAllowedUntilTheWindowIsFull() {
        var controller = CongestionController()
        _ = send(9, from: 0, at: instant(ms: 0), on: &controller)
        #expect(controller.canSend(bytes: 1200))
        _ = send(1, from: 9, at: instant(ms: 0), on: &controller)
        #expect(controller.bytesInFlight == 12000)
        #expect(!controller.canSend(bytes: 1))
    }

    @Test func slowStartDoublesTheWindowEveryRoundTrip() {
        var controller = CongestionController()
        let first = send(10, from: 0, at: instant(ms: 0), on: &controller)
        controller.onPacketsAcknowledged(first, applicationLimited: false)
        #expect(controller.congestionWindow == 24000)
        let second = send(20, from: 10, at: instant(ms: 100), on: &controller)
        controller.onPacketsAcknowledged(second, applicationLimited: false)
        #expect(controller.congestionWindow == 48000)
        #expect(controller.bytesInFlight == 0)
    }

    @Test func lossHalvesTheWindowAndStartsARecoveryPeriod() {
        let controller = controllerAfterFirstLoss()
        #expect(controller.congestionWindow == 6000)
        #expect(controller.slowStartThreshold == 6000)
        #expect(controller.recoveryStartTime == instant(ms: 50))
        #expect(controller.bytesInFlight == 0)
    }

    @Test func moreLossesFromBeforeTheRecoveryPeriodDoNotReduceAgain() {
        var controller = CongestionController()
        let sent = send(10, from: 0, at: instant(ms: 0), on: &controller)
        controller.onPacketsLost([sent[0]], persistentCongestion: false, now: instant(ms: 50))
        controller.onPacketsLost([sent[1], sent[2]], persistentCongestion: false, now: instant(ms: 60))
        #expect(controller.congestionWindow == 6000)
        #expect(controller.recoveryStartTime == instant(ms: 50))
    }

    @Test func packetSentAtTheInstantRecoveryBeganBelongsToThePeriod() {
        var controller = controllerAfterFirstLoss()
        let sent = send(1, from: 10, at: instant(ms: 50), on: &controller)
        controller.onPacketsLost(sent, persistentCongestion: false, now: instant(ms: 200))
        #expect(controller.congestionWindow == 6000)
    }

    @Test func lossOfAPacketSentDuringRecoveryReducesAgain() {
        var controller = controllerAfterFirstLoss()
        let sent = send(1, from: 10, at: instant(ms: 60), on: &controller)
        controller.onPacketsLost(sent, persistentCongestion: false, now: instant(ms: 200))
        #expect(controller.congestionWindow == 3000)
        #expect(controller.recoveryStartTime == instant(ms: 200))
    }

    @Test func acknowledgmentsOfPacketsSentBeforeRecoveryDoNotGrowTheWindow() {
        var controller = CongestionController()
        let sent = send(10, from: 0, at: instant(ms: 0), on: &controller)
        controller.onPacketsLost([sent[0]], persistentCongestion: false, now: instant(ms: 50))
        controller.onPacketsAcknowledged(Array(sent[1...]), applicationLimited: false)
        #expect(controller.congestionWindow == 6000)
    }

    @Test func congestionAvoidanceGrowsOneDatagramPerWindowAcknowledged() {
        var controller = controllerAfterFirstLoss()
        #expect(!controller.isInSlowStart)
        let almostAWindow = send(4, from: 10, at: instant(ms: 60), on: &controller)
        controller.onPacketsAcknowledged(almostAWindow, applicationLimited: false)
        #expect(controller.congestionWindow == 6000)
        let rest = send(1, from: 14, at: instant(ms: 60), on: &controller)
        controller.onPacketsAcknowledged(rest, applicationLimited: false)
        #expect(controller.congestionWindow == 7200)
    }

    @Test func windowNeverFallsBelowTheMinimum() {
        var controller = CongestionController()
        var number: UInt64 = 0
        for round in 1...6 {
            let sent = send(1, from: number, at: instant(ms: Int64(round * 100)), on: &controller)
            number += 1
            controller.onPacketsLost(sent, persistentCongestion: false, now: instant(ms: Int64(round * 100 + 50)))
        }
        #expect(controller.congestionWindow == 2400)
    }

    @Test func persistentCongestionCollapsesTheWindowToTheMinimum() {
        var controller = CongestionController()
        let first = send(10, from: 0, at: instant(ms: 0), on: &controller)
        controller.onPacketsAcknowledged(first, applicationLimited: false)
        let sent = send(3, from: 10, at: instant(ms: 100), on: &controller)
        controller.onPacketsLost(sent, persistentCongestion: true, now: instant(ms: 2000))
        #expect(controller.congestionWindow == 2400)
        #expect(controller.recoveryStartTime == nil)
        #expect(controller.bytesInFlight == 0)
    }

    @Test func applicationLimitedAcknowledgmentsDoNotGrowTheWindow() {
        var controller = CongestionController()
        let sent = send(2, from: 0, at: instant(ms: 0), on: &controller)
        controller.onPacketsAcknowledged(sent, applicationLimited: true)
        #expect(controller.congestionWindow == 12000)
        #expect(controller.bytesInFlight == 0)
    }

    @Test func ackOutcomeAppliesLossesBeforeAcknowledgments() {
        var controller = CongestionController()
        let sent = send(2, from: 0, at: instant(ms: 0), on: &controller)
        let outcome = AckOutcome(acknowledged: [sent[1]], lost: [sent[0]])
        controller.onAckOutcome(outcome, applicationLimited: false, now: instant(ms: 100))
        // Had the acknowledgment come first, slow start would have grown the window to 13200 before halving.
        #expect(controller.congestionWindow == 6000)
    }

    @Test func packetsNotInFlightLeaveTheWindowAlone() {
        var controller = CongestionController()
        let ackOnly = SentPacket(
            number: 0, timeSent: instant(ms: 0), size: 50, isAckEliciting: false, isInFlight: false, payload: 0)
        controller.onPacketsLost([ackOnly], persistentCongestion: false, now: instant(ms: 100))
        #expect(controller.congestionWindow == 12000)
        #expect(controller.recoveryStartTime == nil)
    }
}

import MeshCore
import MeshTransport
import Testing

/// Pacing at 1.25 windows per smoothed RTT with a burst of one initial window (RFC 9002 section 7.7).
@Suite struct PacerTests {
    private let window = 12000
    private let rtt = Duration.milliseconds(100)

    /// Sends `count` 1200-byte packets, each at the earliest time the pacer allows from `start`; returns the times.
    private func sendTimes(
        _ count: Int, from start: Instant, on pacer: inout Pacer, window: Int = 12000
    ) -> [Instant] {
        var now = start
        var times: [Instant] = []
        for _ in 0..<count {
            now = pacer.nextSendTime(now: now, bytes: 1200, congestionWindow: window, smoothedRTT: rtt)
            pacer.onPacketSent(now: now, bytes: 1200, congestionWindow: window, smoothedRTT: rtt)
            times.append(now)
        }
        return times
    }

    @Test func aBurstOfOneInitialWindowGoesAtOnce() {
        var pacer = Pacer()
        #expect(sendTimes(10, from: instant(ms: 0), on: &pacer) == Array(repeating: instant(ms: 0), count: 10))
    }

    @Test func afterTheBurstPacketsAreSpacedByTheRate() {
        var pacer = Pacer()
        let times = sendTimes(13, from: instant(ms: 0), on: &pacer)
        // 1.25 * 12000 bytes per 100 ms is 150 bytes per ms: a 1200-byte packet every 8 ms.
        #expect(Array(times.suffix(3)) == [instant(ms: 8), instant(ms: 16), instant(ms: 24)])
    }

    @Test func aLargerWindowPacesFaster() {
        var pacer = Pacer()
        let times = sendTimes(12, from: instant(ms: 0), on: &pacer, window: 24000)
        #expect(Array(times.suffix(2)) == [instant(ms: 4), instant(ms: 8)])
    }

    @Test func idleTimeRefillsTheBucketOnlyUpToOneBurst() {
        var pacer = Pacer()
        _ = sendTimes(10, from: instant(ms: 0), on: &pacer)
        let times = sendTimes(11, from: instant(ms: 10_000), on: &pacer)
        #expect(Array(times.prefix(10)) == Array(repeating: instant(ms: 10_000), count: 10))
        #expect(times.last == instant(ms: 10_008))
    }

    @Test func sendingEarlyEmptiesTheBucketWithoutDebt() {
        var pacer = Pacer()
        _ = sendTimes(10, from: instant(ms: 0), on: &pacer)
        pacer.onPacketSent(now: instant(ms: 0), bytes: 1200, congestionWindow: window, smoothedRTT: rtt)
        #expect(pacer.tokens == 0)
        #expect(
            pacer.nextSendTime(now: instant(ms: 0), bytes: 1200, congestionWindow: window, smoothedRTT: rtt)
                == instant(ms: 8))
    }

    @Test func waitIsRoundedUpToTheNextWholeNanosecond() {
        var pacer = Pacer()
        _ = sendTimes(10, from: instant(ms: 0), on: &pacer)
        // 1 byte at 5 * 12000 / (4 * 100 ms) = 0.00015 bytes/ns takes 6666.67 ns: wait 6667.
        let next = pacer.nextSendTime(now: instant(ms: 0), bytes: 1, congestionWindow: window, smoothedRTT: rtt)
        #expect(next == Instant(nanosecondsSinceEpoch: 6667))
    }
}

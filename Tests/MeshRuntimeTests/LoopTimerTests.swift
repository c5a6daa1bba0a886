import MeshCore
import MeshRuntime
import Testing

@Suite("Loop timer", .serialized)
struct LoopTimerTests {
    @Test("timers fire in deadline order, each at or after its deadline")
    func firesInDeadlineOrder() throws {
        let loop = try EventLoop()
        let start = loop.now
        var fired: [(name: String, late: Bool)] = []
        var timers: [LoopTimer] = []
        for (name, offset) in [("30ms", 30), ("10ms", 10), ("20ms", 20)] {
            let deadline = start + .milliseconds(offset)
            let timer = try LoopTimer(loop: loop) {
                fired.append((name, loop.now >= deadline))
                if fired.count == 3 { loop.stop() }
            }
            timer.arm(at: deadline)
            timers.append(timer)
        }
        #expect(try !runUntilStopped(loop))
        #expect(fired.map(\.name) == ["10ms", "20ms", "30ms"])
        #expect(fired.allSatisfy { $0.late })
        #expect(timers.allSatisfy { $0.deadline == nil })
        timers.forEach { $0.close() }
        try loop.close()
    }

    @Test("re-arming replaces the earlier deadline")
    func rearmingReplaces() throws {
        let loop = try EventLoop()
        let start = loop.now
        var fired: [String] = []
        let moved = try LoopTimer(loop: loop) {
            fired.append("moved")
            loop.stop()
        }
        let fixed = try LoopTimer(loop: loop) { fired.append("fixed") }
        moved.arm(at: start + .milliseconds(10))
        fixed.arm(at: start + .milliseconds(25))
        moved.arm(at: start + .milliseconds(50))
        #expect(moved.deadline == start + .milliseconds(50))
        #expect(try !runUntilStopped(loop))
        #expect(fired == ["fixed", "moved"])
        moved.close()
        fixed.close()
        try loop.close()
    }

    @Test("moved later, a timer fires only once its new deadline has passed; moved earlier, at the earlier one")
    func movedLaterOrEarlier() throws {
        let loop = try EventLoop()
        let start = loop.now
        var firedAt: [String: Instant] = [:]
        let later = try LoopTimer(loop: loop) {
            firedAt["later"] = loop.now
            if firedAt.count == 2 { loop.stop() }
        }
        let earlier = try LoopTimer(loop: loop) {
            firedAt["earlier"] = loop.now
            if firedAt.count == 2 { loop.stop() }
        }
        // `later` keeps the libuv timer started for 10 ms, which fires early and starts itself again for 40 ms.
        later.arm(at: start + .milliseconds(10))
        later.arm(at: start + .milliseconds(40))
        // `earlier` has to restart its libuv timer for the nearer deadline.
        earlier.arm(at: start + .milliseconds(60))
        earlier.arm(at: start + .milliseconds(20))
        #expect(try !runUntilStopped(loop))
        let laterFired = try #require(firedAt["later"])
        let earlierFired = try #require(firedAt["earlier"])
        #expect(laterFired >= start + .milliseconds(40))
        #expect(earlierFired >= start + .milliseconds(20))
        #expect(earlierFired < laterFired, "the timer moved to 20 ms fires before the one moved to 40 ms")
        later.close()
        earlier.close()
        try loop.close()
    }

    @Test("a disarmed timer does not fire")
    func disarmedTimerStaysQuiet() throws {
        let loop = try EventLoop()
        var disarmedFired = false
        let disarmed = try LoopTimer(loop: loop) { disarmedFired = true }
        let later = try LoopTimer(loop: loop) { loop.stop() }
        disarmed.arm(at: loop.now + .milliseconds(5))
        later.arm(at: loop.now + .milliseconds(30))
        disarmed.disarm()
        #expect(disarmed.deadline == nil)
        #expect(try !runUntilStopped(loop))
        #expect(!disarmedFired)
        disarmed.close()
        later.close()
        try loop.close()
    }

    @Test("a deadline in the past fires on the next loop iteration, not inside arm(at:)")
    func pastDeadlineFiresOnNextIteration() throws {
        let loop = try EventLoop()
        var fired = false
        let timer = try LoopTimer(loop: loop) {
            fired = true
            loop.stop()
        }
        timer.arm(at: loop.now - .seconds(1))
        #expect(!fired)
        #expect(try !runUntilStopped(loop))
        #expect(fired)
        timer.close()
        try loop.close()
    }
}

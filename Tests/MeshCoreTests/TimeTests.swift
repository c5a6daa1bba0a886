import MeshCore
import Testing

@Suite struct TimeTests {
    @Test func durationConstructorsAreNanosecondExact() {
        #expect(Duration.seconds(2).nanoseconds == 2_000_000_000)
        #expect(Duration.milliseconds(3).nanoseconds == 3_000_000)
        #expect(Duration.microseconds(5).nanoseconds == 5_000)
        #expect(Duration.seconds(0.25).nanoseconds == 250_000_000)
        #expect(Duration.seconds(1.5).seconds == 1.5)
    }

    @Test func durationArithmeticAndOrder() {
        var duration = Duration.seconds(1) + .milliseconds(500) - .milliseconds(250)
        #expect(duration == .milliseconds(1250))
        duration += .nanoseconds(1)
        #expect(duration > .milliseconds(1250))
        #expect(Duration.milliseconds(10) * 3 == .milliseconds(30))
        #expect(Duration.milliseconds(30) / 3 == .milliseconds(10))
    }

    @Test(arguments: [
        (Duration.nanoseconds(250), "250ns"), (.microseconds(1), "1µs"), (.nanoseconds(1500), "1.5µs"),
        (.milliseconds(20), "20ms"), (.milliseconds(2250), "2.25s"), (.seconds(-3), "-3s"),
    ])
    func durationDescriptionIsShortWithUnit(duration: Duration, text: String) {
        #expect(duration.description == text)
    }

    @Test func instantArithmetic() {
        let start = Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000)
        let later = start + .seconds(120)
        #expect(later - start == .seconds(120))
        #expect(later - .seconds(120) == start)
        #expect(start < later)
        #expect(later.secondsSinceEpoch == 1_700_000_120)
    }

    @Test func instantDescriptionShowsNanoseconds() {
        #expect(Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_250).description == "1700000000.000000250")
        #expect(Instant.epoch.description == "0.000000000")
        #expect(Instant(nanosecondsSinceEpoch: -1).secondsSinceEpoch == -1)
    }
}

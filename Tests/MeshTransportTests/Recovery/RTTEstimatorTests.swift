import MeshCore
import MeshTransport
import Testing

/// RFC 9002 section 5, checked against values worked by hand from its formulas.
@Suite struct RTTEstimatorTests {
    private let maxAckDelay = Duration.milliseconds(25)

    @Test func beforeAnySampleTheInitialRTTIsAssumed() {
        let estimator = RTTEstimator()
        #expect(estimator.smoothedRTT == .milliseconds(333))
        #expect(estimator.rttVariance == .microseconds(166_500))
        #expect(!estimator.hasSample)
        // 333 + 4 * 166.5 + 25 ms.
        #expect(estimator.pto(maxAckDelay: maxAckDelay) == .milliseconds(1024))
    }

    @Test func firstSampleSetsEverythingAndIgnoresAckDelay() {
        var estimator = RTTEstimator()
        estimator.addSample(
            .milliseconds(100), ackDelay: .milliseconds(20), maxAckDelay: maxAckDelay, now: instant(ms: 7))
        #expect(estimator.latestRTT == .milliseconds(100))
        #expect(estimator.minRTT == .milliseconds(100))
        #expect(estimator.smoothedRTT == .milliseconds(100))
        #expect(estimator.rttVariance == .milliseconds(50))
        #expect(estimator.firstSampleTime == instant(ms: 7))
        #expect(estimator.pto(maxAckDelay: maxAckDelay) == .milliseconds(325))
    }

    @Test func laterSamplesSubtractTheAckDelayAndSmooth() {
        var estimator = RTTEstimator()
        estimator.addSample(.milliseconds(100), ackDelay: .zero, maxAckDelay: maxAckDelay, now: instant(ms: 0))
        estimator.addSample(
            .milliseconds(120), ackDelay: .milliseconds(10), maxAckDelay: maxAckDelay, now: instant(ms: 1))
        // adjusted = 110; rttvar = 3/4 * 50 + 1/4 * |100 - 110| = 40; srtt = 7/8 * 100 + 1/8 * 110 = 101.25.
        #expect(estimator.rttVariance == .milliseconds(40))
        #expect(estimator.smoothedRTT == .microseconds(101_250))
        #expect(estimator.minRTT == .milliseconds(100))
        #expect(estimator.latestRTT == .milliseconds(120))
    }

    @Test func ackDelayIsCappedAtMaxAckDelay() {
        var estimator = RTTEstimator()
        estimator.addSample(.milliseconds(100), ackDelay: .zero, maxAckDelay: maxAckDelay, now: instant(ms: 0))
        estimator.addSample(
            .milliseconds(120), ackDelay: .milliseconds(10), maxAckDelay: maxAckDelay, now: instant(ms: 1))
        estimator.addSample(
            .milliseconds(130), ackDelay: .milliseconds(50), maxAckDelay: maxAckDelay, now: instant(ms: 2))
        // The 50 ms delay counts as 25: adjusted = 105; rttvar = (3 * 40 + 3.75) / 4 = 30.9375;
        // srtt = (7 * 101.25 + 105) / 8 = 101.71875.
        #expect(estimator.rttVariance == .nanoseconds(30_937_500))
        #expect(estimator.smoothedRTT == .nanoseconds(101_718_750))
    }

    @Test func implausibleAckDelayIsNotSubtracted() {
        var estimator = RTTEstimator()
        estimator.addSample(.milliseconds(100), ackDelay: .zero, maxAckDelay: maxAckDelay, now: instant(ms: 0))
        estimator.addSample(
            .milliseconds(105), ackDelay: .milliseconds(10), maxAckDelay: maxAckDelay, now: instant(ms: 1))
        // 105 - 10 would fall below min_rtt 100, so the sample is used as it is: srtt = (700 + 105) / 8 = 100.625.
        #expect(estimator.smoothedRTT == .microseconds(100_625))
        #expect(estimator.rttVariance == .microseconds(38_750))
    }

    @Test func minRTTFollowsTheLeastRawSample() {
        var estimator = RTTEstimator()
        estimator.addSample(.milliseconds(100), ackDelay: .zero, maxAckDelay: maxAckDelay, now: instant(ms: 0))
        estimator.addSample(
            .milliseconds(80), ackDelay: .milliseconds(20), maxAckDelay: maxAckDelay, now: instant(ms: 1))
        estimator.addSample(.milliseconds(90), ackDelay: .zero, maxAckDelay: maxAckDelay, now: instant(ms: 2))
        #expect(estimator.minRTT == .milliseconds(80))
    }

    @Test func ptoVarianceTermNeverFallsBelowTheGranularity() {
        var estimator = RTTEstimator()
        for step in 0..<200 {
            estimator.addSample(
                .milliseconds(100), ackDelay: .zero, maxAckDelay: maxAckDelay, now: instant(ms: Int64(step)))
        }
        #expect(estimator.rttVariance == .zero)
        #expect(estimator.pto(maxAckDelay: maxAckDelay) == .milliseconds(100 + 1 + 25))
    }

    @Test func negativeSampleCountsAsZero() {
        var estimator = RTTEstimator()
        estimator.addSample(.milliseconds(-5), ackDelay: .zero, maxAckDelay: maxAckDelay, now: instant(ms: 0))
        #expect(estimator.latestRTT == .zero)
        #expect(estimator.smoothedRTT == .zero)
    }
}

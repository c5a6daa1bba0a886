import Testing

@testable import MeshIndicators

/// Ticks into bars and bars into longer bars over generated feeds (seeded, so that a failure names its feed):
/// nothing is lost or counted twice, bars are well formed, and aggregating twice equals aggregating once.
@Suite("Aggregation properties")
struct AggregationPropertyTests {
    /// `count` ticks around a random walk, times rising with jitter so that some arrive out of order (up to
    /// `disorder` milliseconds early), sizes 0 to 10.
    static func ticks(seed: UInt64, count: Int, disorder: Int64) -> [Tick] {
        var generator = IndicatorPropertyTests.Generator(state: seed)
        var price = 100.0
        var time: Int64 = 1_704_240_000_000
        var ticks: [Tick] = []
        for _ in 0..<count {
            time += Int64(generator.next() % 20_000)
            price *= 1 + (generator.unit() - 0.5) * 0.01
            let jitter = disorder > 0 ? Int64(generator.next() % UInt64(disorder)) : 0
            ticks.append(Tick(time: time - jitter, price: price, size: (generator.unit() * 10).rounded()))
        }
        return ticks
    }

    @Test("every tick is in one bar or counted late; bars are aligned, ordered and well formed", arguments: 1...20)
    func conservation(seed: Int) throws {
        let ticks = Self.ticks(seed: UInt64(seed), count: 2000, disorder: Int64(seed % 4) * 30_000)
        let timeframe = try Timeframe([1, 5, 15][seed % 3], .minute)
        var aggregator = try BarAggregator(timeframe: timeframe, grace: Int64(seed % 3) * 20_000)
        var bars: [TimeBar] = []
        var lateSize = 0.0
        for tick in ticks where try aggregator.add(tick, closing: &bars) == .late { lateSize += tick.size }
        aggregator.finish(into: &bars)
        let traded = ticks.reduce(0) { $0 + $1.size }
        #expect(abs(bars.reduce(0) { $0 + $1.bar.volume } + lateSize - traded) < 1e-6, "seed \(seed)")
        #expect(bars.reduce(0) { $0 + ($1.trades ?? 0) } + aggregator.lateTicks == ticks.count, "seed \(seed)")
        #expect(seed % 4 != 0 || aggregator.lateTicks == 0, "in-order ticks are never late (seed \(seed))")
        for (earlier, later) in zip(bars, bars.dropFirst()) { #expect(earlier.start < later.start) }
        for bar in bars {
            #expect(timeframe.interval(containing: bar.start).start == bar.start)
            #expect(bar.bar.low <= min(bar.bar.open, bar.bar.close) && bar.bar.high >= max(bar.bar.open, bar.bar.close))
            let vwap = try #require(bar.vwap)
            #expect(bar.bar.volume == 0 || (vwap >= bar.bar.low * (1 - 1e-12) && vwap <= bar.bar.high * (1 + 1e-12)))
        }
    }

    @Test("one-minute bars resampled into five equal ticks aggregated straight into five", arguments: 1...10)
    func resamplingEqualsAggregating(seed: Int) throws {
        let ticks = Self.ticks(seed: UInt64(seed) &+ 1000, count: 3000, disorder: 0)
        var minutes = try BarAggregator(timeframe: Timeframe("1m"))
        var direct = try BarAggregator(timeframe: Timeframe("5m"))
        var minuteBars: [TimeBar] = []
        var directBars: [TimeBar] = []
        for tick in ticks {
            try minutes.add(tick, closing: &minuteBars)
            try direct.add(tick, closing: &directBars)
        }
        minutes.finish(into: &minuteBars)
        direct.finish(into: &directBars)
        var resampler = Resampler(timeframe: try Timeframe("5m"))
        var resampled: [TimeBar] = []
        for bar in minuteBars { if let done = try resampler.add(bar) { resampled.append(done) } }
        if let last = resampler.finish() { resampled.append(last) }
        #expect(resampled.count == directBars.count)
        for (ours, theirs) in zip(resampled, directBars) {
            #expect(ours.start == theirs.start && ours.trades == theirs.trades)
            #expect(ours.bar.open == theirs.bar.open && ours.bar.close == theirs.bar.close)
            #expect(ours.bar.high == theirs.bar.high && ours.bar.low == theirs.bar.low)
            #expect(abs(ours.bar.volume - theirs.bar.volume) < 1e-9)
            // Volume-weighted from minute VWAPs: equal up to rounding.
            #expect(abs(try #require(ours.vwap) - #require(theirs.vwap)) <= 1e-9 * theirs.bar.close)
        }
    }

    @Test("the same feed gives the same bars, and closing by the clock gives what finishing gives")
    func determinism() throws {
        let ticks = Self.ticks(seed: 77, count: 500, disorder: 10_000)
        func run(clock: Bool) throws -> [TimeBar] {
            var aggregator = try BarAggregator(timeframe: Timeframe("1m"), grace: 15_000)
            var bars: [TimeBar] = []
            for tick in ticks { try aggregator.add(tick, closing: &bars) }
            if clock { aggregator.close(upTo: .max / 2, into: &bars) } else { aggregator.finish(into: &bars) }
            return bars
        }
        #expect(try run(clock: false) == run(clock: false))
        #expect(try run(clock: true) == run(clock: false))
    }
}

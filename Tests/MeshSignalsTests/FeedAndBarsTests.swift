import Foundation
import MeshIndicators
import MeshSampleData
import Testing

@testable import MeshSignals

/// Timeframes, tick aggregation, resampling, NDJSON lines and the bundled data set.
@Suite("Feeds and bars")
struct FeedAndBarsTests {
    static let minute: Int64 = 60_000
    static let day: Int64 = 86_400_000
    /// 2024-01-03T00:00Z, a Wednesday.
    static let wednesday: Int64 = 1_704_240_000_000

    @Test("timeframes parse, refuse nonsense, and align to the epoch, Mondays and months")
    func timeframes() throws {
        #expect(
            try Timeframe("5m").interval(containing: Self.wednesday + 7 * Self.minute) == (
                Self.wednesday + 5 * Self.minute, Self.wednesday + 10 * Self.minute
            ))
        let week = try Timeframe("1w").interval(containing: Self.wednesday)
        #expect(week.start == Self.wednesday - 2 * Self.day && week.end == week.start + 7 * Self.day)  // Monday 1st
        let quarter = try Timeframe("3M").interval(containing: Self.wednesday + 40 * Self.day)  // 2024-02-12
        #expect(quarter.start == Self.wednesday - 2 * Self.day)  // 2024-01-01
        #expect(quarter.end == Self.wednesday - 2 * Self.day + (31 + 29 + 31) * Self.day)  // 2024-04-01, leap year
        // Before the epoch the alignment still holds (floor, not truncation).
        #expect(try Timeframe("1d").interval(containing: -1).start == -Self.day)
        for bad in ["", "5", "m", "0m", "-1h", "5x", "1.5h", "121M", "99999s"] {
            #expect(throws: IndicatorError.self, "\(bad)") { try Timeframe(bad) }
        }
    }

    @Test("ticks make OHLCV bars with VWAP and trade counts; out-of-order ticks within the grace are used")
    func aggregation() throws {
        var aggregator = try BarAggregator(timeframe: Timeframe("1m"), grace: 10_000)
        var closed: [TimeBar] = []
        let t0 = Self.wednesday
        let ticks = [
            Tick(time: t0 + 1_000, price: 10, size: 1), Tick(time: t0 + 30_000, price: 12, size: 3),
            Tick(time: t0 + 500, price: 9, size: 1),  // earlier than the first: it is the open
            Tick(time: t0 + 61_000, price: 11, size: 2),  // next minute; the first is in its grace
            Tick(time: t0 + 59_000, price: 8, size: 1),  // late but within the grace: the first bar's close
            Tick(time: t0 + 75_000, price: 13, size: 1),  // closes the first bar (60 s + 10 s grace passed)
            Tick(time: t0 + 20_000, price: 99, size: 1),  // its bar has closed: late, not used
        ]
        var outcomes: [BarAggregator.Outcome] = []
        for tick in ticks { outcomes.append(try aggregator.add(tick, closing: &closed)) }
        #expect(outcomes.last == .late && outcomes.dropLast().allSatisfy { $0 == .accepted })
        #expect(aggregator.lateTicks == 1)
        #expect(closed.count == 1)
        let first = try #require(closed.first)
        #expect(first.start == t0)
        #expect(first.bar == Bar(open: 9, high: 12, low: 8, close: 8, volume: 6))
        #expect(first.vwap == (10 + 36 + 9 + 8) / 6.0 && first.trades == 4)
        #expect(aggregator.forming?.bar.close == 13)
        aggregator.finish(into: &closed)
        #expect(closed.count == 2 && closed[1].bar == Bar(open: 11, high: 13, low: 11, close: 13, volume: 3))
        // Bad ticks are refused, naming the problem, and change nothing.
        for bad in [
            Tick(time: t0, price: 0, size: 1), Tick(time: t0, price: .nan, size: 1), Tick(time: t0, price: 1, size: -1),
            Tick(time: .max, price: 1, size: 1),
        ] {
            #expect(throws: BarAggregator.Refusal.self) { try aggregator.add(bad, closing: &closed) }
        }
        #expect(closed.count == 2)
    }

    @Test("gaps are filled with flat bars at the previous close only when asked, and at most maxGapFill")
    func gaps() throws {
        for fill in [false, true] {
            var aggregator = try BarAggregator(timeframe: Timeframe("1m"), fillGaps: fill)
            var closed: [TimeBar] = []
            try aggregator.add(Tick(time: Self.wednesday, price: 5, size: 1), closing: &closed)
            try aggregator.add(Tick(time: Self.wednesday + 3 * Self.minute, price: 6, size: 1), closing: &closed)
            aggregator.finish(into: &closed)
            #expect(closed.map(\.bar.close) == (fill ? [5, 5, 5, 6] : [5, 6]))
            if fill { #expect(closed[1].bar.volume == 0 && closed[1].trades == 0) }
        }
        var aggregator = try BarAggregator(timeframe: Timeframe("1s"), fillGaps: true)
        var closed: [TimeBar] = []
        try aggregator.add(Tick(time: 0, price: 1, size: 1), closing: &closed)
        try aggregator.add(Tick(time: 86_400_000, price: 1, size: 1), closing: &closed)
        aggregator.finish(into: &closed)
        #expect(closed.count == 2 + BarAggregator.maxGapFill)
        #expect(throws: IndicatorError.self) { try BarAggregator(timeframe: Timeframe("1m"), grace: -1) }
    }

    @Test("daily bars resample into weeks and months; out-of-order bars are refused")
    func resampling() throws {
        let table = try #require(Feed.sample("IBM", adjusted: false))
        var resampler = Resampler(timeframe: try Timeframe("1M"))
        var months: [TimeBar] = []
        for bar in table.bars { if let month = try resampler.add(bar) { months.append(month) } }
        if let last = resampler.finish() { months.append(last) }
        // March 2000 to March 2013 inclusive.
        #expect(months.count == 13 * 12 + 1)
        let march = table.bars.prefix { $0.start < months[1].start }
        #expect(months[0].bar.open == march.first?.bar.open && months[0].bar.close == march.last?.bar.close)
        #expect(months[0].bar.high == march.map(\.bar.high).max() && months[0].bar.low == march.map(\.bar.low).min())
        #expect(months[0].bar.volume == march.reduce(0) { $0 + $1.bar.volume })
        #expect(months[0].vwap == nil && months[0].trades == nil)  // unknown in the source: not invented
        #expect(throws: Resampler.Refusal.self) { try resampler.add(table.bars[0]) }
        var weekly = Resampler(timeframe: try Timeframe("1w"))
        _ = try weekly.add(table.bars[5])
        #expect(throws: Resampler.Refusal.self) { try weekly.add(table.bars[4]) }
    }

    @Test("NDJSON lines: ticks and bars, times as ISO 8601 or epoch milliseconds, problems named with the line")
    func ndjson() throws {
        var reader = Feed.LineReader()
        #expect(
            try reader.read(#"{"time": "2024-01-03T00:00:01.5Z", "price": 10.5, "size": 2, "symbol": "AAPL"}"#)
                == .tick(Tick(time: Self.wednesday + 1_500, price: 10.5, size: 2), symbol: "AAPL"))
        #expect(try reader.read("   ") == nil)
        #expect(
            try reader.read(#"{"time": 1704240000000, "open": 1, "high": 2, "low": 0.5, "close": 1.5, "trades": 7}"#)
                == .bar(
                    TimeBar(
                        start: Self.wednesday, bar: Bar(open: 1, high: 2, low: 0.5, close: 1.5, volume: 0), trades: 7),
                    symbol: nil))
        #expect(try reader.read(#"{"time": "2024-01-03", "price": 1, "size": 0}"#) != nil)
        let bad = [
            "not json", "[1, 2]", #"{"price": 1, "size": 1}"#, #"{"time": "yesterday", "price": 1, "size": 1}"#,
            #"{"time": 0, "price": "x", "size": 1}"#, #"{"time": 0, "price": -1, "size": 1}"#,
            #"{"time": 0, "open": 1, "high": 0.5, "low": 0.4, "close": 1}"#, #"{"time": 0, "volume": 5}"#,
            #"{"time": 0, "price": true, "size": 1}"#,
            String(repeating: " ", count: 10) + "{" + String(repeating: "x", count: Feed.maxLineBytes) + "}",
        ]
        for (offset, line) in bad.enumerated() {
            do {
                _ = try reader.read(Substring(line))
                Issue.record("accepted \(line.prefix(60))")
            } catch {
                #expect(error.line == 5 + offset, "\(error)")
            }
        }
    }

    @Test("a pipeline keeps its symbol, refuses ticks without a timeframe and mixed feeds")
    func pipeline() throws {
        var pipeline = try BarPipeline(timeframe: Timeframe("1m"), symbol: "aapl")
        var bars: [TimeBar] = []
        try pipeline.add(.tick(Tick(time: 0, price: 1, size: 1), symbol: "MSFT"), into: &bars)
        try pipeline.add(.tick(Tick(time: 0, price: 2, size: 1), symbol: "AAPL"), into: &bars)
        #expect(pipeline.otherSymbols == 1)
        #expect(throws: Feed.Refusal.self) {
            try pipeline.add(
                .bar(TimeBar(start: 0, bar: Bar(open: 1, high: 1, low: 1, close: 1)), symbol: nil), into: &bars)
        }
        pipeline.finish(into: &bars)
        #expect(bars.map(\.bar.close) == [2])
        var untimed = try BarPipeline(timeframe: nil)
        #expect(throws: Feed.Refusal.self) {
            try untimed.add(.tick(Tick(time: 0, price: 1, size: 1), symbol: nil), into: &bars)
        }
    }

    @Test("the bundled data set: four symbols read without a problem, in time order, adjusted on request")
    func bundled() throws {
        #expect(SampleData.symbols == ["AAPL", "MSFT", "IBM", "GOOG"])
        for symbol in SampleData.symbols {
            let text = try #require(SampleData.csvText(for: symbol.lowercased()))
            let table = try Feed.bars(csv: text)
            #expect(table.skipped.isEmpty && table.timed)
            #expect(table.bars.count >= 2000, "\(symbol)")
            #expect(zip(table.bars, table.bars.dropFirst()).allSatisfy { $0.start < $1.start })
            let adjusted = try #require(Feed.sample(symbol))
            #expect(adjusted.bars.count == table.bars.count)
            #expect(adjusted.bars.allSatisfy { $0.bar.low <= $0.bar.close && $0.bar.close <= $0.bar.high })
        }
        // AAPL split 2:1 on 2000-06-21: a halving in the published prices, not in the adjusted ones.
        let raw = try #require(Feed.sample("AAPL", adjusted: false)).bars
        let adjusted = try #require(Feed.sample("AAPL")).bars
        let split = try #require(raw.firstIndex { Feed.label($0.start) == "2000-06-21" })
        #expect(raw[split].bar.close / raw[split - 1].bar.close < 0.6)
        #expect(adjusted[split].bar.close / adjusted[split - 1].bar.close > 0.9)
        // The golden tests' input is the published prices' first 500 rows.
        #expect(raw[0].bar.close == 130.31 && Feed.label(raw[0].start) == "2000-03-01")
        #expect(Feed.sample("TSLA") == nil)
    }

    /// From 1582-10-15 on: before it, Foundation's formatter prints Julian dates, and labels (like ISO 8601 and the
    /// feeds' parser) stay proleptic Gregorian.
    @Test func labelsAreWhatISO8601DateFormatterPrints() throws {
        let minute = try Timeframe("1m")
        let day = try Timeframe("1d")
        let dateTime = ISO8601DateFormatter()
        dateTime.formatOptions = [.withInternetDateTime]
        let dateOnly = ISO8601DateFormatter()
        dateOnly.formatOptions = [.withFullDate]
        var random = SystemRandomNumberGenerator()
        var times: [Int64] = [
            0, -1, -999, -1000, -1001, 999, 86_399_999, -86_400_000, 951_868_800_000, 253_402_300_799_000,
        ]
        for _ in 0..<2000 { times.append(Int64.random(in: -12_212_553_600_000...253_402_300_799_999, using: &random)) }
        for time in times {
            let date = Date(timeIntervalSince1970: Double(time) / 1000)
            #expect(Feed.label(time, timeframe: minute) == dateTime.string(from: date), "\(time)")
            #expect(Feed.label(time, timeframe: day) == dateOnly.string(from: date), "\(time)")
        }
    }
}

/// Times read directly in their common forms agree with Foundation's ISO 8601 formatter on every kind of date.
@Suite("Feed times")
struct FeedTimeTests {
    @Test func theCommonFormsAgreeWithFoundation() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = IndicatorPropertyTestsGenerator(state: 11)
        for _ in 0..<2000 {
            // 1583 (the Gregorian calendar's first whole year) to 9999.
            let milliseconds = Int64(generator.next() % 265_000_000_000_000) - 12_212_553_600_000
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let text = formatter.string(from: date)
            guard text.count == 24 else { continue }  // years before 1000 or after 9999 are written otherwise
            #expect(TimeParser.commonForm(text) == milliseconds, "\(text)")
            #expect(
                TimeParser.commonForm(String(text.prefix(19)) + "Z") == milliseconds - ((milliseconds % 1000) + 1000)
                    % 1000,
                "\(text)")
            #expect(
                TimeParser.commonForm(String(text.prefix(10))) == milliseconds
                    - ((milliseconds % 86_400_000) + 86_400_000) % 86_400_000)
        }
        for bad in [
            "2024-02-30", "2023-02-29", "2024-13-01", "2024-01-01T24:00:00Z", "2024-01-01T10:60:00Z",
            "2024/01/01", "2024-01-01T10:00:00+01:00", "0000-01-01", "2024-01-01T10:00:00.5Z", "1582-12-31",
        ] {
            #expect(TimeParser.commonForm(bad) == nil, "\(bad)")
        }
        // Forms it does not read still parse, through the formatter.
        let parser = TimeParser()
        #expect(parser.time("2024-01-03T01:00:00+01:00") == 1_704_240_000_000)
        #expect(parser.time("2024-02-29") == 1_709_164_800_000)
        #expect(parser.time("1500-01-01T00:00:00+00:00") == nil && parser.time("1500-01-01") == nil)
    }
}

/// SplitMix64, as the indicator property tests use.
struct IndicatorPropertyTestsGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

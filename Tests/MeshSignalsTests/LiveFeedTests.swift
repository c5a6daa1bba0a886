import MeshIndicators
import Testing

@testable import MeshSignals

/// The node's live feed: records of several symbols into closed bars, the refusals, and closing on the clock.
@Suite("Live feed")
struct LiveFeedTests {
    static let minute: Int64 = 60_000
    /// 2024-01-03T00:00Z.
    static let t0: Int64 = 1_704_240_000_000

    static func bar(_ start: Int64, close: Double = 10) -> TimeBar {
        TimeBar(start: start, bar: Bar(open: 10, high: max(10, close), low: min(10, close), close: close, volume: 5))
    }

    @Test("ticks of each symbol make their own bars; a later tick closes the earlier bar")
    func ticksMakeBars() throws {
        var feed = try LiveFeed(symbols: ["aapl", "MSFT"], timeframe: Timeframe("1m"))
        #expect(feed.symbols == ["AAPL", "MSFT"])
        let t0 = Self.t0
        #expect(try feed.add(.tick(Tick(time: t0 + 1_000, price: 10, size: 1), symbol: "AAPL"), clock: 0).isEmpty)
        #expect(try feed.add(.tick(Tick(time: t0 + 2_000, price: 50, size: 2), symbol: "msft"), clock: 0).isEmpty)
        #expect(try feed.add(.tick(Tick(time: t0 + 50_000, price: 12, size: 3), symbol: "AAPL"), clock: 0).isEmpty)
        let closed = try feed.add(.tick(Tick(time: t0 + 61_000, price: 11, size: 1), symbol: "AAPL"), clock: 0)
        #expect(closed.count == 1)
        #expect(closed.first?.symbol == "AAPL")
        #expect(closed.first?.bar.start == t0)
        #expect(closed.first?.bar.bar == Bar(open: 10, high: 12, low: 10, close: 12, volume: 4))
        #expect(closed.first?.bar.trades == 2)
        // MSFT's bar is still open; the end of the feed closes both forming bars, in symbol order.
        let rest = feed.finish()
        #expect(rest.map(\.symbol) == ["AAPL", "MSFT"])
        #expect(rest.map(\.bar.start) == [t0 + Self.minute, t0])
        #expect(feed.records == 4 && feed.bars == 3 && feed.refused == 0)
    }

    @Test("records of symbols no strategy trades are counted and left out; a record without a symbol needs one symbol")
    func symbols() throws {
        var single = try LiveFeed(symbols: ["AAPL"], timeframe: Timeframe("1d"))
        let day = try Timeframe("1d").interval(containing: Self.t0).start
        #expect(try single.add(.bar(Self.bar(day), symbol: nil), clock: 0).map(\.symbol) == ["AAPL"])
        #expect(try single.add(.bar(Self.bar(day), symbol: "IBM"), clock: 0).isEmpty)
        #expect(single.unusedRecords == 1)
        var several = try LiveFeed(symbols: ["AAPL", "IBM"], timeframe: Timeframe("1d"))
        #expect(throws: Feed.Refusal.self) { try several.add(.bar(Self.bar(day), symbol: nil), clock: 0) }
        #expect(several.refused == 1 && several.lastRefusal?.contains("AAPL, IBM") == true)
    }

    @Test("bars must start on the feed's timeframe, come in time order, and not mix with ticks")
    func barRefusals() throws {
        var feed = try LiveFeed(symbols: ["AAPL"], timeframe: Timeframe("5m"))
        let t0 = Self.t0
        #expect(try feed.add(.bar(Self.bar(t0), symbol: "AAPL"), clock: 0).count == 1)
        // A one-minute bar is not a five-minute one.
        let misaligned = #expect(throws: Feed.Refusal.self) {
            try feed.add(.bar(Self.bar(t0 + Self.minute), symbol: "AAPL"), clock: 0)
        }
        #expect(misaligned?.reason.contains("does not start a 5m bar") == true)
        #expect(throws: Feed.Refusal.self) { try feed.add(.bar(Self.bar(t0), symbol: "AAPL"), clock: 0) }
        #expect(throws: Feed.Refusal.self) {
            try feed.add(.tick(Tick(time: t0 + 600_000, price: 1, size: 1), symbol: "AAPL"), clock: 0)
        }
        #expect(throws: Feed.Refusal.self) {
            try feed.add(.bar(Self.bar(Timeframe.latest + 1), symbol: "AAPL"), clock: 0)
        }
        // Refusals change nothing: the next bar in order is still taken.
        #expect(try feed.add(.bar(Self.bar(t0 + 5 * Self.minute), symbol: "AAPL"), clock: 0).count == 1)
        #expect(feed.refused == 4 && feed.bars == 2 && feed.records == 6)
        // A bad tick is refused by the aggregator with its reason.
        var ticks = try LiveFeed(symbols: ["AAPL"], timeframe: Timeframe("1m"))
        #expect(throws: Feed.Refusal.self) {
            try ticks.add(.tick(Tick(time: t0, price: -1, size: 1), symbol: "AAPL"), clock: 0)
        }
    }

    @Test("a live feed's bars close on the node's clock after their end and grace; a replay of old ticks waits")
    func clockCloses() throws {
        var feed = try LiveFeed(symbols: ["AAPL"], timeframe: Timeframe("1m"), grace: 2_000)
        let t0 = Self.t0
        _ = try feed.add(.tick(Tick(time: t0 + 10_000, price: 10, size: 1), symbol: "AAPL"), clock: t0 + 10_100)
        #expect(feed.nextClose == t0 + Self.minute + 2_000)
        #expect(feed.close(clock: t0 + Self.minute + 1_999).isEmpty)
        let closed = feed.close(clock: t0 + Self.minute + 2_000)
        #expect(closed.map(\.bar.start) == [t0])
        #expect(feed.nextClose == nil)
        // A tick for the closed minute is now late, not used.
        _ = try feed.add(.tick(Tick(time: t0 + 59_000, price: 11, size: 1), symbol: "AAPL"), clock: t0 + 62_500)
        #expect(feed.lateTicks == 1)

        // Ticks from last year: the node's clock is far past them, but it does not close their bars.
        var replay = try LiveFeed(symbols: ["AAPL"], timeframe: Timeframe("1m"))
        let now = t0 + 365 * 86_400_000
        _ = try replay.add(.tick(Tick(time: t0, price: 10, size: 1), symbol: "AAPL"), clock: now)
        #expect(replay.nextClose == nil)
        #expect(replay.close(clock: now).isEmpty)
        // Its own later ticks close it.
        let closedByTicks = try replay.add(
            .tick(Tick(time: t0 + Self.minute, price: 10, size: 1), symbol: "AAPL"), clock: now)
        #expect(closedByTicks.count == 1)
    }

    @Test("a feed that goes quiet for longer than the live window stops asking the clock to close its bars")
    func goesQuiet() throws {
        var feed = try LiveFeed(symbols: ["AAPL"], timeframe: Timeframe("1h"))
        let t0 = Self.t0
        _ = try feed.add(.tick(Tick(time: t0, price: 10, size: 1), symbol: "AAPL"), clock: t0)
        // An hour's bar: live for the hour and the live window after the last tick.
        #expect(feed.nextClose == t0 + 3_600_000)
        #expect(feed.close(clock: t0 + 3_600_000).count == 1)
        _ = try feed.add(.tick(Tick(time: t0 + 3_600_000, price: 10, size: 1), symbol: "AAPL"), clock: t0 + 3_600_000)
        // The clock jumps a day on: the bar is no longer live, and nothing is due (no busy wake-ups).
        #expect(feed.close(clock: t0 + 86_400_000).isEmpty)
        #expect(feed.nextClose == nil)
    }

    @Test("the default timeframe is the strategies' shortest")
    func shortest() throws {
        let timeframes = try ["1d", "5m", "1h", "1M"].map { try Timeframe($0) }
        #expect(LiveFeed.shortest(timeframes) == (try Timeframe("5m")))
        #expect(LiveFeed.shortest([]) == nil)
    }

    @Test("NDJSON numbers are read exactly: the decimal a price is written as is the double it came from")
    func numbersReadExactly() throws {
        var generator = SystemRandomNumberGenerator()
        var reader = Feed.LineReader()
        for _ in 0..<2000 {
            let price = Double.random(in: 0.0001...100_000, using: &generator)
            let line = "{\"time\": 0, \"price\": \(price), \"size\": \(price / 7)}"
            guard case .tick(let tick, _)? = try reader.read(Substring(line)) else {
                Issue.record("not a tick: \(line)")
                continue
            }
            #expect(tick.price == price && tick.size == price / 7, "\(line)")
        }
    }
}

import Foundation
import MeshIndicators
import Testing

@testable import MeshSignals

/// The strategies a node runs: bars routed by symbol, resampled when shorter than a strategy's timeframe, recent
/// signals kept within a bound.
@Suite("Signal engine")
struct SignalEngineTests {
    static func strategy(_ id: String, symbol: String, timeframe: String, cooldown: Int = 0) throws -> Strategy {
        try Strategy(
            json: """
                {"id": "\(id)", "symbol": "\(symbol)", "timeframe": "\(timeframe)",
                 "rules": [{"when": {"above": ["close", 0]}, "side": "buy", "cooldown": \(cooldown)}]}
                """)
    }

    @Test("bars go to their symbol's strategies: as they are for the same timeframe, resampled for a longer one")
    func routing() throws {
        var engine = try SignalEngine(strategies: [
            Self.strategy("daily", symbol: "AAPL", timeframe: "1d"),
            Self.strategy("weekly", symbol: "aapl", timeframe: "1w"),
            Self.strategy("other", symbol: "MSFT", timeframe: "1d"),
        ])
        #expect(engine.symbols == ["AAPL", "MSFT"])
        let bars = try #require(Feed.sample("AAPL")).bars.prefix(15)  // 2000-03-01 (a Wednesday) on
        var fired: [String] = []
        for bar in bars {
            fired += engine.feed(symbol: "aapl", bar: bar, timeframe: try Timeframe("1d")).map(\.strategy)
        }
        // Every daily bar fires "daily"; "weekly" fires when a week's bar completes (on the next week's first day).
        #expect(fired.filter { $0 == "daily" }.count == 15)
        // Wednesday to Friday, then two whole weeks, then the fourth week's first two days: three weeks complete.
        #expect(fired.filter { $0 == "weekly" }.count == 3)
        #expect(!fired.contains("other"))
        #expect(engine.given == 18 && engine.recent.count == 18)
    }

    @Test("recent signals are bounded; bad bars are counted, not fatal; ids are unique")
    func bounds() throws {
        var engine = try SignalEngine(strategies: [Self.strategy("s", symbol: "T", timeframe: "1m")])
        for minute in 0..<(SignalEngine.capacity + 10) {
            let bar = TimeBar(start: Int64(minute) * 60_000, bar: Bar(open: 1, high: 1, low: 1, close: 1))
            _ = engine.feed(symbol: "T", bar: bar, timeframe: try Timeframe("1m"))
        }
        #expect(engine.recent.count == SignalEngine.capacity && engine.given == SignalEngine.capacity + 10)
        #expect(engine.recent.last?.time == Int64(SignalEngine.capacity + 9) * 60_000)
        _ = engine.feed(
            symbol: "T", bar: TimeBar(start: 0, bar: Bar(open: 1, high: .infinity, low: 1, close: 1)),
            timeframe: try Timeframe("1m"))
        #expect(engine.refusedBars == 1)
        #expect(throws: StrategyError.self) {
            try SignalEngine(strategies: [
                Self.strategy("s", symbol: "A", timeframe: "1d"), Self.strategy("s", symbol: "B", timeframe: "1d"),
            ])
        }
    }

    @Test("the built-in example is the one in Specs/examples")
    func example() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Specs/examples/macd-cross.json").path
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Strategy.exampleJSON + "\n")
        #expect(try Strategy(json: Strategy.exampleJSON).id == "macd-cross")
    }
}

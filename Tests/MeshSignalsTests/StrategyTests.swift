import Foundation
import MeshIndicators
import Testing

@testable import MeshSignals

/// Strategy files, the rules' semantics, and the backtest's figures on bars whose answers are worked by hand.
@Suite("Strategies and backtests")
struct StrategyTests {
    static let crossing = """
        {
          "id": "cross",
          "symbol": "test",
          "timeframe": "1d",
          "indicators": { "fast": "SMA(2)", "slow": "SMA(4)" },
          "rules": [
            { "name": "up", "when": { "crosses_above": ["fast", "slow"] }, "side": "buy", "strength": 0.5 },
            { "name": "down", "when": { "crosses_below": ["fast", "slow"] }, "side": "sell", "kind": "exit" }
          ]
        }
        """

    /// Daily bars with these closes (open = close, high/low ± 1).
    static func bars(_ closes: [Double]) -> [TimeBar] {
        closes.enumerated().map { index, close in
            TimeBar(
                start: Int64(index) * 86_400_000, bar: Bar(open: close, high: close + 1, low: close - 1, close: close))
        }
    }

    @Test("a strategy file is read: indicators by name, rules in order, defaults")
    func reads() throws {
        let strategy = try Strategy(json: Self.crossing)
        #expect(strategy.id == "cross" && strategy.symbol == "TEST" && strategy.timeframe.description == "1d")
        #expect(strategy.indicators.map(\.name) == ["fast", "slow"])
        #expect(strategy.rules.map(\.name) == ["up", "down"])
        #expect(
            strategy.rules[0].kind == .entry && strategy.rules[0].strength == 0.5 && strategy.rules[0].cooldown == 0)
        #expect(
            strategy.rules[1].condition
                == .crossesBelow(.indicator(indicator: 0, output: 0), .indicator(indicator: 1, output: 0)))
        for example in ["macd-cross", "rsi-reversion"] {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../Specs/examples/\(example).json"
            ).path
            #expect(throws: Never.self) { try Strategy(contentsOf: path) }
        }
    }

    @Test(
        "an invalid file is refused naming the place and the problem",
        arguments: [
            ("{\n  \"id\": \"x\",\n  \"symbol\": oops\n}", "line 3, column 13", "not valid JSON"),
            (#"{"id": "X Y", "symbol": "A", "timeframe": "1d", "rules": []}"#, "id", "is not 1-64"),
            (#"{"id": "x", "symbol": "A", "timeframe": "1q", "rules": []}"#, "timeframe", "a count and a unit"),
            (#"{"id": "x", "symbol": "A", "timeframe": "1d", "rules": []}"#, "rules", "at least one rule"),
            (#"{"id": "x", "symbol": "A", "timeframe": "1d", "rule": []}"#, "the file", "unknown key \"rule\""),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "indicators": {"m": "MACD(1,2"}, "rules": []}"#,
                "indicators.m", "closing ')'"
            ),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "indicators": {"close": "SMA"}, "rules": []}"#,
                "indicators.close", "not open/high/low/close/volume"
            ),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "indicators": {"m": "MACD"}, "rules": [{"when": {"above": ["m", 0]}, "side": "buy"}]}"#,
                "rules[0].when.above[0]", "name one, as 'm.macd'"
            ),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "rules": [{"when": {"above": ["rsi", 0]}, "side": "buy"}]}"#,
                "rules[0].when.above[0]", "names no indicator"
            ),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "rules": [{"when": {"all": [{"above": [1, 2]}]}, "side": "buy"}]}"#,
                "rules[0].when.all[0].above", "two numbers"
            ),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "rules": [{"when": {"rises": ["close"]}, "side": "buy"}]}"#,
                "rules[0].when", "a condition is one of"
            ),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "rules": [{"when": {"above": ["close", 1]}, "side": "long"}]}"#,
                "rules[0].side", "not buy, sell or flat"
            ),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "rules": [{"when": {"above": ["close", 1]}, "side": "buy", "strength": 2}]}"#,
                "rules[0].strength", "not within 0...1"
            ),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "rules": [{"when": {"above": ["close", 1]}, "side": "buy", "cooldown": 1.5}]}"#,
                "rules[0].cooldown", "not a whole number"
            ),
            (
                #"{"id": "x", "symbol": "A", "timeframe": "1d", "rules": [{"when": {"above": ["close", 1]}, "side": "buy", "colour": 1}]}"#,
                "rules[0]", "unknown key \"colour\""
            ),
        ])
    func refuses(text: String, place: String, problem: String) {
        do {
            _ = try Strategy(json: text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.place == place, "\(error)")
            #expect(error.problem.contains(problem), "\(error)")
        }
    }

    @Test("conditions nested deeper than the limit are refused, not recursed into")
    func depth() {
        var condition = #"{"above": ["close", 1]}"#
        for _ in 0..<40 { condition = #"{"not": \#(condition)}"# }
        let text = #"{"id": "x", "symbol": "A", "timeframe": "1d", "rules": [{"when": \#(condition), "side": "buy"}]}"#
        #expect(throws: StrategyError.self) { try Strategy(json: text) }
    }

    @Test("crosses fire on the bar of the cross only; warm-up values never satisfy a condition; cooldowns hold")
    func rules() throws {
        let strategy = try Strategy(json: Self.crossing)
        // SMA(2) and SMA(4): flat, then a rise (cross above), then a fall (cross below).
        let closes: [Double] = [10, 10, 10, 10, 10, 12, 14, 16, 16, 12, 8, 6]
        var runner = StrategyRunner(strategy)
        var fired: [(Int, String)] = []
        for (index, bar) in Self.bars(closes).enumerated() {
            for signal in try runner.update(bar) { fired.append((index, signal.rule)) }
        }
        #expect(fired.map(\.0) == [5, 9] && fired.map(\.1) == ["up", "down"])
        // Cooldown: "above" holds on every bar of the rise, but fires once per 3 bars.
        let above = try Strategy(
            json:
                #"{"id": "a", "symbol": "T", "timeframe": "1d", "rules": [{"when": {"above": ["close", 11]}, "side": "buy", "cooldown": 2}]}"#
        )
        var runner2 = StrategyRunner(above)
        var bars: [Int] = []
        for (index, bar) in Self.bars([12, 12, 12, 12, 12, 12, 12]).enumerated() {
            if try !runner2.update(bar).isEmpty { bars.append(index) }
        }
        #expect(bars == [0, 3, 6])
        // A refused bar changes nothing.
        var copy = runner
        #expect(throws: IndicatorError.self) {
            try copy.update(TimeBar(start: 0, bar: Bar(open: 1, high: .nan, low: 1, close: 1)))
        }
    }

    @Test("the signal carries the snapshot of every output and the close")
    func snapshot() throws {
        let strategy = try Strategy(
            json:
                #"{"id": "s", "symbol": "T", "timeframe": "1d", "indicators": {"m": "MACD(2,3,2)", "r": "ROC(1)"}, "rules": [{"when": {"above": ["close", 0]}, "side": "flat"}]}"#
        )
        var runner = StrategyRunner(strategy)
        var last: [Signal] = []
        for bar in Self.bars([1, 2, 3, 4, 5, 6]) { last = try runner.update(bar) }
        let signal = try #require(last.first)
        #expect(Set(signal.snapshot.keys) == ["close", "m.macd", "m.macdsignal", "m.macdhist", "r"])
        #expect(signal.snapshot["r"] == (6.0 / 5 - 1) * 100 && signal.price == 6 && signal.side == .flat)
    }

    @Test("backtest figures on hand-worked bars: hit rate, return after N bars, trades, drawdown")
    func backtest() throws {
        let strategy = try Strategy(json: Self.crossing)
        let closes: [Double] = [10, 10, 10, 10, 10, 12, 14, 16, 16, 12, 8, 6]
        let (signals, report) = try Backtest.run(strategy, bars: Self.bars(closes), horizon: 2)
        #expect(signals.count == 2 && report.entries == 1 && report.exits == 1)
        // The buy at 12 (bar 5); two bars later the close is 16: +1/3.
        #expect(report.evaluated == 1 && report.hitRate == 1)
        #expect(abs(try #require(report.averageReturn) - 1.0 / 3) < 1e-15)
        // Long from 12 to the exit at 12 (bar 9): 12 → 14 → 16 → 16 → 12, peak 16/12, drawdown 25%.
        #expect(report.trades.count == 1 && report.trades[0].profit == 0 && !report.trades[0].open)
        #expect(abs(report.totalReturn) < 1e-15 && abs(report.maxDrawdown - 0.25) < 1e-15)
        #expect(abs(report.buyAndHoldReturn + 0.4) < 1e-15 && abs(report.exposure - 4.0 / 11) < 1e-15)
        let svg = BacktestChart.svg(bars: Self.bars(closes), signals: signals, title: "a <test> & more")
        #expect(svg.hasPrefix("<svg") && svg.contains("a &lt;test&gt; &amp; more") && svg.contains("<polygon"))
    }

    @Test("positions: entries reverse, exits only close their own side, flat closes any")
    func positions() throws {
        func signal(_ side: Strategy.Side, _ kind: Strategy.Kind) -> Signal {
            Signal(
                strategy: "s", rule: "r", symbol: "T", timeframe: "1d", time: 0, price: 1, side: side, kind: kind,
                strength: 1, snapshot: [:])
        }
        #expect(Backtest.position(after: signal(.buy, .entry), from: -1) == 1)
        #expect(Backtest.position(after: signal(.sell, .entry), from: 1) == -1)
        #expect(Backtest.position(after: signal(.sell, .exit), from: 1) == 0)
        #expect(Backtest.position(after: signal(.sell, .exit), from: -1) == -1)
        #expect(Backtest.position(after: signal(.buy, .exit), from: -1) == 0)
        #expect(Backtest.position(after: signal(.flat, .entry), from: 1) == 0)
    }
}

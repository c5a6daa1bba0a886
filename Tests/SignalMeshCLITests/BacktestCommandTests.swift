import Foundation
import Testing

/// `signalmesh backtest` and the feeds of `indicators compute`, run as a user would.
@Suite("backtest and feeds")
struct BacktestCommandTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Specs/examples").standardized.path

    @Test func backtestRunsOnTheBundledDataOutOfTheBox() throws {
        let directory = try TemporaryDirectory()
        let chart = directory.path + "/chart.svg"
        let text = try CLIProcess.run([
            "backtest", "--strategy", "\(Self.examples)/macd-cross.json", "--chart", chart,
        ])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(
            text.stdout.contains("macd-cross on AAPL 1d (bundled AAPL (adjusted)): 3270 bars, 2000-03-01 to 2013-03-01")
        )
        #expect(text.stdout.contains("hit rate") && text.stdout.contains("maximum drawdown"))
        let svg = try String(contentsOfFile: chart, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.contains("<polygon"))

        let json = try CLIProcess.run(["backtest", "--strategy", "\(Self.examples)/rsi-reversion.json", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let report = try #require(object["report"] as? [String: Any])
        let signals = try #require(object["signals"] as? [[String: Any]])
        #expect(report["timeframe"] as? String == "1w" && report["symbol"] as? String == "MSFT")
        #expect(report["signals"] as? Int == signals.count && !signals.isEmpty)
        #expect((report["bars"] as? Int ?? 0) > 600 && (report["bars"] as? Int ?? 0) < 700)  // weeks in 13 years
        #expect(signals.allSatisfy { ($0["snapshot"] as? [String: Any])?["close"] != nil })
    }

    @Test func aBadStrategyOrFeedIsRefusedWithThePlace() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bad.json"
        try
            #"{"id": "x", "symbol": "AAPL", "timeframe": "1d", "rules": [{"when": {"above": ["rsi", 1]}, "side": "buy"}]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try CLIProcess.run(["backtest", "--strategy", path])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("rules[0].when.above[0]: 'rsi' names no indicator"), "\(bad.stderr)")
        let missing = try CLIProcess.run(["backtest", "--strategy", directory.path + "/none.json"])
        #expect(missing.status == 78 && missing.stderr.contains("cannot be read"))
        let finer = try CLIProcess.run([
            "backtest", "--strategy", "\(Self.examples)/macd-cross.json", "--timeframe", "1h",
        ])
        #expect(finer.status == 64 && finer.stderr.contains("the strategy reads 1d bars"))
        let unknown = try CLIProcess.run(["indicators", "compute", "--indicator", "SMA", "--symbol", "TSLA"])
        #expect(unknown.status == 64 && unknown.stderr.contains("no bundled data for TSLA"))
        let shorter = try CLIProcess.run(["indicators", "compute", "--indicator", "SMA", "--timeframe", "1h"])
        #expect(shorter.status == 64 && shorter.stderr.contains("cannot make 1h bars"))
    }

    @Test func computeReadsTheBundledDataAndResamplesIt() throws {
        let daily = try CLIProcess.run(["indicators", "compute", "--indicator", "SMA(5)", "--symbol", "goog"])
        #expect(daily.status == 0, "\(daily.stderr)")
        let rows = daily.stdout.split(separator: "\n")
        #expect(rows.first == "date,SMA_5" && rows.count == 2149 && rows[1].hasPrefix("2004-08-19,"))
        let weekly = try CLIProcess.run([
            "indicators", "compute", "--indicator", "SMA(5)", "--symbol", "GOOG", "--timeframe", "1w", "--unadjusted",
        ])
        #expect(weekly.status == 0, "\(weekly.stderr)")
        let weeks = weekly.stdout.split(separator: "\n")
        #expect(weeks.count > 440 && weeks.count < 450)
        #expect(weeks[1].hasPrefix("2004-08-16,"))  // the Monday of the first week
    }

    @Test func computeAggregatesNDJSONTicksFromStdinAndReportsBadLines() throws {
        var lines: [String] = []
        for second in 0..<600 {
            let price = 100 + Double(second % 60) / 10
            lines.append(#"{"time": \#(1_704_240_000_000 + Int64(second) * 1000), "price": \#(price), "size": 1}"#)
        }
        lines.insert("this is not json", at: 10)
        let refused = try CLIProcess.run(
            ["indicators", "compute", "--data", "-", "--timeframe", "1m", "--indicator", "SMA(3)"],
            input: lines.joined(separator: "\n"))
        #expect(refused.status == 65 && refused.stderr.contains("line 11: not valid JSON"), "\(refused.stderr)")
        let skipped = try CLIProcess.run(
            [
                "indicators", "compute", "--data", "-", "--timeframe", "1m", "--indicator", "SMA(3)", "--on-error",
                "skip",
            ],
            input: lines.joined(separator: "\n"))
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("skipped - line 11"))
        let rows = skipped.stdout.split(separator: "\n")
        // Ten one-minute bars, each closing at 105.9: the SMA(3) from the third on.
        #expect(rows.count == 11 && rows[1] == "2024-01-03T00:00:00Z,")
        #expect(rows[3].hasPrefix("2024-01-03T00:02:00Z,105.9"))
        let noTimeframe = try CLIProcess.run(
            ["indicators", "compute", "--data", "-", "--indicator", "SMA(3)"], input: lines[0])
        #expect(noTimeframe.status == 65 && noTimeframe.stderr.contains("no timeframe"))
    }
}

/// A node running strategies over the bundled feed: signals on its output, `signalmesh signals`, configuration.
@Suite("node strategies")
struct NodeStrategyTests {
    @Test func aNodeRunsItsStrategiesOverTheBundledFeedAndListsTheSignals() throws {
        let directory = try TemporaryDirectory()
        let datadir = directory.path + "/node"
        let strategy = "\(BacktestCommandTests.examples)/macd-cross.json"
        let node = try CLIChild([
            "run", "--datadir", datadir, "--listen", "127.0.0.1:0", "--strategy", strategy, "--feed-interval", "0.001",
        ])
        defer { node.kill() }
        var signalLines: [String] = []
        while signalLines.count < 3, let line = node.nextLine(within: 15) {
            if line.hasPrefix("signal: ") { signalLines.append(line) }
        }
        #expect(signalLines.first?.hasPrefix("signal: 2000-07-19  AAPL 1d  sell exit") == true, "\(signalLines)")
        let listed = try CLIProcess.run(["signals", "--datadir", datadir, "--json", "--limit", "2"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let objects = listed.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.count == 2 && objects.allSatisfy { $0["strategy"] as? String == "macd-cross" })
        let shown = try CLIProcess.run(["config", "show", "--datadir", datadir, "--strategy", strategy])
        #expect(shown.stdout.contains("strategy") && shown.stdout.contains("macd-cross.json  (flag --strategy)"))
        node.send(SIGTERM)
        #expect(node.exitStatus(within: 10) == 0)
    }

    @Test func aBadStrategyOrASymbolWithoutAFeedStopsTheNodeAtStart() throws {
        let directory = try TemporaryDirectory()
        let bad = directory.path + "/bad.json"
        try
            #"{"id": "x", "symbol": "AAPL", "timeframe": "1d", "rules": [{"when": {"above": ["close"]}, "side": "buy"}]}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try CLIProcess.run([
            "run", "--datadir", directory.path + "/n1", "--listen", "127.0.0.1:0", "--strategy", bad,
        ])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("rules[0].when.above: expected two operands"))
        let tesla = directory.path + "/tsla.json"
        try
            #"{"id": "t", "symbol": "TSLA", "timeframe": "1d", "rules": [{"when": {"above": ["close", 1]}, "side": "buy"}]}"#
            .write(toFile: tesla, atomically: true, encoding: .utf8)
        let noFeed = try CLIProcess.run([
            "run", "--datadir", directory.path + "/n2", "--listen", "127.0.0.1:0", "--strategy", tesla,
        ])
        #expect(noFeed.status == 64 && noFeed.stderr.contains("no feed for TSLA"), "\(noFeed.stderr)")
    }
}

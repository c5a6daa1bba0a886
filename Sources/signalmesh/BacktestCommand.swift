import ArgumentParser
import Foundation
import MeshIndicators
import MeshSignals

/// `signalmesh backtest --strategy FILE`: a strategy's signals over past bars and how following them would have done.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Run a strategy over past bars: its signals, and how following them would have done.",
        discussion: """
            The strategy file is JSON (Specs/strategies.md; examples in Specs/examples/). Bars come from the bundled \
            daily data of the strategy's symbol unless --data names a CSV or NDJSON file ('-': stdin); they are \
            made into bars of the strategy's timeframe. Signals are acted on at the close of the bar that gave \
            them: a buy entry goes long, a sell entry short, exits and flat signals close the position. Reported: \
            the signals, how many; the hit rate and average return of buy and sell entries after --horizon bars; \
            following them: total return, maximum drawdown, exposure and the trades; buy and hold for comparison.
            """)

    @Option(name: .long, help: "The strategy file (JSON).")
    var strategy: String

    @OptionGroup var feed: FeedOptions

    @Option(name: .long, help: "N of 'return after N bars' (1...10000).")
    var horizon = 5

    @Flag(name: .long, help: "One JSON object: the report and every signal.")
    var json = false

    @Option(name: .long, help: "Also draw the price with the signals marked into this SVG file.")
    var chart: String?

    @Flag(name: .long, help: "List every signal (text output lists the first 20 and the last 5).")
    var allSignals = false

    func run() throws {
        guard (1...10_000).contains(horizon) else { throw CLIFailure.usage("--horizon \(horizon): expected 1...10000") }
        let loaded: Strategy
        do {
            loaded = try Strategy(contentsOf: strategy)
        } catch {
            throw CLIFailure.config("\(strategy): \(error)")
        }
        if let timeframe = feed.timeframe, timeframe != loaded.timeframe.description {
            throw CLIFailure.usage(
                "--timeframe \(timeframe): the strategy reads \(loaded.timeframe) bars (its \"timeframe\")")
        }
        if feed.data == nil, let symbol = feed.symbol, symbol.uppercased() != loaded.symbol {
            throw CLIFailure.usage("--symbol \(symbol): the strategy trades \(loaded.symbol) (its \"symbol\")")
        }
        var bars: [TimeBar] = []
        let source = try feed.read(fallbackSymbol: loaded.symbol, wanted: loaded.timeframe) { row in
            guard bars.count < Backtest.maxBars else {
                throw CLIFailure.corruptData("more than \(Backtest.maxBars) bars")
            }
            bars.append(row.bar)
        }
        let result: (signals: [Signal], report: Backtest.Report)
        do {
            result = try Backtest.run(loaded, bars: bars, horizon: horizon)
        } catch {
            throw CLIFailure.corruptData("\(source.name): \(error)")
        }
        if let chart {
            let title = "\(loaded.id): \(loaded.symbol) \(loaded.timeframe), \(result.signals.count) signals"
            let svg = BacktestChart.svg(bars: bars, signals: result.signals, title: title, timed: source.timed)
            try FileIO.writeAtomically(Array(svg.utf8), to: chart, what: "chart")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let document = Document(source: source.name, report: result.report, signals: result.signals)
            Output.line(String(decoding: try encoder.encode(document), as: UTF8.self))
            return
        }
        printText(result.report, result.signals, source: source)
    }

    private struct Document: Encodable {
        let source: String
        let report: Backtest.Report
        let signals: [Signal]
    }

    private func printText(_ report: Backtest.Report, _ signals: [Signal], source: FeedOptions.Source) {
        func time(_ value: Int64?) -> String {
            guard let value else { return "-" }
            return source.timed ? Feed.label(value) : "bar \(value)"
        }
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f%%", $0 * 100) } ?? "-" }
        Output.line(
            "\(report.strategy) on \(report.symbol) \(report.timeframe) (\(source.name)): \(report.bars) bars, "
                + "\(time(report.from)) to \(time(report.to))")
        let shown =
            allSignals || signals.count <= 25
            ? Array(signals.enumerated())
            : Array(signals.enumerated().prefix(20)) + Array(signals.enumerated().suffix(5))
        for (index, signal) in shown {
            if !allSignals && signals.count > 25 && index == signals.count - 5 {
                Output.line("  ... \(signals.count - 25) more (--all-signals lists them)")
            }
            Output.line(
                "  \(time(signal.time))  \(signal.side.rawValue) \(signal.kind.rawValue)  "
                    + String(format: "%.4g", signal.price) + "  strength \(signal.strength)  (\(signal.rule))")
        }
        Output.line("signals: \(report.signals) (\(report.entries) entries, \(report.exits) exits)")
        Output.line(
            "after \(report.horizon) bars: hit rate \(percent(report.hitRate)), average return "
                + "\(percent(report.averageReturn)) over \(report.evaluated) buy/sell entries")
        Output.line(
            "following them: total return \(percent(report.totalReturn)), maximum drawdown "
                + "\(percent(report.maxDrawdown)), in a position \(percent(report.exposure)) of the time, "
                + "\(report.trades.count) trades")
        Output.line("buy and hold: \(percent(report.buyAndHoldReturn))")
    }
}

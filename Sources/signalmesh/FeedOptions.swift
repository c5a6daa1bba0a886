import ArgumentParser
import Foundation
import MeshIndicators
import MeshSampleData
import MeshSignals

/// Where bars come from, shared by `indicators compute` and `backtest`: the bundled data set, an OHLCV CSV file, or
/// NDJSON ticks or bars from a file or stdin, optionally made into bars of another timeframe.
struct FeedOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "An OHLCV CSV file or an NDJSON file of ticks or bars ('-': NDJSON on stdin). Default: the bundled data.")
    var data: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The symbol: of the bundled daily data (AAPL, MSFT, IBM, GOOG) when there is no --data; with NDJSON, "
                + "records of other symbols are left out."))
    var symbol: String?

    @Option(name: .long, help: "csv or ndjson (default: ndjson for '-', .ndjson and .jsonl files; csv otherwise).")
    var input: InputFormat?

    @Option(
        name: .long,
        help: "Make bars of this timeframe (30s, 1m, 5m, 1h, 1d, 1w, 1M): ticks are aggregated, bars resampled.")
    var timeframe: String?

    @Option(name: .long, help: "Milliseconds a tick may arrive after its bar's end and still count (0...86400000).")
    var grace: Int64 = 0

    @Flag(
        name: .long,
        help: "With the bundled data: the prices as published (default: adjusted for splits and dividends).")
    var unadjusted = false

    @Option(
        name: .customLong("on-error"),
        help: "What to do with a malformed row or line: refuse (stop) or skip (report it and go on).")
    var onError: RowPolicy = .refuse

    enum InputFormat: String, ExpressibleByArgument, CaseIterable {
        case csv, ndjson
    }

    /// `BarCSV.Policy` as an option value.
    enum RowPolicy: String, ExpressibleByArgument, CaseIterable {
        case refuse, skip
        var policy: BarCSV.Policy { self == .skip ? .skip : .refuse }
    }

    /// The largest data file read.
    static let maxFileBytes = 512 << 20

    /// A bar and the text of its time for output.
    struct Row {
        var bar: TimeBar
        var label: String
    }

    /// What was read: its name for messages, whether bars carry times, and how many rows or lines were skipped.
    struct Source {
        var name: String
        var timed: Bool
    }

    /// The symbol when none is given: the strategy's, or the first of the bundled set.
    func effectiveSymbol(_ fallback: String?) -> String {
        (symbol ?? fallback ?? SampleData.symbols[0]).uppercased()
    }

    /// Reads the feed, calling `each` with every bar as it is completed (NDJSON on stdin: as the lines arrive).
    /// `wanted` overrides `--timeframe` (a strategy's timeframe).
    func read(
        fallbackSymbol: String? = nil, wanted: Timeframe? = nil, each: (Row) throws -> Void
    ) throws -> Source {
        let target =
            try wanted
            ?? timeframe.map { text throws(CLIFailure) in
                do { return try Timeframe(text) } catch { throw CLIFailure.usage("--timeframe: \(error)") }
            }
        guard let data else {
            let name = effectiveSymbol(fallbackSymbol)
            guard let table = Feed.sample(name, adjusted: !unadjusted) else {
                throw CLIFailure.usage(
                    "no bundled data for \(name) (it has \(SampleData.symbols.joined(separator: ", "))); give --data")
            }
            let source = "bundled \(name)\(unadjusted ? "" : " (adjusted)")"
            try readTable(table, name: source, target: target, keepLabels: target == nil, each: each)
            return Source(name: source, timed: true)
        }
        let format = input ?? (data == "-" || data.hasSuffix(".ndjson") || data.hasSuffix(".jsonl") ? .ndjson : .csv)
        switch format {
        case .csv:
            let text = data == "-" ? try Self.readStandardInput() : try Self.readText(data)
            let table: Feed.Table
            do {
                table = try Feed.bars(csv: text, policy: onError.policy)
            } catch {
                throw CLIFailure.corruptData("\(data): \(error) (use --on-error skip to leave such rows out)")
            }
            for problem in table.skipped { Output.note("signalmesh: skipped \(data) \(problem)") }
            try readTable(table, name: data, target: target, keepLabels: target == nil, each: each)
            return Source(name: data, timed: table.timed)
        case .ndjson:
            try readNDJSON(name: data, symbol: symbol ?? fallbackSymbol, target: target, each: each)
            return Source(name: data, timed: true)
        }
    }

    private func readTable(
        _ read: Feed.Table, name: String, target: Timeframe?, keepLabels: Bool, each: (Row) throws -> Void
    ) throws {
        guard let target else {
            // No timeframe: the rows as they are, with their time as written.
            for (bar, label) in zip(read.bars, read.labels) { try each(Row(bar: bar, label: keepLabels ? label : "")) }
            return
        }
        guard read.timed else {
            throw CLIFailure.usage("\(name) has no date or time column: its bars cannot be made into \(target) bars")
        }
        try Self.checkNotFiner(target, than: read.bars, name: name)
        var pipeline = try BarPipeline(timeframe: target)
        var completed: [TimeBar] = []
        for bar in read.bars {
            do {
                try pipeline.add(.bar(bar, symbol: nil), into: &completed)
            } catch {
                throw CLIFailure.corruptData("\(name): \(error)")
            }
            for bar in completed { try each(Row(bar: bar, label: Feed.label(bar.start, timeframe: target))) }
            completed.removeAll(keepingCapacity: true)
        }
        pipeline.finish(into: &completed)
        for bar in completed { try each(Row(bar: bar, label: Feed.label(bar.start, timeframe: target))) }
    }

    private func readNDJSON(name: String, symbol: String?, target: Timeframe?, each: (Row) throws -> Void) throws {
        var pipeline: BarPipeline
        do {
            pipeline = try BarPipeline(timeframe: target, symbol: symbol, grace: grace)
        } catch {
            throw CLIFailure.usage("--grace: \(error)")
        }
        var reader = Feed.LineReader()
        var completed: [TimeBar] = []
        var skipped = 0
        func line(_ text: Substring) throws {
            do {
                guard let record = try reader.read(text) else { return }
                do {
                    try pipeline.add(record, into: &completed)
                } catch {
                    throw Feed.Problem(line: reader.line, reason: error.reason)
                }
            } catch {
                guard onError == .skip else {
                    throw CLIFailure.corruptData("\(name): \(error) (use --on-error skip to leave such lines out)")
                }
                skipped += 1
                Output.note("signalmesh: skipped \(name) \(error)")
            }
            for bar in completed { try each(Row(bar: bar, label: Feed.label(bar.start, timeframe: target))) }
            completed.removeAll(keepingCapacity: true)
        }
        if name == "-" {
            while let text = Swift.readLine(strippingNewline: true) { try line(Substring(text)) }
        } else {
            let text = try Self.readText(name)
            for text in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) { try line(text) }
        }
        pipeline.finish(into: &completed)
        for bar in completed { try each(Row(bar: bar, label: Feed.label(bar.start, timeframe: target))) }
        if pipeline.lateTicks > 0 {
            Output.note("signalmesh: \(pipeline.lateTicks) ticks came after their bar had closed and were not used")
        }
        if pipeline.otherSymbols > 0 {
            Output.note("signalmesh: \(pipeline.otherSymbols) records of other symbols than \(symbol ?? "") left out")
        }
    }

    /// Refuses a timeframe shorter than the spacing of the bars (daily bars cannot make hourly ones).
    static func checkNotFiner(_ target: Timeframe, than bars: [TimeBar], name: String) throws {
        if let smallest = Feed.spacing(of: bars, exceeding: target) {
            throw CLIFailure.usage(
                "\(name)'s bars are at least \(smallest / 1000) s apart: they cannot make \(target) bars (a longer "
                    + "timeframe can be made, not a shorter one)")
        }
    }

    static func readText(_ path: String) throws -> String {
        let bytes = try FileIO.read(path, limit: maxFileBytes, what: "data file")
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CLIFailure.corruptData("\(path) is not UTF-8 text")
        }
        return text
    }

    static func readStandardInput() throws -> String {
        var lines: [String] = []
        var total = 0
        while let line = Swift.readLine(strippingNewline: false) {
            total += line.utf8.count
            guard total <= maxFileBytes else { throw CLIFailure.corruptData("stdin: more than \(maxFileBytes) bytes") }
            lines.append(line)
        }
        return lines.joined()
    }
}

import ArgumentParser
import Foundation
import MeshIndicators

/// `signalmesh indicators`: the indicator catalog and computing indicators over an OHLCV CSV file.
struct IndicatorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indicators",
        abstract: "List the technical indicators, or compute them over OHLCV bars (TA-Lib's names and values).",
        subcommands: [IndicatorsListCommand.self, IndicatorsComputeCommand.self],
        defaultSubcommand: IndicatorsListCommand.self)
}

/// `signalmesh indicators list`.
struct IndicatorsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Name, parameters (with defaults), outputs and lookback of each indicator.")

    @Flag(name: .long, help: "One JSON object per indicator.")
    var json = false

    func run() throws {
        for entry in IndicatorCatalog.entries {
            // The lookback with the defaults: made from the name alone.
            let lookback = (try? IndicatorCatalog.make(entry.name))?.lookback ?? 0
            if json {
                Output.jsonLine([
                    "name": entry.name, "summary": entry.summary, "input": entry.readsBars ? "bars" : "close",
                    "parameters": entry.parameters.map {
                        ["name": $0.name, "kind": $0.kind.rawValue, "default": $0.defaultValue] as [String: Any]
                    },
                    "outputs": entry.outputs, "lookback": lookback,
                ])
            } else {
                let parameters = entry.parameters.map { "\($0.name)=\(Self.text($0.defaultValue))" }
                Output.line(
                    "\(entry.name)(\(parameters.joined(separator: ", "))) -> \(entry.outputs.joined(separator: ", "))"
                        + "; lookback \(lookback); reads \(entry.readsBars ? "bars" : "the close"): \(entry.summary)")
            }
        }
    }

    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}

/// `signalmesh indicators compute [--data FILE] --indicator SPEC ...`.
struct IndicatorsComputeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compute",
        abstract: "Compute indicators over OHLCV bars, one column per output, aligned with the bars.",
        discussion: """
            Bars come from the bundled daily data (--symbol AAPL, MSFT, IBM or GOOG; AAPL by default), an OHLCV \
            CSV file, or NDJSON ticks or bars ('--data -' reads them from stdin, and rows are written as bars \
            close). A CSV file needs a header naming open, high, low and close (volume, and date or time, if it has \
            them; other columns are ignored). --timeframe makes longer bars: ticks are aggregated, bars resampled. \
            Each --indicator is a name with optional parameters in TA-Lib's order, e.g. 'MACD(12,26,9)' or \
            'BBANDS(20,2,2,0)'; 'signalmesh indicators list' shows them all. Columns are named \
            NAME_a_b_c[.output] (MACD_12_26_9.macdsignal); rows in the warm-up are empty (csv) or null (json).
            """)

    @OptionGroup var feed: FeedOptions

    @Option(name: .long, help: "An indicator, e.g. 'RSI(14)' (repeat for several).")
    var indicator: [String] = []

    @Option(name: .long, help: "csv or json.")
    var format: Format = .csv

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, json
    }

    /// `MACD(12,26,9)` as `MACD_12_26_9`, `rsi` as `RSI`.
    static func columnName(_ spec: String, _ name: String) -> String {
        guard let open = spec.firstIndex(of: "("), let close = spec.lastIndex(of: ")"), open < close else {
            return name
        }
        let values = spec[spec.index(after: open)..<close].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        return ([name] + values).joined(separator: "_")
    }

    func run() throws {
        guard !indicator.isEmpty else {
            throw CLIFailure.usage("give at least one --indicator (e.g. --indicator 'RSI(14)')")
        }
        var indicators: [(spec: String, indicator: ErasedIndicator)] = []
        for spec in indicator {
            do {
                indicators.append((spec, try IndicatorCatalog.make(spec)))
            } catch {
                throw CLIFailure.usage("--indicator \(spec): \(error)")
            }
        }
        // NAME_a_b_c (as TA-Lib's own test files name them): a column name with no comma in it.
        var names: [String] = []
        for (spec, made) in indicators {
            let label = Self.columnName(spec, made.name)
            names += made.outputs.map { output in made.outputs.count == 1 ? label : "\(label).\(output)" }
        }
        var labels: [String] = []
        var rows: [[Double?]] = []
        var headerWritten = false
        let source = try feed.read { row in
            var values: [Double?] = []
            for index in indicators.indices {
                let outputs: [Double]?
                do {
                    outputs = try indicators[index].indicator.update(row.bar.bar)
                } catch {
                    throw CLIFailure.corruptData("\(feed.data ?? "data"): \(error)")
                }
                values += (0..<indicators[index].indicator.outputs.count).map { outputs?[$0] }
            }
            switch format {
            case .csv:
                // Written as each bar closes, so that a live feed on stdin gives rows as it goes.
                if !headerWritten {
                    Output.line(((row.label.isEmpty ? [] : ["date"]) + names).joined(separator: ","))
                    headerWritten = true
                }
                let fields = (row.label.isEmpty ? [] : [row.label]) + values.map { $0.map { "\($0)" } ?? "" }
                Output.line(fields.joined(separator: ","))
            case .json:
                labels.append(row.label)
                rows.append(values)
            }
        }
        switch format {
        case .csv:
            if !headerWritten { Output.line(names.joined(separator: ",")) }
        case .json:
            var object: [String: Any] = ["rows": rows.count, "source": source.name]
            if labels.contains(where: { !$0.isEmpty }) { object["labels"] = labels }
            object["columns"] = names
            object["values"] = Dictionary(
                uniqueKeysWithValues: names.enumerated().map { column, name in
                    (name, rows.map { $0[column].map { $0 as Any } ?? NSNull() })
                })
            Output.jsonLine(object)
        }
    }
}

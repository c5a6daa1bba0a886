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

/// `signalmesh indicators compute --data FILE --indicator SPEC ...`.
struct IndicatorsComputeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compute",
        abstract: "Compute indicators over an OHLCV CSV file, one column per output, aligned with its rows.",
        discussion: """
            The file needs a header naming open, high, low and close (volume, and date or time, if it has them; \
            other columns are ignored). Each --indicator is a name with optional parameters in TA-Lib's order, \
            e.g. 'MACD(12,26,9)' or 'BBANDS(20,2,2,0)'; 'signalmesh indicators list' shows them all. Columns are \
            named NAME_a_b_c[.output] (MACD_12_26_9.macdsignal); rows in the warm-up are empty (csv) or null (json).
            """)

    @Option(name: .long, help: "The OHLCV CSV file.")
    var data: String

    @Option(name: .long, help: "An indicator, e.g. 'RSI(14)' (repeat for several).")
    var indicator: [String] = []

    @Option(name: .long, help: "csv or json.")
    var format: Format = .csv

    @Option(
        name: .customLong("on-error"),
        help: "What to do with a malformed row: refuse (stop) or skip (report it and go on).")
    var onError: RowPolicy = .refuse

    /// `BarCSV.Policy` as an option value.
    enum RowPolicy: String, ExpressibleByArgument, CaseIterable {
        case refuse, skip
        var policy: BarCSV.Policy { self == .skip ? .skip : .refuse }
    }

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

    /// The largest data file read.
    static let maxFileBytes = 512 << 20

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
        let bytes = try FileIO.read(data, limit: Self.maxFileBytes, what: "data file")
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CLIFailure.corruptData("\(data) is not UTF-8 text")
        }
        let csv: BarCSV
        do {
            csv = try BarCSV(text, policy: onError.policy)
        } catch {
            throw CLIFailure.corruptData("\(data): \(error) (use --on-error skip to leave such rows out)")
        }
        for problem in csv.skipped { Output.note("signalmesh: skipped \(data) \(problem)") }
        var columns: [(name: String, values: [Double?])] = []
        for (spec, var indicator) in indicators {
            var series = [[Double?]](repeating: [], count: indicator.outputs.count)
            for bar in csv.bars {
                let outputs: [Double]?
                do {
                    outputs = try indicator.update(bar)
                } catch {
                    throw CLIFailure.corruptData("\(data): \(error)")
                }
                for index in series.indices { series[index].append(outputs?[index]) }
            }
            // NAME_a_b_c (as TA-Lib's own test files name them): a column name with no comma in it.
            let label = Self.columnName(spec, indicator.name)
            for (index, output) in indicator.outputs.enumerated() {
                columns.append((indicator.outputs.count == 1 ? label : "\(label).\(output)", series[index]))
            }
        }
        switch format {
        case .csv:
            let hasLabels = csv.labels.contains { !$0.isEmpty }
            var header = hasLabels ? ["date"] : []
            header += columns.map(\.name)
            Output.line(header.joined(separator: ","))
            for row in csv.bars.indices {
                var fields = hasLabels ? [csv.labels[row]] : []
                fields += columns.map { $0.values[row].map { "\($0)" } ?? "" }
                Output.line(fields.joined(separator: ","))
            }
        case .json:
            var object: [String: Any] = ["rows": csv.bars.count, "skipped": csv.skipped.map(\.description)]
            if csv.labels.contains(where: { !$0.isEmpty }) { object["labels"] = csv.labels }
            object["columns"] = columns.map(\.name)
            object["values"] = Dictionary(
                uniqueKeysWithValues: columns.map { column in
                    (column.name, column.values.map { $0.map { $0 as Any } ?? NSNull() })
                })
            Output.jsonLine(object)
        }
    }
}

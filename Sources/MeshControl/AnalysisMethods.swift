import MeshIndicators
import MeshSampleData
import MeshSignals

/// The control methods that compute over price data without touching the node: `indicators.list`,
/// `indicators.compute` and `strategies.backtest` (`Specs/control-api.md`, sections 5.16–5.18). The same code as
/// `signalmesh indicators` and `signalmesh backtest`, for dashboards that hold a connection to the node.
///
/// They run on the node's loop: the inputs are bounded (`maxBars`, `maxIndicators`) so that one call costs at most a
/// few tens of milliseconds.
public enum AnalysisMethods {
    /// The methods handled here.
    public static let methods: Set<String> = ["indicators.list", "indicators.compute", "strategies.backtest"]
    /// The most bars a request may carry (the bundled data's longest series is 3,270).
    public static let maxBars = 20_000
    /// The most indicators one `indicators.compute` asks for.
    public static let maxIndicators = 32

    /// Handles `request`, one of `methods`.
    public static func call(_ request: RPCRequest) -> Result<JSONValue, RPCError> {
        do throws(RPCError) {
            switch request.method {
            case "indicators.list":
                _ = try Params(request, allowed: [])
                return .success(["indicators": .array(IndicatorCatalog.entries.map(describe))])
            case "indicators.compute":
                return .success(try compute(request))
            case "strategies.backtest":
                return .success(try backtest(request))
            default:
                throw .methodNotFound(request.method)
            }
        } catch {
            return .failure(error)
        }
    }

    private static func describe(_ entry: IndicatorCatalog.Entry) -> JSONValue {
        // The lookback with the defaults: made from the name alone.
        let lookback = (try? IndicatorCatalog.make(entry.name))?.lookback ?? 0
        return [
            "name": .string(entry.name), "summary": .string(entry.summary),
            "input": entry.readsBars ? "bars" : "close",
            "parameters": .array(
                entry.parameters.map {
                    ["name": .string($0.name), "kind": .string($0.kind.rawValue), "default": number($0.defaultValue)]
                }),
            "outputs": .array(entry.outputs.map(JSONValue.string)), "lookback": .integer(lookback),
        ]
    }

    private static func compute(_ request: RPCRequest) throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["indicators", "symbol", "adjusted", "bars", "timeframe", "last"])
        guard case .array(let specs)? = params["indicators"], (1...maxIndicators).contains(specs.count) else {
            throw .invalidParams("\"indicators\" must be an array of 1 to \(maxIndicators) texts such as \"RSI(14)\"")
        }
        var indicators: [ErasedIndicator] = []
        var columns: [String] = []
        for spec in specs {
            guard case .string(let text) = spec, text.utf8.count <= 256 else {
                throw .invalidParams("each of \"indicators\" must be a text such as \"MACD(12,26,9)\"")
            }
            do {
                let made = try IndicatorCatalog.make(text)
                indicators.append(made)
                columns += made.outputs.map { made.outputs.count == 1 ? text : "\(text).\($0)" }
            } catch {
                throw .invalidParams("\"indicators\": \(error.description)")
            }
        }
        let (source, bars, timeframe) = try input(params, wanted: nil)
        let last = try params.integer("last", in: 1...Int64(maxBars)).map(Int.init) ?? bars.count
        var values = [[JSONValue]](repeating: [], count: columns.count)
        for (index, bar) in bars.enumerated() {
            var column = 0
            for slot in indicators.indices {
                let outputs: [Double]?
                do {
                    outputs = try indicators[slot].update(bar.bar)
                } catch {
                    throw .invalidParams("\"bars\"[\(index)]: \(error.description)")
                }
                guard index >= bars.count - last else {
                    column += indicators[slot].outputs.count
                    continue
                }
                for output in 0..<indicators[slot].outputs.count {
                    values[column].append(outputs.map { number($0[output]) } ?? .null)
                    column += 1
                }
            }
        }
        let shown = bars.suffix(last)
        return [
            "source": .string(source), "rows": .integer(shown.count),
            "columns": .array(columns.map(JSONValue.string)),
            "times": .array(shown.map { .string(Feed.label($0.start, timeframe: timeframe)) }),
            "values": .object(Dictionary(uniqueKeysWithValues: zip(columns, values.map(JSONValue.array)))),
        ]
    }

    private static func backtest(_ request: RPCRequest) throws(RPCError) -> JSONValue {
        let params = try Params(request, allowed: ["strategy", "symbol", "adjusted", "bars", "horizon"])
        guard case .object? = params["strategy"], let given = params["strategy"] else {
            throw .invalidParams("\"strategy\" must be a strategy object (Specs/strategies.md)")
        }
        let strategy: Strategy
        do {
            strategy = try Strategy(json: String(decoding: given.encoded, as: UTF8.self))
        } catch {
            throw .invalidParams("\"strategy\": \(error.description)")
        }
        let horizon = try params.integer("horizon", in: 1...10_000).map(Int.init) ?? 5
        let (source, bars, _) = try input(params, wanted: strategy)
        let result: (signals: [Signal], report: Backtest.Report)
        do {
            result = try Backtest.run(strategy, bars: bars, horizon: horizon)
        } catch {
            throw .invalidParams("\"bars\": \(error.description)")
        }
        let report = result.report
        let trades: [JSONValue] = report.trades.map {
            [
                "side": .string($0.side.rawValue), "entry_time": .integer($0.entryTime),
                "entry_price": number($0.entryPrice),
                "exit_time": .integer($0.exitTime), "exit_price": number($0.exitPrice), "profit": number($0.profit),
                "open": .bool($0.open),
            ]
        }
        let summary: JSONValue = [
            "source": .string(source), "strategy": .string(report.strategy), "symbol": .string(report.symbol),
            "timeframe": .string(report.timeframe), "bars": .integer(report.bars),
            "from": report.from.map { .integer($0) } ?? .null, "to": report.to.map { .integer($0) } ?? .null,
            "signals": .integer(report.signals), "entries": .integer(report.entries), "exits": .integer(report.exits),
            "horizon": .integer(report.horizon), "evaluated": .integer(report.evaluated),
            "hit_rate": report.hitRate.map(number) ?? .null,
            "average_return": report.averageReturn.map(number) ?? .null,
            "total_return": number(report.totalReturn), "max_drawdown": number(report.maxDrawdown),
            "buy_and_hold_return": number(report.buyAndHoldReturn), "exposure": number(report.exposure),
            "trades": .array(trades),
        ]
        return ["report": summary, "signals": .array(result.signals.map(\.controlJSON))]
    }

    /// The bars a request names: `bars` given inline (NDJSON bar objects), or the bundled data of `symbol` (the
    /// strategy's, or AAPL), made into `timeframe` bars (the strategy's) when one is set.
    private static func input(
        _ params: Params, wanted strategy: Strategy?
    ) throws(RPCError) -> (source: String, bars: [TimeBar], timeframe: Timeframe?) {
        var timeframe = strategy?.timeframe
        if let text = try params.string("timeframe", maxLength: 16) {
            do {
                timeframe = try Timeframe(text)
            } catch {
                throw .invalidParams("\"timeframe\": \(error.description)")
            }
        }
        var source: String
        var bars: [TimeBar]
        if case .array(let given)? = params["bars"] {
            guard params["symbol"] == nil else { throw .invalidParams("give \"bars\" or \"symbol\", not both") }
            guard (1...maxBars).contains(given.count) else {
                throw .invalidParams("\"bars\" must hold 1 to \(maxBars) bars")
            }
            var reader = Feed.LineReader()
            bars = []
            for (index, value) in given.enumerated() {
                let record: Feed.Record?
                do {
                    record = try reader.read(Substring(decoding: value.encoded, as: UTF8.self))
                } catch {
                    throw .invalidParams("\"bars\"[\(index)]: \(error.reason)")
                }
                guard case .bar(let bar, _)? = record else {
                    throw .invalidParams("\"bars\"[\(index)] is not a bar (time, open, high, low, close[, volume])")
                }
                guard bars.last.map({ $0.start < bar.start }) ?? true else {
                    throw .invalidParams("\"bars\"[\(index)] is not after the bar before it")
                }
                bars.append(bar)
            }
            source = "bars"
        } else {
            if let other = params["bars"], other != .null { throw .invalidParams("\"bars\" must be an array") }
            let symbol = (try params.string("symbol", maxLength: 32) ?? strategy?.symbol ?? SampleData.symbols[0])
                .uppercased()
            var adjusted = true
            switch params["adjusted"] {
            case nil, .null?: break
            case .bool(let value)?: adjusted = value
            case let other?: throw .invalidParams("\"adjusted\" must be a boolean, not \(other.typeName)")
            }
            guard let table = Feed.sample(symbol, adjusted: adjusted) else {
                throw .invalidParams(
                    "no bundled data for \(symbol) (it has \(SampleData.symbols.joined(separator: ", ")))")
            }
            source = "bundled \(symbol)\(adjusted ? " (adjusted)" : "")"
            bars = table.bars
        }
        guard let timeframe else { return (source, bars, nil) }
        if let smallest = Feed.spacing(of: bars, exceeding: timeframe) {
            throw .invalidParams(
                "the bars are at least \(smallest / 1000) s apart: they cannot make \(timeframe) bars (a longer "
                    + "timeframe can be made, not a shorter one)")
        }
        var resampler = Resampler(timeframe: timeframe)
        var resampled: [TimeBar] = []
        for bar in bars {
            do {
                if let completed = try resampler.add(bar) { resampled.append(completed) }
            } catch {
                throw .invalidParams("\"bars\": \(error.reason)")
            }
        }
        if let last = resampler.finish() { resampled.append(last) }
        return (source, resampled, timeframe)
    }

    private static func number(_ value: Double) -> JSONValue { value.isFinite ? .double(value) : .null }
}

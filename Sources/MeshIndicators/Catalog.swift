/// The indicators by TA-Lib's names, with their parameters, defaults and outputs, and a way to make any of them from
/// text such as `MACD(12,26,9)` (what `signalmesh indicators list` and `compute` read).
public enum IndicatorCatalog {
    /// A parameter: its TA-Lib name, kind and default.
    public struct Parameter: Sendable, Equatable {
        /// What values it takes.
        public enum Kind: String, Sendable {
            /// A whole number (periods).
            case integer
            /// A real number (multipliers, accelerations).
            case real
            /// A `MovingAverageType` number, 0...4.
            case movingAverage = "ma type"
        }

        /// TA-Lib's name (`timeperiod`, `nbdevup`, `matype`, ...).
        public let name: String
        /// What values it takes.
        public let kind: Kind
        /// The value when the text leaves it out.
        public let defaultValue: Double
    }

    /// One indicator of the catalog.
    public struct Entry: Sendable {
        /// TA-Lib's function name.
        public let name: String
        /// What it computes, in a line.
        public let summary: String
        /// Whether it reads whole bars or only the close.
        public let readsBars: Bool
        /// Its parameters in TA-Lib's order.
        public let parameters: [Parameter]
        /// TA-Lib's output names.
        public let outputs: [String]
        fileprivate let make: @Sendable ([Double]) throws(IndicatorError) -> ErasedIndicator
    }

    /// Why a text does not name an indicator.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// No indicator of that name.
        case unknown(String)
        /// The text is not `NAME` or `NAME(a,b,...)`.
        case malformed(String, reason: String)
        /// More values than the indicator has parameters.
        case tooManyParameters(name: String, given: Int, accepted: Int)
        /// A value that is not of its parameter's kind.
        case badValue(name: String, parameter: String, value: String, kind: String)
        /// The indicator refused the values.
        case refused(name: String, IndicatorError)

        /// What was wrong, in a sentence.
        public var description: String {
            switch self {
            case .unknown(let name):
                "no indicator named '\(name)' (signalmesh indicators list shows them all)"
            case .malformed(let text, let reason):
                "'\(text)' is not NAME or NAME(a,b,...): \(reason)"
            case .tooManyParameters(let name, let given, let accepted):
                "\(name) takes at most \(accepted) parameter\(accepted == 1 ? "" : "s"), \(given) given"
            case .badValue(let name, let parameter, let value, let kind):
                "\(name): \(parameter) = '\(value)' is not \(kind == "real" ? "a number" : "a whole number")"
            case .refused(let name, let error):
                "\(name): \(error)"
            }
        }
    }

    /// Every indicator, in alphabetical order.
    public static let entries: [Entry] = all.sorted { $0.name < $1.name }

    /// The entry named `name` (case-insensitive).
    public static func entry(named name: String) -> Entry? {
        let wanted = name.uppercased()
        return entries.first { $0.name == wanted }
    }

    /// The indicator `text` names, such as `RSI`, `RSI(14)` or `BBANDS(20,2,2,0)`: positional parameters in TA-Lib's
    /// order, defaults for those left out.
    public static func make(_ text: String) throws(ParseError) -> ErasedIndicator {
        let trimmed = Self.trim(Substring(text))
        var name = Substring(trimmed)
        var values: [Substring] = []
        if let open = trimmed.firstIndex(of: "(") {
            guard trimmed.hasSuffix(")") else { throw .malformed(text, reason: "no closing ')'") }
            name = trimmed[..<open]
            let inside = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            if !inside.allSatisfy({ $0 == " " }) {
                values = inside.split(separator: ",", omittingEmptySubsequences: false)
            }
        }
        let cleanName = Self.trim(name)
        guard !cleanName.isEmpty, cleanName.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw .malformed(text, reason: "the name must be letters, digits and '_'")
        }
        guard let entry = entry(named: cleanName) else { throw .unknown(cleanName) }
        guard values.count <= entry.parameters.count else {
            throw .tooManyParameters(name: entry.name, given: values.count, accepted: entry.parameters.count)
        }
        var numbers = entry.parameters.map(\.defaultValue)
        for (index, raw) in values.enumerated() {
            let parameter = entry.parameters[index]
            let field = Self.trim(raw)
            let number: Double?
            switch parameter.kind {
            case .integer, .movingAverage: number = Int(field).map(Double.init)
            case .real: number = Double(field).flatMap { $0.isFinite ? $0 : nil }
            }
            guard let number else {
                throw .badValue(
                    name: entry.name, parameter: parameter.name, value: field, kind: parameter.kind.rawValue)
            }
            numbers[index] = number
        }
        do {
            return try entry.make(numbers)
        } catch {
            throw .refused(name: entry.name, error)
        }
    }

    /// `text` without leading and trailing spaces.
    private static func trim(_ text: Substring) -> String {
        String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }

    // MARK: The entries

    private static func period(_ name: String, _ value: Int) -> Parameter {
        Parameter(name: name, kind: .integer, defaultValue: Double(value))
    }

    private static func period(_ value: Int) -> Parameter { period("timeperiod", value) }

    private static func real(_ name: String, _ value: Double) -> Parameter {
        Parameter(name: name, kind: .real, defaultValue: value)
    }

    private static func type(_ name: String = "matype") -> Parameter {
        Parameter(name: name, kind: .movingAverage, defaultValue: 0)
    }

    private static func int(_ value: Double) -> Int { Int(value) }

    private static func average(_ value: Double) throws(IndicatorError) -> MovingAverageType {
        guard let type = MovingAverageType(rawValue: Int(value)) else {
            throw .invalidParameter(
                name: "matype", value: "\(Int(value))",
                expected: "0...6 or 8 (SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, T3; MAMA, 7, is not built)")
        }
        return type
    }

    private static func price<I: StreamingIndicator>(
        _ name: String, _ summary: String, _ parameters: [Parameter], _ outputs: [String] = ["real"],
        read: @escaping @Sendable (I.Output) -> [Double],
        _ make: @escaping @Sendable ([Double]) throws(IndicatorError) -> I
    ) -> Entry where I.Input == Double {
        Entry(
            name: name, summary: summary, readsBars: false, parameters: parameters, outputs: outputs,
            make: { (values) throws(IndicatorError) in
                ErasedIndicator(name: name, outputs: outputs, PriceAdapter(inner: try make(values), read: read))
            })
    }

    private static func scalar<I: StreamingIndicator>(
        _ name: String, _ summary: String, _ parameters: [Parameter],
        _ make: @escaping @Sendable ([Double]) throws(IndicatorError) -> I
    ) -> Entry where I.Input == Double, I.Output == Double {
        price(name, summary, parameters, read: { [$0] }, make)
    }

    private static func bar<I: StreamingIndicator>(
        _ name: String, _ summary: String, _ parameters: [Parameter], _ outputs: [String] = ["real"],
        read: @escaping @Sendable (I.Output) -> [Double],
        _ make: @escaping @Sendable ([Double]) throws(IndicatorError) -> I
    ) -> Entry where I.Input == Bar {
        Entry(
            name: name, summary: summary, readsBars: true, parameters: parameters, outputs: outputs,
            make: { (values) throws(IndicatorError) in
                ErasedIndicator(name: name, outputs: outputs, BarAdapter(inner: try make(values), read: read))
            })
    }

    private static func barScalar<I: StreamingIndicator>(
        _ name: String, _ summary: String, _ parameters: [Parameter],
        _ make: @escaping @Sendable ([Double]) throws(IndicatorError) -> I
    ) -> Entry where I.Input == Bar, I.Output == Double {
        bar(name, summary, parameters, read: { [$0] }, make)
    }

    private static let macdOutputs = ["macd", "macdsignal", "macdhist"]
    private static let readMACD: @Sendable (MACD.Output) -> [Double] = { [$0.macd, $0.signal, $0.histogram] }

    private static let all: [Entry] = [
        scalar("SMA", "simple moving average", [period(30)]) { (v) throws(IndicatorError) in try SMA(period: int(v[0]))
        },
        scalar("EMA", "exponential moving average", [period(30)]) { (v) throws(IndicatorError) in
            try EMA(period: int(v[0]))
        },
        scalar("WMA", "weighted moving average", [period(30)]) { (v) throws(IndicatorError) in
            try WMA(period: int(v[0]))
        },
        scalar("DEMA", "double exponential moving average", [period(30)]) { (v) throws(IndicatorError) in
            try DEMA(period: int(v[0]))
        },
        scalar("TEMA", "triple exponential moving average", [period(30)]) { (v) throws(IndicatorError) in
            try TEMA(period: int(v[0]))
        },
        scalar("TRIMA", "triangular moving average", [period(30)]) { (v) throws(IndicatorError) in
            try TRIMA(period: int(v[0]))
        },
        scalar("KAMA", "Kaufman adaptive moving average", [period(30)]) { (v) throws(IndicatorError) in
            try KAMA(period: int(v[0]))
        },
        scalar("T3", "Tillson's T3 moving average", [period(5), real("vfactor", 0.7)]) {
            (v) throws(IndicatorError) in try T3(period: int(v[0]), volumeFactor: v[1])
        },
        scalar("MA", "moving average of a chosen type", [period(30), type()]) { (v) throws(IndicatorError) in
            try MovingAverage(period: int(v[0]), type: average(v[1]))
        },
        scalar("LINEARREG", "linear regression: the fitted line's newest value", [period(14)]) {
            (v) throws(IndicatorError) in try LinearRegression(.value, period: int(v[0]))
        },
        scalar("LINEARREG_SLOPE", "linear regression slope", [period(14)]) { (v) throws(IndicatorError) in
            try LinearRegression(.slope, period: int(v[0]))
        },
        scalar("LINEARREG_INTERCEPT", "linear regression intercept", [period(14)]) { (v) throws(IndicatorError) in
            try LinearRegression(.intercept, period: int(v[0]))
        },
        scalar("LINEARREG_ANGLE", "linear regression slope in degrees", [period(14)]) {
            (v) throws(IndicatorError) in try LinearRegression(.angle, period: int(v[0]))
        },
        scalar("TSF", "time series forecast: the fitted line one bar ahead", [period(14)]) {
            (v) throws(IndicatorError) in try LinearRegression(.forecast, period: int(v[0]))
        },
        scalar("TRIX", "1-bar rate of change of a triple EMA", [period(30)]) { (v) throws(IndicatorError) in
            try TRIX(period: int(v[0]))
        },
        scalar("RSI", "relative strength index", [period(14)]) { (v) throws(IndicatorError) in
            try RSI(period: int(v[0]))
        },
        scalar("CMO", "Chande momentum oscillator", [period(14)]) { (v) throws(IndicatorError) in
            try CMO(period: int(v[0]))
        },
        scalar("MOM", "momentum", [period(10)]) { (v) throws(IndicatorError) in
            try Change(.momentum, period: int(v[0]))
        },
        scalar("ROC", "rate of change ((price/prev)-1)*100", [period(10)]) { (v) throws(IndicatorError) in
            try Change(.rateOfChange, period: int(v[0]))
        },
        scalar("ROCP", "rate of change (price-prev)/prev", [period(10)]) { (v) throws(IndicatorError) in
            try Change(.rateOfChangePercentage, period: int(v[0]))
        },
        scalar("ROCR", "rate of change ratio price/prev", [period(10)]) { (v) throws(IndicatorError) in
            try Change(.rateOfChangeRatio, period: int(v[0]))
        },
        scalar("ROCR100", "rate of change ratio (price/prev)*100", [period(10)]) { (v) throws(IndicatorError) in
            try Change(.rateOfChangeRatio100, period: int(v[0]))
        },
        scalar("VAR", "variance", [period(5), real("nbdev", 1)]) { (v) throws(IndicatorError) in
            try Variance(period: int(v[0]))
        },
        scalar("STDDEV", "standard deviation", [period(5), real("nbdev", 1)]) { (v) throws(IndicatorError) in
            try StandardDeviation(period: int(v[0]), deviations: v[1])
        },
        scalar("MIDPOINT", "midpoint of the period's highest and lowest price", [period(14)]) {
            (v) throws(IndicatorError) in try Midpoint(period: int(v[0]))
        },
        scalar("APO", "absolute price oscillator", [period("fastperiod", 12), period("slowperiod", 26), type()]) {
            (v) throws(IndicatorError) in
            try PriceOscillator(.absolute, fastPeriod: int(v[0]), slowPeriod: int(v[1]), type: average(v[2]))
        },
        scalar("PPO", "percentage price oscillator", [period("fastperiod", 12), period("slowperiod", 26), type()]) {
            (v) throws(IndicatorError) in
            try PriceOscillator(.percentage, fastPeriod: int(v[0]), slowPeriod: int(v[1]), type: average(v[2]))
        },
        price(
            "MACD", "moving average convergence/divergence",
            [period("fastperiod", 12), period("slowperiod", 26), period("signalperiod", 9)], macdOutputs,
            read: readMACD
        ) { (v) throws(IndicatorError) in
            try MACD(fastPeriod: int(v[0]), slowPeriod: int(v[1]), signalPeriod: int(v[2]))
        },
        price("MACDFIX", "MACD 12/26 with fixed smoothing", [period("signalperiod", 9)], macdOutputs, read: readMACD) {
            (v) throws(IndicatorError) in try MACD.fixed(signalPeriod: int(v[0]))
        },
        price(
            "MACDEXT", "MACD with controllable moving average types",
            [
                period("fastperiod", 12), type("fastmatype"), period("slowperiod", 26), type("slowmatype"),
                period("signalperiod", 9), type("signalmatype"),
            ], macdOutputs, read: readMACD
        ) { (v) throws(IndicatorError) in
            try MACD.extended(
                fastPeriod: int(v[0]), fastType: average(v[1]), slowPeriod: int(v[2]), slowType: average(v[3]),
                signalPeriod: int(v[4]), signalType: average(v[5]))
        },
        price(
            "BBANDS", "Bollinger bands", [period(5), real("nbdevup", 2), real("nbdevdn", 2), type()],
            ["upperband", "middleband", "lowerband"], read: { [$0.upper, $0.middle, $0.lower] }
        ) { (v) throws(IndicatorError) in
            try BollingerBands(period: int(v[0]), deviationsUp: v[1], deviationsDown: v[2], type: average(v[3]))
        },
        price(
            "STOCHRSI", "stochastic RSI",
            [period(14), period("fastk_period", 5), period("fastd_period", 3), type("fastd_matype")],
            ["fastk", "fastd"], read: { [$0.k, $0.d] }
        ) { (v) throws(IndicatorError) in
            try StochasticRSI(period: int(v[0]), fastKPeriod: int(v[1]), fastDPeriod: int(v[2]), type: average(v[3]))
        },
        barScalar("SAR", "parabolic stop and reverse", [real("acceleration", 0.02), real("maximum", 0.2)]) {
            (v) throws(IndicatorError) in try ParabolicSAR(acceleration: v[0], maximum: v[1])
        },
        barScalar("TRANGE", "true range", []) { (_) throws(IndicatorError) in TrueRange() },
        barScalar("ATR", "average true range", [period(14)]) { (v) throws(IndicatorError) in
            try AverageTrueRange(period: int(v[0]))
        },
        barScalar("NATR", "normalized average true range", [period(14)]) { (v) throws(IndicatorError) in
            try NormalizedAverageTrueRange(period: int(v[0]))
        },
        barScalar("WILLR", "Williams' %R", [period(14)]) { (v) throws(IndicatorError) in
            try WilliamsR(period: int(v[0]))
        },
        barScalar("MIDPRICE", "midpoint of the period's highest high and lowest low", [period(14)]) {
            (v) throws(IndicatorError) in try Midprice(period: int(v[0]))
        },
        bar("AROON", "Aroon", [period(14)], ["aroondown", "aroonup"], read: { [$0.down, $0.up] }) {
            (v) throws(IndicatorError) in try Aroon(period: int(v[0]))
        },
        barScalar("AROONOSC", "Aroon oscillator", [period(14)]) { (v) throws(IndicatorError) in
            try AroonOscillator(period: int(v[0]))
        },
        barScalar("BOP", "balance of power", []) { (_) throws(IndicatorError) in BalanceOfPower() },
        barScalar("OBV", "on-balance volume", []) { (_) throws(IndicatorError) in OnBalanceVolume() },
        barScalar("AD", "Chaikin accumulation/distribution line", []) { (_) throws(IndicatorError) in
            AccumulationDistribution()
        },
        barScalar("ADOSC", "Chaikin A/D oscillator", [period("fastperiod", 3), period("slowperiod", 10)]) {
            (v) throws(IndicatorError) in try ChaikinOscillator(fastPeriod: int(v[0]), slowPeriod: int(v[1]))
        },
        barScalar("CCI", "commodity channel index", [period(14)]) { (v) throws(IndicatorError) in
            try CommodityChannelIndex(period: int(v[0]))
        },
        barScalar("MFI", "money flow index", [period(14)]) { (v) throws(IndicatorError) in
            try MoneyFlowIndex(period: int(v[0]))
        },
        bar(
            "STOCHF", "fast stochastic", [period("fastk_period", 5), period("fastd_period", 3), type("fastd_matype")],
            ["fastk", "fastd"], read: { [$0.k, $0.d] }
        ) { (v) throws(IndicatorError) in
            try FastStochastic(fastKPeriod: int(v[0]), fastDPeriod: int(v[1]), type: average(v[2]))
        },
        bar(
            "STOCH", "slow stochastic",
            [
                period("fastk_period", 5), period("slowk_period", 3), type("slowk_matype"), period("slowd_period", 3),
                type("slowd_matype"),
            ], ["slowk", "slowd"], read: { [$0.k, $0.d] }
        ) { (v) throws(IndicatorError) in
            try Stochastic(
                fastKPeriod: int(v[0]), slowKPeriod: int(v[1]), slowKType: average(v[2]), slowDPeriod: int(v[3]),
                slowDType: average(v[4]))
        },
        barScalar("PLUS_DM", "plus directional movement", [period(14)]) { (v) throws(IndicatorError) in
            try DirectionalIndicator(.plusMovement, period: int(v[0]))
        },
        barScalar("MINUS_DM", "minus directional movement", [period(14)]) { (v) throws(IndicatorError) in
            try DirectionalIndicator(.minusMovement, period: int(v[0]))
        },
        barScalar("PLUS_DI", "plus directional indicator", [period(14)]) { (v) throws(IndicatorError) in
            try DirectionalIndicator(.plusIndicator, period: int(v[0]))
        },
        barScalar("MINUS_DI", "minus directional indicator", [period(14)]) { (v) throws(IndicatorError) in
            try DirectionalIndicator(.minusIndicator, period: int(v[0]))
        },
        barScalar("DX", "directional movement index", [period(14)]) { (v) throws(IndicatorError) in
            try DirectionalIndicator(.index, period: int(v[0]))
        },
        barScalar("ADX", "average directional movement index", [period(14)]) { (v) throws(IndicatorError) in
            try AverageDirectionalIndex(period: int(v[0]))
        },
        barScalar("ADXR", "average directional movement index rating", [period(14)]) {
            (v) throws(IndicatorError) in try AverageDirectionalIndexRating(period: int(v[0]))
        },
        barScalar("VWAP", "volume-weighted average price (period 0: anchored at the first bar)", [period(0)]) {
            (v) throws(IndicatorError) in try VWAP(period: int(v[0]) == 0 ? nil : int(v[0]))
        },
        bar(
            "SUPERTREND", "Supertrend (TradingView's rules; ATR bands)", [period(10), real("multiplier", 3)],
            ["supertrend", "up"], read: { [$0.value, $0.isUp ? 1 : 0] }
        ) { (v) throws(IndicatorError) in try Supertrend(period: int(v[0]), multiplier: v[1]) },
        barScalar(
            "ULTOSC", "ultimate oscillator",
            [period("timeperiod1", 7), period("timeperiod2", 14), period("timeperiod3", 28)]
        ) { (v) throws(IndicatorError) in
            try UltimateOscillator(period1: int(v[0]), period2: int(v[1]), period3: int(v[2]))
        },
    ]
}

/// Any indicator of the catalog, fed whole bars (a price indicator reads the close), giving its outputs in TA-Lib's
/// order.
public struct ErasedIndicator: Sendable {
    /// TA-Lib's name.
    public let name: String
    /// TA-Lib's output names.
    public let outputs: [String]
    private var box: any BarUpdating

    fileprivate init(name: String, outputs: [String], _ box: any BarUpdating) {
        self.name = name
        self.outputs = outputs
        self.box = box
    }

    /// Bars consumed before the first output.
    public var lookback: Int { box.lookback }

    /// Commits `bar`; the outputs, or nil during the warm-up.
    /// - Throws: `IndicatorError.nonFinite` for a bar with a NaN or infinite field the indicator reads.
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> [Double]? {
        try box.updateBar(bar)
    }

    /// The outputs `bar` would give, committing nothing.
    public func peek(_ bar: Bar) throws(IndicatorError) -> [Double]? {
        try box.peekBar(bar)
    }
}

private protocol BarUpdating: Sendable {
    var lookback: Int { get }
    mutating func updateBar(_ bar: Bar) throws(IndicatorError) -> [Double]?
    func peekBar(_ bar: Bar) throws(IndicatorError) -> [Double]?
}

private struct PriceAdapter<I: StreamingIndicator>: BarUpdating where I.Input == Double {
    var inner: I
    let read: @Sendable (I.Output) -> [Double]
    var lookback: Int { inner.lookback }
    mutating func updateBar(_ bar: Bar) throws(IndicatorError) -> [Double]? { try inner.update(bar.close).map(read) }
    func peekBar(_ bar: Bar) throws(IndicatorError) -> [Double]? { try inner.peek(bar.close).map(read) }
}

private struct BarAdapter<I: StreamingIndicator>: BarUpdating where I.Input == Bar {
    var inner: I
    let read: @Sendable (I.Output) -> [Double]
    var lookback: Int { inner.lookback }
    mutating func updateBar(_ bar: Bar) throws(IndicatorError) -> [Double]? { try inner.update(bar).map(read) }
    func peekBar(_ bar: Bar) throws(IndicatorError) -> [Double]? { try inner.peek(bar).map(read) }
}

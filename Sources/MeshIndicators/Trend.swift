/// Volume-weighted average price: Σ(typical price × volume) / Σ volume, over every bar since the start (anchored) or
/// over the last `period` bars. Not a TA-Lib function; the typical price is TA-Lib's `(high + low + close) / 3`.
/// With no volume in the window it is the last typical price. Lookback 0 anchored, `period − 1` rolling.
public struct VWAP: StreamingIndicator {
    /// Bars in the rolling window; nil for the anchored form.
    public let period: Int?
    private var window: Window?
    private var volumes: Window?
    private var weighted = 0.0
    private var volume = 0.0
    private var bars = 0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An anchored VWAP (every bar since the first), or a rolling one over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(period: Int? = nil) throws(IndicatorError) {
        if let period {
            try IndicatorError.checkPeriod(period, in: 1...100_000)
            window = Window(capacity: period)
            volumes = Window(capacity: period)
        }
        self.period = period
    }

    /// Bars consumed before the first output.
    public var lookback: Int { (period ?? 1) - 1 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        let typical = bar.typicalPrice
        if var window, var volumes, let period {
            // Rolling: the totals are recomputed from the window (oldest first), so they never drift.
            window.append(typical * bar.volume)
            volumes.append(bar.volume)
            self.window = window
            self.volumes = volumes
            bars += 1
            guard bars >= period else { return nil }
            (weighted, volume) = (0, 0)
            for age in stride(from: period - 1, through: 0, by: -1) {
                weighted += window[age: age]
                volume += volumes[age: age]
            }
        } else {
            weighted += typical * bar.volume
            volume += bar.volume
            bars += 1
        }
        let vwap = volume > 0 ? weighted / volume : typical
        value = vwap
        return vwap
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`). Runs the update on a copy;
    /// the rolling form copies its windows.
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        var copy = self
        return try copy.update(bar)
    }
}

/// Supertrend: a trailing band `multiplier` average true ranges (TA-Lib's ATR) from the bar's midpoint
/// `(high + low) / 2`, below the price in an uptrend and above it in a downtrend; the band only tightens while the
/// trend lasts, and the trend turns when the close crosses it. Not a TA-Lib function. Lookback: the ATR's, `period`.
///
/// The rules are TradingView's `ta.supertrend`: with `basicUpper = mid + multiplier × ATR` and `basicLower = mid −
/// multiplier × ATR`, the final upper band is `basicUpper` if that is lower than the previous final upper band or the
/// previous close was above it, else the previous final upper band (the lower band likewise, mirrored). The first
/// trend is down; after a downtrend the trend turns up when the close is above the final upper band, after an uptrend
/// it turns down when the close is below the final lower band. The output is the lower band in an uptrend, the upper
/// band in a downtrend.
public struct Supertrend: StreamingIndicator {
    /// One output.
    public struct Output: Sendable, Equatable, Codable {
        /// The trailing band: support in an uptrend, resistance in a downtrend.
        public var value: Double
        /// Whether the trend is up.
        public var isUp: Bool
    }

    /// The ATR's period: 1...100000, default 10.
    public let period: Int
    /// How many ATRs from the midpoint: finite and positive, default 3.
    public let multiplier: Double
    private var atr: AverageTrueRange
    private var state: State?
    /// The last output; nil during the warm-up.
    public private(set) var value: Output?

    private struct State: Codable, Sendable {
        var upper: Double
        var lower: Double
        var isUp: Bool
        var close: Double
    }

    /// A supertrend with an ATR over `period` bars and bands `multiplier` ATRs wide.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000 or a multiplier that is not a
    ///   positive finite number.
    public init(period: Int = 10, multiplier: Double = 3) throws(IndicatorError) {
        guard multiplier.isFinite, multiplier > 0 else {
            throw .invalidParameter(name: "multiplier", value: "\(multiplier)", expected: "a positive finite number")
        }
        atr = try AverageTrueRange(period: period)
        self.period = period
        self.multiplier = multiplier
    }

    /// Bars consumed before the first output.
    public var lookback: Int { atr.lookback }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Output? {
        guard let range = try atr.update(bar) else { return nil }
        let next = step(bar, range)
        state = next
        let output = Output(value: next.isUp ? next.lower : next.upper, isUp: next.isUp)
        value = output
        return output
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Output? {
        guard let range = try atr.peek(bar) else { return nil }
        let next = step(bar, range)
        return Output(value: next.isUp ? next.lower : next.upper, isUp: next.isUp)
    }

    private func step(_ bar: Bar, _ range: Double) -> State {
        let middle = (bar.high + bar.low) / 2.0
        let basicUpper = middle + multiplier * range
        let basicLower = middle - multiplier * range
        guard let previous = state else {
            return State(upper: basicUpper, lower: basicLower, isUp: false, close: bar.close)
        }
        let upper = basicUpper < previous.upper || previous.close > previous.upper ? basicUpper : previous.upper
        let lower = basicLower > previous.lower || previous.close < previous.lower ? basicLower : previous.lower
        let isUp = previous.isUp ? !(bar.close < lower) : bar.close > upper
        return State(upper: upper, lower: lower, isUp: isUp, close: bar.close)
    }
}

/// The raw stochastic %K of the last `period` bars: where the close sits in their range, in percent (TA-Lib 0.8: 0
/// for a range within 1e-14 of the extremes' magnitudes).
struct RawStochastic: Sendable, Codable {
    let period: Int
    private var window: HighLowWindow

    init(period: Int) {
        self.period = period
        window = HighLowWindow(capacity: period)
    }

    var lookback: Int { period - 1 }

    mutating func update(_ bar: Bar) -> Double? {
        window.append(bar)
        guard window.isFull else { return nil }
        let extremes = window.extremes(newest: period)
        return Self.k(extremes.highest, extremes.lowest, bar.close)
    }

    func peek(_ bar: Bar) -> Double? {
        guard window.count >= period - 1 else { return nil }
        let extremes = window.extremes(newest: period - 1, plus: bar)
        return Self.k(extremes.highest, extremes.lowest, bar.close)
    }

    static func k(_ highest: Double, _ lowest: Double, _ close: Double) -> Double {
        let range = highest - lowest
        guard abs(range) > (abs(highest) + abs(lowest)) * 1e-14 else { return 0 }
        return ((close - lowest) / range) * 100.0
    }
}

/// Fast stochastic, TA-Lib's `STOCHF(fastk_period, fastd_period, fastd_matype)`: %K of the last `fastKPeriod` bars
/// and %D, its moving average. Lookback `fastKPeriod − 1` + the average's.
public struct FastStochastic: StreamingIndicator {
    /// One output.
    public struct Output: Sendable, Equatable, Codable {
        /// TA-Lib's `fastk`.
        public var k: Double
        /// TA-Lib's `fastd`.
        public var d: Double
    }

    /// TA-Lib's `optInFastK_Period`: 1...100000, default 5.
    public let fastKPeriod: Int
    /// TA-Lib's `optInFastD_Period`: 1...100000, default 3.
    public let fastDPeriod: Int
    /// TA-Lib's `optInFastD_MAType`, default SMA.
    public let type: MovingAverageType
    private var raw: RawStochastic
    private var d: AnyMovingAverage
    /// The last output; nil during the warm-up.
    public private(set) var value: Output?

    /// A fast stochastic.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(fastKPeriod: Int = 5, fastDPeriod: Int = 3, type: MovingAverageType = .sma) throws(IndicatorError) {
        try IndicatorError.checkPeriod(fastKPeriod, name: "fastKPeriod", in: 1...100_000)
        try IndicatorError.checkPeriod(fastDPeriod, name: "fastDPeriod", in: 1...100_000)
        self.fastKPeriod = fastKPeriod
        self.fastDPeriod = fastDPeriod
        self.type = type
        raw = RawStochastic(period: fastKPeriod)
        d = try AnyMovingAverage(type, period: fastDPeriod)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { raw.lookback + d.lookback }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Output? {
        try bar.check()
        guard let k = raw.update(bar), let d = try d.update(k) else { return nil }
        let output = Output(k: k, d: d)
        value = output
        return output
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Output? {
        try bar.check()
        guard let k = raw.peek(bar), let d = try d.peek(k) else { return nil }
        return Output(k: k, d: d)
    }
}

/// Slow stochastic, TA-Lib's `STOCH(fastk_period, slowk_period, slowk_matype, slowd_period, slowd_matype)`: the
/// moving average of %K (slow %K) and the moving average of that (slow %D). Lookback `fastKPeriod − 1` + both
/// averages'.
public struct Stochastic: StreamingIndicator {
    /// One output.
    public struct Output: Sendable, Equatable, Codable {
        /// TA-Lib's `slowk`.
        public var k: Double
        /// TA-Lib's `slowd`.
        public var d: Double
    }

    /// TA-Lib's `optInFastK_Period`: 1...100000, default 5.
    public let fastKPeriod: Int
    private var raw: RawStochastic
    private var slowK: AnyMovingAverage
    private var slowD: AnyMovingAverage
    /// The last output; nil during the warm-up.
    public private(set) var value: Output?

    /// A slow stochastic.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(
        fastKPeriod: Int = 5, slowKPeriod: Int = 3, slowKType: MovingAverageType = .sma, slowDPeriod: Int = 3,
        slowDType: MovingAverageType = .sma
    ) throws(IndicatorError) {
        try IndicatorError.checkPeriod(fastKPeriod, name: "fastKPeriod", in: 1...100_000)
        self.fastKPeriod = fastKPeriod
        raw = RawStochastic(period: fastKPeriod)
        slowK = try AnyMovingAverage(slowKType, period: slowKPeriod)
        slowD = try AnyMovingAverage(slowDType, period: slowDPeriod)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { raw.lookback + slowK.lookback + slowD.lookback }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Output? {
        try bar.check()
        guard let fastK = raw.update(bar), let k = try slowK.update(fastK), let d = try slowD.update(k) else {
            return nil
        }
        let output = Output(k: k, d: d)
        value = output
        return output
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Output? {
        try bar.check()
        guard let fastK = raw.peek(bar), let k = try slowK.peek(fastK), let d = try slowD.peek(k) else { return nil }
        return Output(k: k, d: d)
    }
}

/// Stochastic RSI, TA-Lib's `STOCHRSI(timeperiod, fastk_period, fastd_period, fastd_matype)`: the fast stochastic
/// of the RSI (its high, low and close all the RSI). Lookback: the RSI's plus the fast stochastic's.
public struct StochasticRSI: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod` of the RSI: 2...100000, default 14.
    public var period: Int { rsi.period }
    private var rsi: RSI
    private var stochastic: FastStochastic
    /// The last output; nil during the warm-up.
    public private(set) var value: FastStochastic.Output?

    /// A stochastic RSI.
    /// - Throws: `IndicatorError.invalidParameter` for a period out of range.
    public init(
        period: Int = 14, fastKPeriod: Int = 5, fastDPeriod: Int = 3, type: MovingAverageType = .sma
    ) throws(IndicatorError) {
        rsi = try RSI(period: period)
        stochastic = try FastStochastic(fastKPeriod: fastKPeriod, fastDPeriod: fastDPeriod, type: type)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { rsi.lookback + stochastic.lookback }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> FastStochastic.Output? {
        guard let value = try rsi.update(price) else { return nil }
        let output = try stochastic.update(Bar(open: value, high: value, low: value, close: value))
        if output != nil { self.value = output }
        return output
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> FastStochastic.Output? {
        guard let value = try rsi.peek(price) else { return nil }
        return try stochastic.peek(Bar(open: value, high: value, low: value, close: value))
    }
}

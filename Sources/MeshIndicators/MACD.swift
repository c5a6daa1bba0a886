/// Moving average convergence/divergence, TA-Lib's `MACD(fastperiod, slowperiod, signalperiod)`: the fast EMA less
/// the slow one, its EMA (the signal line) and the difference of the two (the histogram). Lookback
/// `slow − 1 + signal − 1`.
///
/// As TA-Lib: the periods are swapped if the fast is the slower; the fast EMA is seeded over the `fast` prices that
/// end where the slow EMA's seed ends (not over the first `fast`), so both start on the same bar.
public struct MACD: StreamingIndicator {
    /// One output.
    public struct Output: Sendable, Equatable, Codable {
        /// Fast EMA less slow EMA (TA-Lib's `macd`).
        public var macd: Double
        /// The EMA of `macd` (TA-Lib's `macdsignal`).
        public var signal: Double
        /// `macd − signal` (TA-Lib's `macdhist`).
        public var histogram: Double
    }

    /// TA-Lib's `optInFastPeriod`: 2...100000, default 12.
    public let fastPeriod: Int
    /// TA-Lib's `optInSlowPeriod`: 2...100000, default 26.
    public let slowPeriod: Int
    /// TA-Lib's `optInSignalPeriod`: 1...100000, default 9.
    public let signalPeriod: Int
    private var fast: AnyMovingAverage
    private var slow: AnyMovingAverage
    private var signal: AnyMovingAverage
    /// The last output; nil during the warm-up.
    public private(set) var value: Output?

    /// A MACD with the given periods.
    /// - Throws: `IndicatorError.invalidParameter` for a period out of range.
    public init(fastPeriod: Int = 12, slowPeriod: Int = 26, signalPeriod: Int = 9) throws(IndicatorError) {
        try IndicatorError.checkPeriod(fastPeriod, name: "fastPeriod", in: 2...100_000)
        try IndicatorError.checkPeriod(slowPeriod, name: "slowPeriod", in: 2...100_000)
        try IndicatorError.checkPeriod(signalPeriod, name: "signalPeriod", in: 1...100_000)
        let (fastest, slowest) = (min(fastPeriod, slowPeriod), max(fastPeriod, slowPeriod))
        self.init(
            fastPeriod: fastPeriod, slowPeriod: slowPeriod, signalPeriod: signalPeriod,
            fast: try AnyMovingAverage(.ema, period: fastest, skip: slowest - fastest),
            slow: try AnyMovingAverage(.ema, period: slowest), signal: try AnyMovingAverage(.ema, period: signalPeriod))
    }

    /// TA-Lib's `MACDFIX(signalperiod)`: periods 12 and 26 with the smoothing factors 0.15 and 0.075 instead of
    /// 2 / 13 and 2 / 27.
    /// - Throws: `IndicatorError.invalidParameter` for a signal period outside 1...100000.
    public static func fixed(signalPeriod: Int = 9) throws(IndicatorError) -> MACD {
        try IndicatorError.checkPeriod(signalPeriod, name: "signalPeriod", in: 1...100_000)
        return MACD(
            fastPeriod: 12, slowPeriod: 26, signalPeriod: signalPeriod,
            fast: AnyMovingAverage(ema: try EMA(period: 12, k: 0.15, skip: 14)),
            slow: AnyMovingAverage(ema: try EMA(period: 26, k: 0.075, skip: 0)),
            signal: try AnyMovingAverage(.ema, period: signalPeriod))
    }

    /// TA-Lib's `MACDEXT(fastperiod, fastmatype, slowperiod, slowmatype, signalperiod, signalmatype)`: the same
    /// lines with a moving average of any type for each; the faster average starts on the bar where its lookback
    /// ends with the slower one's.
    /// - Throws: `IndicatorError.invalidParameter` for a period out of range.
    public static func extended(
        fastPeriod: Int = 12, fastType: MovingAverageType = .sma, slowPeriod: Int = 26,
        slowType: MovingAverageType = .sma, signalPeriod: Int = 9, signalType: MovingAverageType = .sma
    ) throws(IndicatorError) -> MACD {
        try IndicatorError.checkPeriod(fastPeriod, name: "fastPeriod", in: 2...100_000)
        try IndicatorError.checkPeriod(slowPeriod, name: "slowPeriod", in: 2...100_000)
        try IndicatorError.checkPeriod(signalPeriod, name: "signalPeriod", in: 1...100_000)
        var (fast, slow) = ((fastPeriod, fastType), (slowPeriod, slowType))
        if slow.0 < fast.0 { swap(&fast, &slow) }
        let largest = max(fast.1.lookback(period: fast.0), slow.1.lookback(period: slow.0))
        return MACD(
            fastPeriod: fastPeriod, slowPeriod: slowPeriod, signalPeriod: signalPeriod,
            fast: try AnyMovingAverage(fast.1, period: fast.0, skip: largest - fast.1.lookback(period: fast.0)),
            slow: try AnyMovingAverage(slow.1, period: slow.0, skip: largest - slow.1.lookback(period: slow.0)),
            signal: try AnyMovingAverage(signalType, period: signalPeriod))
    }

    init(
        fastPeriod: Int, slowPeriod: Int, signalPeriod: Int, fast: AnyMovingAverage, slow: AnyMovingAverage,
        signal: AnyMovingAverage
    ) {
        self.fastPeriod = fastPeriod
        self.slowPeriod = slowPeriod
        self.signalPeriod = signalPeriod
        self.fast = fast
        self.slow = slow
        self.signal = signal
    }

    /// Prices consumed before the first output.
    public var lookback: Int { max(fast.lookback, slow.lookback) + signal.lookback }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Output? {
        try IndicatorError.check(price, "price")
        guard let output = Self.lines(fast: fast.commit(price), slow: slow.commit(price), signal: { signal.commit($0) })
        else { return nil }
        value = output
        return output
    }

    /// The batch loop (see `StreamingIndicator.update(contentsOf:into:placeholder:)`): once the warm-up is over,
    /// MACD's and MACDFIX's three EMAs are taken out of their run-time averages and run in registers; other averages
    /// (MACDEXT's) are updated one input at a time.
    public mutating func update(
        contentsOf prices: Span<Double>, into outputs: inout MutableSpan<Output>, placeholder: Output
    ) throws(IndicatorError) {
        precondition(outputs.count == prices.count, "\(prices.count) inputs but room for \(outputs.count) outputs")
        var index = 0
        while index < prices.count && value == nil {
            outputs[index] = try update(prices[index]) ?? placeholder
            index += 1
        }
        guard var fastEMA = fast.exponential, var slowEMA = slow.exponential, var signalEMA = signal.exponential,
            var last = value
        else {
            while index < prices.count {
                outputs[index] = try update(prices[index]) ?? placeholder
                index += 1
            }
            return
        }
        defer {
            (fast.exponential, slow.exponential, signal.exponential) = (fastEMA, slowEMA, signalEMA)
            value = last
        }
        while index < prices.count {
            let price = prices[index]
            try IndicatorError.check(price, "price")
            // Seeded, the EMAs give a value for every price.
            last = Self.lines(
                fast: fastEMA.commitSeeded(price), slow: slowEMA.commitSeeded(price),
                signal: { signalEMA.commitSeeded($0) })!
            outputs[index] = last
            index += 1
        }
    }

    /// The lines from the fast and slow averages' values (nil during their warm-up): the MACD line, the signal
    /// average's value once it has committed the MACD line (`signal`), and the histogram.
    @inline(__always)
    private static func lines(fast: Double?, slow: Double?, signal: (Double) -> Double?) -> Output? {
        guard let fast, let slow else { return nil }
        let macd = fast - slow
        guard let signalValue = signal(macd) else { return nil }
        return Output(macd: macd, signal: signalValue, histogram: macd - signalValue)
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Output? {
        let fastValue = try fast.peek(price)
        guard let slowValue = try slow.peek(price), let fastValue else { return nil }
        let macd = fastValue - slowValue
        guard let signalValue = try signal.peek(macd) else { return nil }
        return Output(macd: macd, signal: signalValue, histogram: macd - signalValue)
    }
}

extension MACD.Output: BatchOutput {
    /// NaN in every line.
    public static var warmUp: MACD.Output { MACD.Output(macd: .nan, signal: .nan, histogram: .nan) }
}

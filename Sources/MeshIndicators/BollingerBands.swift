/// Bollinger bands, TA-Lib's `BBANDS(timeperiod, nbdevup, nbdevdn, matype)`: a moving average and bands a number of
/// standard deviations (of the last `period` prices) above and below it. Lookback: the average's.
public struct BollingerBands: StreamingIndicator {
    /// One output.
    public struct Output: Sendable, Equatable, Codable {
        /// TA-Lib's `upperband`.
        public var upper: Double
        /// TA-Lib's `middleband`.
        public var middle: Double
        /// TA-Lib's `lowerband`.
        public var lower: Double
    }

    /// TA-Lib's `optInTimePeriod`: 2...100000, default 5.
    public let period: Int
    /// TA-Lib's `optInNbDevUp`, default 2.
    public let deviationsUp: Double
    /// TA-Lib's `optInNbDevDn`, default 2.
    public let deviationsDown: Double
    /// TA-Lib's `optInMAType`, default SMA.
    public let type: MovingAverageType
    private var average: AnyMovingAverage
    private var deviation: StandardDeviation
    /// The last output; nil during the warm-up.
    public private(set) var value: Output?

    /// Bands over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000 or a non-finite multiplier.
    public init(
        period: Int = 5, deviationsUp: Double = 2, deviationsDown: Double = 2, type: MovingAverageType = .sma
    ) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        for (name, multiplier) in [("deviationsUp", deviationsUp), ("deviationsDown", deviationsDown)]
        where !multiplier.isFinite {
            throw .invalidParameter(name: name, value: "\(multiplier)", expected: "a finite number")
        }
        self.period = period
        self.deviationsUp = deviationsUp
        self.deviationsDown = deviationsDown
        self.type = type
        average = try AnyMovingAverage(type, period: period)
        deviation = try StandardDeviation(period: period, deviations: 1)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { max(average.lookback, period - 1) }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Output? {
        let middle = try average.update(price)
        guard let sd = try deviation.update(price), let middle else { return nil }
        let output = bands(middle, sd)
        value = output
        return output
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Output? {
        let middle = try average.peek(price)
        guard let sd = try deviation.peek(price), let middle else { return nil }
        return bands(middle, sd)
    }

    private func bands(_ middle: Double, _ sd: Double) -> Output {
        Output(upper: middle.addingProduct(deviationsUp, sd), middle: middle, lower: middle - deviationsDown * sd)
    }
}

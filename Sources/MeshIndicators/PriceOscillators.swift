/// Absolute or percentage price oscillator, TA-Lib's `APO(fastperiod, slowperiod, matype)` and `PPO(...)`: the fast
/// moving average less the slow one, or that difference in percent of the slow one (0 when the slow one is within
/// 1e-14 of 0). Lookback: the slower average's.
///
/// As TA-Lib 0.8: the periods are swapped if the fast is the slower, and both averages run from the first price
/// (unlike `MACD`'s, whose fast EMA starts late).
public struct PriceOscillator: StreamingIndicator {
    /// Which form.
    public enum Form: String, Sendable, Codable {
        /// `APO`: fast − slow.
        case absolute = "APO"
        /// `PPO`: (fast − slow) / slow × 100.
        case percentage = "PPO"
    }

    /// The form computed.
    public let form: Form
    /// TA-Lib's `optInFastPeriod`: 2...100000, default 12.
    public let fastPeriod: Int
    /// TA-Lib's `optInSlowPeriod`: 2...100000, default 26.
    public let slowPeriod: Int
    /// TA-Lib's `optInMAType`, default SMA.
    public let type: MovingAverageType
    private var fast: AnyMovingAverage
    private var slow: AnyMovingAverage
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// The oscillator with the given periods and average type.
    /// - Throws: `IndicatorError.invalidParameter` for a period out of range.
    public init(
        _ form: Form, fastPeriod: Int = 12, slowPeriod: Int = 26, type: MovingAverageType = .sma
    ) throws(IndicatorError) {
        try IndicatorError.checkPeriod(fastPeriod, name: "fastPeriod", in: 2...100_000)
        try IndicatorError.checkPeriod(slowPeriod, name: "slowPeriod", in: 2...100_000)
        self.form = form
        self.fastPeriod = fastPeriod
        self.slowPeriod = slowPeriod
        self.type = type
        let (fastest, slowest) = (min(fastPeriod, slowPeriod), max(fastPeriod, slowPeriod))
        fast = try AnyMovingAverage(type, period: fastest)
        slow = try AnyMovingAverage(type, period: slowest)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { slow.lookback }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        let fastValue = try fast.update(price)
        guard let slowValue = try slow.update(price), let fastValue else { return nil }
        let output = Self.output(form, fastValue, slowValue)
        value = output
        return output
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        let fastValue = try fast.peek(price)
        guard let slowValue = try slow.peek(price), let fastValue else { return nil }
        return Self.output(form, fastValue, slowValue)
    }

    static func output(_ form: Form, _ fast: Double, _ slow: Double) -> Double {
        switch form {
        case .absolute: return fast - slow
        case .percentage: return isTAZero(slow) ? 0 : ((fast - slow) / slow) * 100.0
        }
    }
}

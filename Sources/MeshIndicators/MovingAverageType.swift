/// TA-Lib's `MAType` for the indicators that take one (`APO`, `PPO`, `MACDEXT`, `BBANDS`, `STOCH`, ...), with its
/// numbers. MAMA (7) is not built.
public enum MovingAverageType: Int, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Simple.
    case sma = 0
    /// Exponential.
    case ema = 1
    /// Weighted.
    case wma = 2
    /// Double exponential.
    case dema = 3
    /// Triple exponential.
    case tema = 4
    /// Triangular.
    case trima = 5
    /// Kaufman adaptive.
    case kama = 6
    /// Tillson's T3 with volume factor 0.7 (TA-Lib's `MA` uses the default).
    case t3 = 8

    /// TA-Lib's name for it.
    public var description: String {
        switch self {
        case .sma: "SMA"
        case .ema: "EMA"
        case .wma: "WMA"
        case .dema: "DEMA"
        case .tema: "TEMA"
        case .trima: "TRIMA"
        case .kama: "KAMA"
        case .t3: "T3"
        }
    }

    /// TA-Lib's lookback of this type over `period` inputs (period 1 is the input itself).
    func lookback(period: Int) -> Int {
        guard period > 1 else { return 0 }
        switch self {
        case .sma, .ema, .wma, .trima: return period - 1
        case .dema: return 2 * (period - 1)
        case .tema: return 3 * (period - 1)
        case .kama: return period
        case .t3: return 6 * (period - 1)
        }
    }
}

/// A moving average of a type chosen at run time, started after `skip` inputs: where TA-Lib computes two averages
/// over a common range, the one with the shorter lookback starts later (its seed, its resynchronisations and all).
struct AnyMovingAverage: Sendable, Codable {
    private enum Average: Sendable, Codable {
        case identity
        case sma(SMA)
        case ema(EMA)
        case wma(WMA)
        case dema(DEMA)
        case tema(TEMA)
        case trima(TRIMA)
        case kama(KAMA)
        case t3(T3)
    }

    let type: MovingAverageType
    let period: Int
    private let skip: Int
    private var skipped = 0
    private var average: Average

    /// A `type` average over `period` inputs (1: the input itself, as TA-Lib's `MA` gives), passing over the first
    /// `skip` inputs.
    init(_ type: MovingAverageType, period: Int, skip: Int = 0) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000)
        self.type = type
        self.period = period
        self.skip = skip
        if period == 1 {
            average = .identity
            return
        }
        switch type {
        case .sma: average = .sma(try SMA(period: period))
        case .ema: average = .ema(try EMA(period: period))
        case .wma: average = .wma(try WMA(period: period))
        case .dema: average = .dema(try DEMA(period: period))
        case .tema: average = .tema(try TEMA(period: period))
        case .trima: average = .trima(try TRIMA(period: period))
        case .kama: average = .kama(try KAMA(period: period))
        case .t3: average = .t3(try T3(period: period))
        }
    }

    /// An EMA made with its own smoothing factor and skip (MACDFIX's).
    init(ema: EMA) {
        type = .ema
        period = ema.period
        skip = 0
        average = .ema(ema)
    }

    /// Inputs consumed before the first output.
    var lookback: Int {
        if case .ema(let ema) = average { return skip + ema.lookback }
        return skip + type.lookback(period: period)
    }

    mutating func update(_ input: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(input, "price")
        guard skipped >= skip else {
            skipped += 1
            return nil
        }
        switch average {
        case .identity: return input
        case .sma(var inner):
            average = .identity  // the payload's only owner now: mutating it copies nothing
            defer { average = .sma(inner) }
            return try inner.update(input)
        case .ema(var inner):
            average = .identity  // the payload's only owner now: mutating it copies nothing
            defer { average = .ema(inner) }
            return try inner.update(input)
        case .wma(var inner):
            average = .identity  // the payload's only owner now: mutating it copies nothing
            defer { average = .wma(inner) }
            return try inner.update(input)
        case .dema(var inner):
            average = .identity  // the payload's only owner now: mutating it copies nothing
            defer { average = .dema(inner) }
            return try inner.update(input)
        case .tema(var inner):
            average = .identity  // the payload's only owner now: mutating it copies nothing
            defer { average = .tema(inner) }
            return try inner.update(input)
        case .trima(var inner):
            average = .identity  // the payload's only owner now: mutating it copies nothing
            defer { average = .trima(inner) }
            return try inner.update(input)
        case .kama(var inner):
            average = .identity  // the payload's only owner now: mutating it copies nothing
            defer { average = .kama(inner) }
            return try inner.update(input)
        case .t3(var inner):
            average = .identity  // the payload's only owner now: mutating it copies nothing
            defer { average = .t3(inner) }
            return try inner.update(input)
        }
    }

    func peek(_ input: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(input, "price")
        guard skipped >= skip else { return nil }
        switch average {
        case .identity: return input
        case .sma(let inner): return try inner.peek(input)
        case .ema(let inner): return try inner.peek(input)
        case .wma(let inner): return try inner.peek(input)
        case .dema(let inner): return try inner.peek(input)
        case .tema(let inner): return try inner.peek(input)
        case .trima(let inner): return try inner.peek(input)
        case .kama(let inner): return try inner.peek(input)
        case .t3(let inner): return try inner.peek(input)
        }
    }
}

/// TA-Lib's `MA(timeperiod, matype)`: the moving average of the type chosen (a period of 1 gives the price itself).
/// Lookback the type's.
public struct MovingAverage: StreamingIndicator {
    /// TA-Lib's `optInMAType`.
    public var type: MovingAverageType { average.type }
    /// TA-Lib's `optInTimePeriod`: 1...100000, default 30.
    public var period: Int { average.period }
    private var average: AnyMovingAverage
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A `type` average over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(period: Int = 30, type: MovingAverageType = .sma) throws(IndicatorError) {
        average = try AnyMovingAverage(type, period: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { average.lookback }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        let output = try average.update(price)
        if let output { value = output }
        return output
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? { try average.peek(price) }
}

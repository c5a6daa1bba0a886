/// True range, TA-Lib's `TRANGE`: the greatest of high − low, |previous close − high| and |previous close − low|.
/// Lookback 1.
public struct TrueRange: StreamingIndicator {
    fileprivate var previousClose: Double?
    /// The last output; nil during the warm-up.
    public fileprivate(set) var value: Double?

    /// A true range.
    public init() {}

    /// Bars consumed before the first output.
    public var lookback: Int { 1 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        return commit(bar)
    }

    /// `update` of a bar known to be finite (an indicator holding this one has checked it).
    @inline(__always)
    mutating func commit(_ bar: Bar) -> Double? {
        defer { previousClose = bar.close }
        guard let previousClose else { return nil }
        let range = Self.range(bar, previousClose)
        value = range
        return range
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        return previousClose.map { Self.range(bar, $0) }
    }

    @inline(__always)
    static func range(_ bar: Bar, _ previousClose: Double) -> Double {
        var greatest = bar.high - bar.low
        let fromHigh = abs(previousClose - bar.high)
        if fromHigh > greatest { greatest = fromHigh }
        let fromLow = abs(previousClose - bar.low)
        if fromLow > greatest { greatest = fromLow }
        return greatest
    }
}

/// Average true range, TA-Lib's `ATR(timeperiod)`: Wilder's smoothing of the true range, seeded with the mean of
/// the first `period` true ranges. Lookback `period`.
///
/// As TA-Lib 0.8: each step is `atr × a + range × (1 − a)` with `a = (period − 1) / period`, the first product
/// fused with the sum (0.4 computed `(atr × (period − 1) + range) / period`).
public struct AverageTrueRange: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 1...100000, default 14.
    public let period: Int
    private var trueRange = TrueRange()
    private var seen = 0
    private var seedTotal = 0.0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An ATR over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000)
        self.period = period
    }

    /// Bars consumed before the first output.
    public var lookback: Int { period }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    @inline(__always)  // into the batch loop
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard let range = trueRange.commit(bar) else { return nil }
        let next = step(range)
        if value == nil { seen += 1; seedTotal += range }
        guard let next else { return nil }
        value = next
        return next
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        guard let range = try trueRange.peek(bar) else { return nil }
        return step(range)
    }

    /// The batch loop (see `StreamingIndicator.update(contentsOf:into:placeholder:)`): the updates in registers until
    /// the average is seeded, then its steps alone, with one test of a bar's five fields (a sum of each times 0, NaN
    /// if one is NaN or infinite, the field named by `Bar.check` then).
    public mutating func update(
        contentsOf bars: Span<Bar>, into outputs: inout MutableSpan<Double>, placeholder: Double
    ) throws(IndicatorError) {
        precondition(outputs.count == bars.count, "\(bars.count) inputs but room for \(outputs.count) outputs")
        var index = 0
        var indicator = self  // a local copy, kept in registers over the loops
        defer { self = indicator }
        while index < bars.count && (indicator.value == nil || period == 1) {
            outputs[index] = try indicator.update(bars[index]) ?? placeholder
            index += 1
        }
        guard index < bars.count, var atr = indicator.value, var previousClose = indicator.trueRange.previousClose,
            var range = indicator.trueRange.value
        else { return }
        defer {
            (indicator.value, indicator.trueRange.previousClose, indicator.trueRange.value) = (
                atr, previousClose, range
            )
        }
        let keep = Double(period - 1) / Double(period)
        let rest = 1.0 - keep
        try bars.withUnsafeBufferPointer { bars throws(IndicatorError) in
            try outputs.withUnsafeMutableBufferPointer { outputs throws(IndicatorError) in
                while index < bars.count {
                    let bar = bars[index]
                    if (bar.open * 0 + bar.high * 0 + bar.low * 0 + bar.close * 0 + bar.volume * 0).isNaN {
                        try bar.check()
                    }
                    // `step`'s, as TA-Lib 0.8's.
                    range = TrueRange.range(bar, previousClose)
                    atr = (range * rest).addingProduct(atr, keep)
                    previousClose = bar.close
                    outputs[index] = atr
                    index += 1
                }
            }
        }
    }

    /// The ATR after `range`, or nil while seeding.
    @inline(__always)
    private func step(_ range: Double) -> Double? {
        if period == 1 { return range }
        if let atr = value {
            // As TA-Lib 0.8: atr × a + range × (1 − a) with a = (period − 1) / period, the first product fused. (The
            // batch loop repeats it.)
            let keep = Double(period - 1) / Double(period)
            return (range * (1.0 - keep)).addingProduct(atr, keep)
        }
        guard seen + 1 == period else { return nil }
        return (seedTotal + range) / Double(period)
    }
}

/// Normalised average true range, TA-Lib's `NATR(timeperiod)`: ATR in percent of the close (0 for a close within
/// 1e-14 of 0). Lookback `period`.
public struct NormalizedAverageTrueRange: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 1...100000, default 14.
    public var period: Int { atr.period }
    private var atr: AverageTrueRange
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A NATR over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        atr = try AverageTrueRange(period: period)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { atr.lookback }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        guard let range = try atr.update(bar) else { return nil }
        let natr = Self.natr(range, bar.close)
        value = natr
        return natr
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try atr.peek(bar).map { Self.natr($0, bar.close) }
    }

    static func natr(_ atr: Double, _ close: Double) -> Double {
        isTAZero(close) ? 0 : (atr / close) * 100.0
    }
}

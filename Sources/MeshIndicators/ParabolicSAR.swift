/// Wilder's parabolic stop-and-reverse, TA-Lib's `SAR(acceleration, maximum)` over highs and lows: a stop that
/// trails the trend and moves toward its extreme point by a factor that grows by `acceleration` with each new
/// extreme, up to `maximum`; crossed, it reverses to the extreme point. Lookback 1.
///
/// TA-Lib's start: the first bar only gives the initial extreme; the direction is short when the second bar's minus
/// directional movement is positive, long otherwise (ties long); the stop never enters the previous or current bar's
/// range. The stop's step is a fused multiply-add, as in TA-Lib 0.8.
public struct ParabolicSAR: StreamingIndicator {
    /// TA-Lib's `optInAcceleration`: at least 0, default 0.02 (taken as `maximum` when above it).
    public let acceleration: Double
    /// TA-Lib's `optInMaximum`: at least 0, default 0.2.
    public let maximum: Double
    private var bars = 0
    private var lastHigh = 0.0
    private var lastLow = 0.0
    private var isLong = true
    private var factor = 0.0
    private var extreme = 0.0
    private var stop = 0.0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A parabolic SAR with the step `acceleration` and the cap `maximum`.
    /// - Throws: `IndicatorError.invalidParameter` for a negative or non-finite acceleration or maximum.
    public init(acceleration: Double = 0.02, maximum: Double = 0.2) throws(IndicatorError) {
        for (name, parameter) in [("acceleration", acceleration), ("maximum", maximum)]
        where !(parameter.isFinite && parameter >= 0) {
            throw .invalidParameter(name: name, value: "\(parameter)", expected: "a finite number ≥ 0")
        }
        self.acceleration = min(acceleration, maximum)
        self.maximum = maximum
    }

    /// Bars consumed before the first output.
    public var lookback: Int { 1 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        let (high, low) = (bar.high, bar.low)
        switch bars {
        case 0:
            (lastHigh, lastLow) = (high, low)
            bars = 1
            return nil
        case 1:
            let plus = high - lastHigh
            let minus = lastLow - low
            isLong = !(minus > 0 && plus < minus)
            (extreme, stop) = isLong ? (high, lastLow) : (low, lastHigh)
            (lastHigh, lastLow) = (high, low)
            factor = acceleration
            bars = 2
        default: break
        }
        let (previousHigh, previousLow) = (lastHigh, lastLow)
        (lastHigh, lastLow) = (high, low)
        let output: Double
        if isLong {
            if low <= stop {
                isLong = false
                stop = max(extreme, previousHigh, high)
                output = stop
                factor = acceleration
                extreme = low
                stop = max(stop.addingProduct(factor, extreme - stop), previousHigh, high)
            } else {
                output = stop
                if high > extreme {
                    extreme = high
                    factor = min(factor + acceleration, maximum)
                }
                stop = min(stop.addingProduct(factor, extreme - stop), previousLow, low)
            }
        } else if high >= stop {
            isLong = true
            stop = min(extreme, previousLow, low)
            output = stop
            factor = acceleration
            extreme = high
            stop = min(stop.addingProduct(factor, extreme - stop), previousLow, low)
        } else {
            output = stop
            if low < extreme {
                extreme = low
                factor = min(factor + acceleration, maximum)
            }
            stop = max(stop.addingProduct(factor, extreme - stop), previousHigh, high)
        }
        value = output
        return output
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`). The state is a few numbers:
    /// the update runs on a copy.
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        var copy = self
        return try copy.update(bar)
    }
}

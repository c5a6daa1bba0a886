/// The highest high and the lowest low of a window of bars, with how many bars ago each was (the latest of equal
/// values, as TA-Lib's scans find).
struct HighLowWindow: Sendable, Codable {
    private var highs: Window
    private var lows: Window

    init(capacity: Int) {
        highs = Window(capacity: capacity)
        lows = Window(capacity: capacity)
    }

    var isFull: Bool { highs.isFull }
    var count: Int { highs.count }

    mutating func append(_ bar: Bar) {
        highs.append(bar.high)
        lows.append(bar.low)
    }

    /// The extremes over the newest `count` held bars, and `bar` (not held) as the newest of all when given; ages
    /// count from the newest (0).
    func extremes(
        newest count: Int, plus bar: Bar? = nil
    ) -> (
        highest: Double, highestAge: Int, lowest: Double, lowestAge: Int
    ) {
        var highest = -Double.infinity
        var lowest = Double.infinity
        var (highestAge, lowestAge) = (0, 0)
        var age = 0
        // Newest first; an older bar replaces only a strictly lesser (greater) one, so the latest of equals wins.
        if let bar {
            (highest, lowest) = (bar.high, bar.low)
            age = 1
        }
        for held in 0..<count {
            let (high, low) = (highs[age: held], lows[age: held])
            if high > highest {
                highest = high
                highestAge = age
            }
            if low < lowest {
                lowest = low
                lowestAge = age
            }
            age += 1
        }
        return (highest, highestAge, lowest, lowestAge)
    }
}

/// Williams' %R, TA-Lib's `WILLR(timeperiod)`: where the close sits in the period's range, 0 at the high, −100 at
/// the low (0 for an empty range). Lookback `period − 1`.
public struct WilliamsR: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private var window: HighLowWindow
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A %R over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        window = HighLowWindow(capacity: period)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { period - 1 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        window.append(bar)
        guard window.isFull else { return nil }
        let extremes = window.extremes(newest: period)
        let result = Self.williams(extremes.highest, extremes.lowest, bar.close)
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard window.count >= period - 1 else { return nil }
        let extremes = window.extremes(newest: period - 1, plus: bar)
        return Self.williams(extremes.highest, extremes.lowest, bar.close)
    }

    /// As TA-Lib 0.8: `(highest − close) / range × −100`, kept within [−100, 0], and 0 for a range within 1e-14 of
    /// the extremes' magnitudes (0.4 divided by `range / −100` and tested the range for exactly 0).
    static func williams(_ highest: Double, _ lowest: Double, _ close: Double) -> Double {
        let range = highest - lowest
        guard abs(range) > (abs(highest) + abs(lowest)) * 1e-14 else { return 0 }
        let result = ((highest - close) / range) * -100.0
        return result > 0 ? 0 : max(-100.0, result)
    }
}

/// The middle of the period's highest high and lowest low, TA-Lib's `MIDPRICE(timeperiod)`. Lookback `period − 1`.
public struct Midprice: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private var window: HighLowWindow
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A midprice over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        window = HighLowWindow(capacity: period)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { period - 1 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        window.append(bar)
        guard window.isFull else { return nil }
        let extremes = window.extremes(newest: period)
        let result = (extremes.highest + extremes.lowest) / 2.0
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard window.count >= period - 1 else { return nil }
        let extremes = window.extremes(newest: period - 1, plus: bar)
        return (extremes.highest + extremes.lowest) / 2.0
    }
}

/// Aroon, TA-Lib's `AROON(timeperiod)`: how recent the highest high and the lowest low of the last `period + 1` bars
/// are, 100 for the newest bar, 0 for the oldest (the latest of equal values counts). Lookback `period`.
public struct Aroon: StreamingIndicator {
    /// One output.
    public struct Output: Sendable, Equatable, Codable {
        /// TA-Lib's `aroondown`.
        public var down: Double
        /// TA-Lib's `aroonup`.
        public var up: Double
    }

    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private var window: HighLowWindow
    /// The last output; nil during the warm-up.
    public private(set) var value: Output?

    /// An Aroon over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        window = HighLowWindow(capacity: period + 1)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { period }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Output? {
        try bar.check()
        window.append(bar)
        guard window.isFull else { return nil }
        let output = Self.output(window.extremes(newest: period + 1), period)
        value = output
        return output
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Output? {
        try bar.check()
        guard window.count >= period else { return nil }
        return Self.output(window.extremes(newest: period, plus: bar), period)
    }

    static func output(
        _ extremes: (highest: Double, highestAge: Int, lowest: Double, lowestAge: Int), _ period: Int
    ) -> Output {
        let factor = 100.0 / Double(period)
        return Output(
            down: factor * Double(period - extremes.lowestAge), up: factor * Double(period - extremes.highestAge))
    }
}

/// Aroon oscillator, TA-Lib's `AROONOSC(timeperiod)`: Aroon up less Aroon down, computed as TA-Lib does from the two
/// bars' distance. Lookback `period`.
public struct AroonOscillator: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private var window: HighLowWindow
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An Aroon oscillator over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        window = HighLowWindow(capacity: period + 1)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { period }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        window.append(bar)
        guard window.isFull else { return nil }
        let extremes = window.extremes(newest: period + 1)
        let result = (100.0 / Double(period)) * Double(extremes.lowestAge - extremes.highestAge)
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard window.count >= period else { return nil }
        let extremes = window.extremes(newest: period, plus: bar)
        return (100.0 / Double(period)) * Double(extremes.lowestAge - extremes.highestAge)
    }
}

/// Balance of power, TA-Lib's `BOP`: (close − open) / (high − low), 0 for a range not above 1e-14. Lookback 0.
public struct BalanceOfPower: StreamingIndicator {
    /// The last output.
    public private(set) var value: Double?

    /// A balance of power.
    public init() {}

    /// Bars consumed before the first output.
    public var lookback: Int { 0 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        let result = try peek(bar)
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        let range = bar.high - bar.low
        return range < taEpsilon ? 0 : (bar.close - bar.open) / range
    }
}

/// On-balance volume, TA-Lib's `OBV`: the first bar's volume, then plus each bar's volume on an up close and minus
/// it on a down close. Lookback 0.
public struct OnBalanceVolume: StreamingIndicator {
    private var previousClose: Double?
    /// The last output.
    public private(set) var value: Double?

    /// An on-balance volume.
    public init() {}

    /// Bars consumed before the first output.
    public var lookback: Int { 0 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        let result = try peek(bar)
        previousClose = bar.close
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard let previousClose, let obv = value else { return bar.volume }
        if bar.close > previousClose { return obv + bar.volume }
        if bar.close < previousClose { return obv - bar.volume }
        return obv
    }
}

/// Chaikin accumulation/distribution line, TA-Lib's `AD`: the running total of each bar's close location
/// ((close − low) − (high − close)) / (high − low) times its volume (nothing for a bar without range). Lookback 0.
public struct AccumulationDistribution: StreamingIndicator {
    /// The last output.
    public private(set) var value: Double?

    /// An accumulation/distribution line.
    public init() {}

    /// Bars consumed before the first output.
    public var lookback: Int { 0 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        let result = try peek(bar)
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        let total = value ?? 0
        let range = bar.high - bar.low
        guard range > 0 else { return total }
        return total + (((bar.close - bar.low) - (bar.high - bar.close)) / range) * bar.volume
    }
}

/// Commodity channel index, TA-Lib's `CCI(timeperiod)`: the typical price's distance from its mean over the mean
/// absolute deviation times 0.015 (0 when either is 0). Lookback `period − 1`.
///
/// As TA-Lib: the sums run over its circular buffer's slots in storage order, not oldest first.
public struct CommodityChannelIndex: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private var window: Window
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A CCI over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        window = Window(capacity: period)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { period - 1 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        let typical = bar.typicalPrice
        window.append(typical)
        guard window.isFull else { return nil }
        let result = Self.cci(window, typical, period)
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`). Runs the update on a copy,
    /// which copies the window.
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        var copy = self
        return try copy.update(bar)
    }

    static func cci(_ window: Window, _ last: Double, _ period: Int) -> Double {
        var mean = 0.0
        for slot in 0..<period { mean += window[slot: slot] }
        mean /= Double(period)
        var deviation = 0.0
        for slot in 0..<period { deviation += abs(window[slot: slot] - mean) }
        let distance = last - mean
        guard distance != 0, deviation != 0 else { return 0 }
        return distance / (0.015 * (deviation / Double(period)))
    }
}

/// Money flow index, TA-Lib's `MFI(timeperiod)`: the share of the period's money flow (typical price × volume) that
/// came on bars whose typical price rose, in percent (0 when the period's flow is under 1). Lookback `period`.
public struct MoneyFlowIndex: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private var previousTypical: Double?
    private var positive: Window
    private var negative: Window
    private var positiveTotal = 0.0
    private var negativeTotal = 0.0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An MFI over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        positive = Window(capacity: period)
        negative = Window(capacity: period)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { period }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        let typical = bar.typicalPrice
        guard let previous = previousTypical else {
            previousTypical = typical
            return nil
        }
        previousTypical = typical
        if positive.isFull {
            positiveTotal -= positive.oldest
            negativeTotal -= negative.oldest
        }
        let flow = Self.flow(typical - previous, typical * bar.volume)
        positiveTotal += flow.positive
        negativeTotal += flow.negative
        positive.append(flow.positive)
        negative.append(flow.negative)
        guard positive.isFull else { return nil }
        let result = Self.mfi(positiveTotal, negativeTotal)
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard let previous = previousTypical, positive.count >= period - 1 else { return nil }
        let typical = bar.typicalPrice
        var (positiveTotal, negativeTotal) = (self.positiveTotal, self.negativeTotal)
        if positive.isFull {
            positiveTotal -= positive.oldest
            negativeTotal -= negative.oldest
        }
        let flow = Self.flow(typical - previous, typical * bar.volume)
        return Self.mfi(positiveTotal + flow.positive, negativeTotal + flow.negative)
    }

    /// As TA-Lib: a flow counts as positive on a rise, negative on a fall, neither when unchanged (where the total
    /// gains +0.0, which leaves it as it was).
    static func flow(_ change: Double, _ money: Double) -> (positive: Double, negative: Double) {
        if change < 0 { return (0, money) }
        if change > 0 { return (money, 0) }
        return (0, 0)
    }

    static func mfi(_ positive: Double, _ negative: Double) -> Double {
        let total = positive + negative
        return total < 1.0 ? 0 : 100.0 * (positive / total)
    }
}

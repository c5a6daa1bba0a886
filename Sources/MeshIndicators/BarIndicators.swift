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

/// Chaikin A/D oscillator, TA-Lib's `ADOSC(fastperiod, slowperiod)`: a fast EMA of the accumulation/distribution line
/// less a slow one, both started at the first bar's A/D (not seeded with a mean) and stepped as
/// `ema × (1 − k) + k × ad`, the first product fused (TA-Lib 0.8). Lookback: the slower period − 1.
public struct ChaikinOscillator: StreamingIndicator {
    /// TA-Lib's `optInFastPeriod`: 2...100000, default 3.
    public let fastPeriod: Int
    /// TA-Lib's `optInSlowPeriod`: 2...100000, default 10.
    public let slowPeriod: Int
    private var line = AccumulationDistribution()
    private var fast: Double?
    private var slow: Double?
    private var bars = 0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An oscillator with the given periods.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(fastPeriod: Int = 3, slowPeriod: Int = 10) throws(IndicatorError) {
        try IndicatorError.checkPeriod(fastPeriod, name: "fastPeriod", in: 2...100_000)
        try IndicatorError.checkPeriod(slowPeriod, name: "slowPeriod", in: 2...100_000)
        self.fastPeriod = fastPeriod
        self.slowPeriod = slowPeriod
    }

    /// Bars consumed before the first output.
    public var lookback: Int { max(fastPeriod, slowPeriod) - 1 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        guard let ad = try line.update(bar) else { return nil }
        (fast, slow) = step(ad)
        bars += 1
        guard bars > lookback, let fast, let slow else { return nil }
        let result = fast - slow
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        guard let ad = try line.peek(bar), bars + 1 > lookback else { return nil }
        let (fast, slow) = step(ad)
        return fast - slow
    }

    private func step(_ ad: Double) -> (fast: Double, slow: Double) {
        guard let fast, let slow else { return (ad, ad) }
        return (Self.smooth(fast, ad, period: fastPeriod), Self.smooth(slow, ad, period: slowPeriod))
    }

    private static func smooth(_ ema: Double, _ ad: Double, period: Int) -> Double {
        let k = 2.0 / (Double(period) + 1.0)
        return (k * ad).addingProduct(ema, 1.0 - k)
    }
}

/// Ultimate oscillator, TA-Lib's `ULTOSC(timeperiod1, timeperiod2, timeperiod3)`: buying pressure (close − true low)
/// over true range, summed over three periods and weighted 4 : 2 : 1, in percent. Lookback: the longest period.
///
/// As TA-Lib: the periods are sorted, the sums of the shorter periods start on the bar the longest one's does (over
/// their own last bars), and a period whose true-range sum is within 1e-14 of 0 adds nothing.
public struct UltimateOscillator: StreamingIndicator {
    /// The three periods, shortest first: 1...100000 each, defaults 7, 14, 28.
    public let periods: [Int]
    private var previousClose: Double?
    private var pressure: Window
    private var ranges: Window
    private var pressureTotals = [0.0, 0.0, 0.0]
    private var rangeTotals = [0.0, 0.0, 0.0]
    private var primed = false
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An oscillator over the three periods.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(period1: Int = 7, period2: Int = 14, period3: Int = 28) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period1, name: "period1", in: 1...100_000)
        try IndicatorError.checkPeriod(period2, name: "period2", in: 1...100_000)
        try IndicatorError.checkPeriod(period3, name: "period3", in: 1...100_000)
        periods = [period1, period2, period3].sorted()
        pressure = Window(capacity: periods[2])
        ranges = Window(capacity: periods[2])
    }

    /// Bars consumed before the first output.
    public var lookback: Int { periods[2] }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard let previousClose else {
            self.previousClose = bar.close
            return nil
        }
        self.previousClose = bar.close
        let term = Self.terms(bar, previousClose)
        if !primed && pressure.count == periods[2] - 1 {
            // TA-Lib's priming: each period's totals over its own last `period − 1` bars, oldest first.
            for index in 0..<3 {
                (pressureTotals[index], rangeTotals[index]) = (0, 0)
                for age in stride(from: periods[index] - 2, through: 0, by: -1) {
                    pressureTotals[index] += pressure[age: age]
                    rangeTotals[index] += ranges[age: age]
                }
            }
            primed = true
        }
        pressure.append(term.pressure)
        ranges.append(term.range)
        guard primed else { return nil }
        for index in 0..<3 {
            pressureTotals[index] += term.pressure
            rangeTotals[index] += term.range
        }
        let result = Self.oscillator(pressureTotals, rangeTotals)
        for index in 0..<3 {
            pressureTotals[index] -= pressure[age: periods[index] - 1]
            rangeTotals[index] -= ranges[age: periods[index] - 1]
        }
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`). Runs the update on a copy,
    /// which copies the windows.
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        var copy = self
        return try copy.update(bar)
    }

    static func terms(_ bar: Bar, _ previousClose: Double) -> (pressure: Double, range: Double) {
        (bar.close - min(bar.low, previousClose), TrueRange.range(bar, previousClose))
    }

    static func oscillator(_ pressure: [Double], _ ranges: [Double]) -> Double {
        var total = 0.0
        if !isTAZero(ranges[0]) { total += 4.0 * (pressure[0] / ranges[0]) }
        if !isTAZero(ranges[1]) { total += 2.0 * (pressure[1] / ranges[1]) }
        if !isTAZero(ranges[2]) { total += pressure[2] / ranges[2] }
        return 100.0 * (total / 7.0)
    }
}

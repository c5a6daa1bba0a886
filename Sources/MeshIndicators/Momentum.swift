/// TA-Lib's epsilon for its zero tests.
let taEpsilon = 0.000_000_000_000_01

/// TA-Lib's `TA_IS_ZERO`: within 1e-14 of zero.
func isTAZero(_ value: Double) -> Bool { -taEpsilon < value && value < taEpsilon }

/// Wilder's smoothed average gain and loss over `period` price changes, as TA-Lib's RSI and CMO keep them: the
/// first averages are plain means of the first `period` changes, later ones `(average × (period − 1) + change) /
/// period`, each step in that order.
struct WilderGainLoss: Sendable, Codable, Equatable {
    /// How a total becomes an average: TA-Lib 0.8's RSI multiplies by `1 / period` where its CMO divides by `period`,
    /// which changes the last bit now and then. Each caller passes its own as a constant, so that the optimiser drops
    /// the other (a stored flag made it compute both, a division on every step's critical path, and choose).
    enum Scaling {
        case reciprocal
        case division
    }

    let period: Int
    private var previous: Double?
    private var changes = 0
    private(set) var gain = 0.0
    private(set) var loss = 0.0

    init(period: Int) { self.period = period }

    /// Whether the averages are ready (`period` changes seen).
    var isReady: Bool { changes >= period }

    /// Takes `price`; true once the averages are ready.
    @inline(__always)
    mutating func update(_ price: Double, _ scaling: Scaling) -> Bool {
        guard let last = previous else {
            previous = price
            return false
        }
        previous = price
        (gain, loss) = step(price - last, scaling)
        changes += 1
        return changes >= period
    }

    /// The averages `price` would give, and whether they would be ready.
    func peek(_ price: Double, _ scaling: Scaling) -> (gain: Double, loss: Double, ready: Bool) {
        guard let last = previous else { return (gain, loss, false) }
        let (gain, loss) = step(price - last, scaling)
        return (gain, loss, changes + 1 >= period)
    }

    @inline(__always)
    private func step(_ change: Double, _ scaling: Scaling) -> (gain: Double, loss: Double) {
        // Gain and loss as the two lanes of a vector: each lane's operations are the scalar ones, in order.
        var averages = SIMD2(gain, loss)
        let n = Double(period)
        if changes >= period { averages *= Double(period - 1) }
        // `if change < 0 { loss -= change } else { gain += change }` without a branch (which market data
        // mispredicts half the time): the side the change is not on adds a zero, which leaves an average (never
        // negative, never −0) as it was, and x + (−c) is x − c.
        let moves = SIMD2(change, -change)
        averages += moves.replacing(with: 0, where: moves .< 0)
        if changes + 1 >= period {
            switch scaling {
            case .reciprocal: averages *= 1.0 / n
            case .division: averages /= n
            }
        }
        return (averages.x, averages.y)
    }
}

/// Relative strength index, TA-Lib's `RSI(timeperiod)`: `100 × gain / (gain + loss)` of Wilder's averages (0 when
/// both are 0). Lookback `period`.
public struct RSI: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private var averages: WilderGainLoss
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An RSI over `period` price changes.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        averages = WilderGainLoss(period: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { period }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    @inline(__always)  // into the batch loop
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        guard averages.update(price, .reciprocal) else { return nil }
        let rsi = Self.rsi(averages.gain, averages.loss)
        value = rsi
        return rsi
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        let next = averages.peek(price, .reciprocal)
        return next.ready ? Self.rsi(next.gain, next.loss) : nil
    }

    /// The batch loop (see `StreamingIndicator.update(contentsOf:into:placeholder:)`), in registers.
    public mutating func update(
        contentsOf prices: Span<Double>, into outputs: inout MutableSpan<Double>, placeholder: Double
    ) throws(IndicatorError) {
        try updateInRegisters(contentsOf: prices, into: &outputs, placeholder: placeholder)
    }

    /// As TA-Lib 0.8: 0 unless the total is above zero (0.4 tested for 1e-14).
    static func rsi(_ gain: Double, _ loss: Double) -> Double {
        let total = gain + loss
        return total > 0 ? (gain / total) * 100.0 : 0
    }
}

/// Chande momentum oscillator, TA-Lib's `CMO(timeperiod)`: `100 × (gain − loss) / (gain + loss)` of Wilder's
/// averages (0 when both are 0). Lookback `period`.
public struct CMO: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private var averages: WilderGainLoss
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A CMO over `period` price changes.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        averages = WilderGainLoss(period: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { period }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        guard averages.update(price, .division) else { return nil }
        let cmo = Self.cmo(averages.gain, averages.loss)
        value = cmo
        return cmo
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        let next = averages.peek(price, .division)
        return next.ready ? Self.cmo(next.gain, next.loss) : nil
    }

    static func cmo(_ gain: Double, _ loss: Double) -> Double {
        let total = gain + loss
        return isTAZero(total) ? 0 : 100.0 * ((gain - loss) / total)
    }
}

/// The change of price over `period` bars, in TA-Lib's five forms (`MOM`, `ROC`, `ROCP`, `ROCR`, `ROCR100`).
/// Lookback `period`.
public struct Change: StreamingIndicator {
    /// Which form of the change.
    public enum Form: String, Sendable, Codable, CaseIterable {
        /// `MOM`: price − previous.
        case momentum = "MOM"
        /// `ROC`: ((price / previous) − 1) × 100.
        case rateOfChange = "ROC"
        /// `ROCP`: (price − previous) / previous.
        case rateOfChangePercentage = "ROCP"
        /// `ROCR`: price / previous.
        case rateOfChangeRatio = "ROCR"
        /// `ROCR100`: (price / previous) × 100.
        case rateOfChangeRatio100 = "ROCR100"
    }

    /// The form computed.
    public let form: Form
    /// TA-Lib's `optInTimePeriod`: 1...100000, default 10.
    public let period: Int
    private var window: Window
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// The change over `period` bars, in `form`.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(_ form: Form, period: Int = 10) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000)
        self.form = form
        self.period = period
        window = Window(capacity: period + 1)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { period }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        window.append(price)
        guard window.isFull else { return nil }
        let change = Self.change(form, price, window.oldest)
        value = change
        return change
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        guard window.count >= period else { return nil }
        // The previous price `period` bars before `price`: the oldest once `price` is in.
        let previous = window[age: period - 1]
        return Self.change(form, price, previous)
    }

    /// As TA-Lib: a zero previous price gives 0 for the ratio forms.
    static func change(_ form: Form, _ price: Double, _ previous: Double) -> Double {
        switch form {
        case .momentum: return price - previous
        case .rateOfChange: return previous != 0 ? ((price / previous) - 1.0) * 100.0 : 0
        case .rateOfChangePercentage: return previous != 0 ? (price - previous) / previous : 0
        case .rateOfChangeRatio: return previous != 0 ? price / previous : 0
        case .rateOfChangeRatio100: return previous != 0 ? (price / previous) * 100.0 : 0
        }
    }
}

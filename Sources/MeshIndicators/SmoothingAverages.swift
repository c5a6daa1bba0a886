/// Triangular moving average, TA-Lib's `TRIMA(timeperiod)`: weights rising 1, 2, ... to the middle of the window and
/// falling again (an SMA of an SMA), over (half + 1)² for an odd period and half × (half + 1) for an even one, where
/// half = period / 2. Lookback `period − 1`.
///
/// As TA-Lib: three running sums, the weighted numerator, the older half's prices and the newer half's; each update
/// moves one price from the newer half to the older, in TA-Lib's order of additions (which differs between odd and
/// even periods).
public struct TRIMA: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 30.
    public let period: Int
    private let factor: Double
    private var window: Window
    private var sums = Sums()
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// The running sums (TA-Lib's `numerator`, `numeratorSub`, `numeratorAdd`).
    private struct Sums: Codable {
        var numerator = 0.0
        var older = 0.0
        var newer = 0.0
    }

    /// An indicator over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 30) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        let half = period >> 1
        factor =
            period % 2 == 1 ? 1.0 / (Double(half + 1) * Double(half + 1)) : 1.0 / (Double(half) * Double(half + 1))
        window = Window(capacity: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { period - 1 }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        return commit(price)
    }

    /// `update` of a price known to be finite (an indicator holding this one has checked it).
    mutating func commit(_ price: Double) -> Double? {
        if window.isFull {
            sums = next(price)
            window.append(price)
        } else {
            window.append(price)
            guard window.isFull else { return nil }
            sums = Self.seed(period: period) { window[age: period - 1 - $0] }
        }
        let trima = sums.numerator * factor
        value = trima
        return trima
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        if window.isFull { return next(price).numerator * factor }
        guard window.count == period - 1 else { return nil }
        let seeded = Self.seed(period: period) { $0 == period - 1 ? price : window[age: period - 2 - $0] }
        return seeded.numerator * factor
    }

    /// The sums over the first window (`price(i)`: the i-th price, oldest first): the older half summed from its
    /// newest price back, the newer half from its oldest forward, the numerator gaining each partial sum.
    private static func seed(period: Int, price: (Int) -> Double) -> Sums {
        var sums = Sums()
        let olderCount = period - (period >> 1)
        for index in stride(from: olderCount - 1, through: 0, by: -1) {
            sums.older += price(index)
            sums.numerator += sums.older
        }
        for index in olderCount..<period {
            sums.newer += price(index)
            sums.numerator += sums.newer
        }
        return sums
    }

    /// The sums once `price` joins the full window.
    private func next(_ price: Double) -> Sums {
        let oldest = window[age: period - 1]
        let middle = window[age: (period >> 1) - 1]
        var sums = self.sums
        sums.numerator -= sums.older
        sums.older -= oldest
        sums.older += middle
        if period % 2 == 1 {
            sums.numerator += sums.newer
            sums.newer -= middle
        } else {
            sums.newer -= middle
            sums.numerator += sums.newer
        }
        sums.newer += price
        sums.numerator += price
        return sums
    }
}

/// Kaufman adaptive moving average, TA-Lib's `KAMA(timeperiod)`: an EMA whose smoothing follows the efficiency ratio
/// |price − price `period` bars ago| / (sum of the `period` one-bar moves), between 2/31 (a ratio of 0) and 2/3 (a
/// ratio of 1), squared. Seeded with the previous price. Lookback `period`.
///
/// As TA-Lib 0.8: the sum of moves is kept running, and once `period` moves in a row are exactly zero it is known to
/// be zero and set so (its rounding residue would otherwise decide the ratio of a flat market); a ratio is 1 when
/// the sum is not positive or not above the change, and never above 1; the smoothing constant and the average are
/// fused multiply-adds.
public struct KAMA: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 30.
    public let period: Int
    private var window: Window
    private var sum = 0.0
    /// One-bar moves in a row that were exactly zero (at most `period`).
    private var flatRun = 0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    private static let slowest = 2.0 / (30.0 + 1.0)
    private static let range = 2.0 / (2.0 + 1.0) - slowest

    /// An indicator over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 30) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        window = Window(capacity: period + 1)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { period }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        return commit(price)
    }

    /// `update` of a price known to be finite (an indicator holding this one has checked it).
    mutating func commit(_ price: Double) -> Double? {
        let kama: Double
        if let previous = value {
            let step = next(price, previous: previous)
            (sum, flatRun, kama) = (step.sum, step.flatRun, step.kama)
            window.append(price)
        } else {
            window.append(price)
            guard window.isFull else { return nil }
            let seed = Self.seed(period: period) { window[age: period - $0] }
            (sum, flatRun, kama) = (seed.sum, seed.flatRun, seed.kama)
        }
        value = kama
        return kama
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        if let previous = value { return next(price, previous: previous).kama }
        guard window.count == period else { return nil }
        return Self.seed(period: period) { $0 == period ? price : window[age: period - 1 - $0] }.kama
    }

    /// The first output over `period + 1` prices (`price(i)`: the i-th, oldest first).
    private static func seed(
        period: Int, price: (Int) -> Double
    ) -> (sum: Double, flatRun: Int, kama: Double) {
        var sum = 0.0
        var flatRun = 0
        for index in 0..<period {
            let move = price(index) - price(index + 1)
            sum += abs(move)
            flatRun = move == 0 ? flatRun + 1 : 0
        }
        let previous = price(period - 1)
        let ratio = efficiency(change: price(period) - price(0), moves: sum)
        return (sum, flatRun, smooth(price(period), previous: previous, ratio: ratio))
    }

    /// The state once `price` follows the full window.
    private func next(_ price: Double, previous: Double) -> (sum: Double, flatRun: Int, kama: Double) {
        let leaving = window[age: period]
        let first = window[age: period - 1]
        let move = price - window[age: 0]
        var flatRun = move == 0 ? self.flatRun + 1 : 0
        let sum: Double
        let ratio: Double
        if flatRun >= period {
            flatRun = period
            sum = 0
            ratio = 1
        } else {
            sum = abs(move) + (self.sum - abs(leaving - first))
            ratio = Self.efficiency(change: price - first, moves: sum)
        }
        return (sum, flatRun, Self.smooth(price, previous: previous, ratio: ratio))
    }

    /// The efficiency ratio, as TA-Lib 0.8 decides it.
    private static func efficiency(change: Double, moves: Double) -> Double {
        if 0 >= moves || change >= moves { return 1 }
        let ratio = abs(change / moves)
        return 1.0 < ratio ? 1.0 : ratio
    }

    private static func smooth(_ price: Double, previous: Double, ratio: Double) -> Double {
        var constant = slowest.addingProduct(ratio, range)
        constant *= constant
        return previous.addingProduct(constant, price - previous)
    }
}

/// Tillson's T3, TA-Lib's `T3(timeperiod, vfactor)`: six EMAs in a chain, combined as c1·e6 + c2·e5 + c3·e4 + c4·e3
/// with c1 = −v³, c2 = 3(v² − c1), c3 = −6v² − 3(v − c1), c4 = 1 + 3v − c1 + 3v². Each EMA is seeded with the mean of
/// its input's first `period` values. Lookback `6 × (period − 1)`.
///
/// As TA-Lib 0.8: each EMA step is `fma(1 − k, e, k·x)` and the combination a chain of fused multiply-adds.
public struct T3: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 5.
    public let period: Int
    /// TA-Lib's `optInVFactor`: 0...1, default 0.7.
    public let volumeFactor: Double
    private let k: Double
    private let oneMinusK: Double
    private let c1: Double
    private let c2: Double
    private let c3: Double
    private let c4: Double
    private var e1 = 0.0
    private var e2 = 0.0
    private var e3 = 0.0
    private var e4 = 0.0
    private var e5 = 0.0
    private var e6 = 0.0
    /// The EMA being seeded (1...6), 7 once all are.
    private var stage = 1
    /// Inputs the stage has taken, and their total.
    private var taken = 0
    private var total = 0.0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A T3 over `period` prices with volume factor `volumeFactor`.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000 or a factor outside 0...1.
    public init(period: Int = 5, volumeFactor: Double = 0.7) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        guard volumeFactor >= 0 && volumeFactor <= 1 else {
            throw .invalidParameter(name: "vfactor", value: "\(volumeFactor)", expected: "0...1")
        }
        self.period = period
        self.volumeFactor = volumeFactor
        k = 2.0 / (Double(period) + 1.0)
        oneMinusK = 1.0 - k
        let v = volumeFactor
        let square = v * v
        c1 = 0 - v * square
        c2 = 3.0 * (square - c1)
        c3 = -6.0 * square - 3.0 * (v - c1)
        c4 = (1.0.addingProduct(3.0, v) - c1).addingProduct(3.0, square)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { 6 * (period - 1) }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        return commit(price)
    }

    /// `update` of a price known to be finite (an indicator holding this one has checked it).
    mutating func commit(_ price: Double) -> Double? {
        if stage == 7 {
            advance(price, through: 6)
            let t3 = combined
            value = t3
            return t3
        }
        if stage == 1 {
            total += price
            taken += 1
            guard taken == period else { return nil }
            e1 = total / Double(period)
        } else {
            total += advance(price, through: stage - 1)
            taken += 1
            guard taken == period - 1 else { return nil }
            let seed = total / Double(period)
            switch stage {
            case 2: e2 = seed
            case 3: e3 = seed
            case 4: e4 = seed
            case 5: e5 = seed
            default: e6 = seed
            }
        }
        stage += 1
        taken = 0
        guard stage == 7 else {
            total = latest(stage - 1)
            return nil
        }
        let t3 = combined
        value = t3
        return t3
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`). The state is a few numbers:
    /// the update runs on a copy.
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        var copy = self
        return try copy.update(price)
    }

    /// Steps EMAs 1...`level` with `price`; the last one's new value.
    @discardableResult
    private mutating func advance(_ price: Double, through level: Int) -> Double {
        e1 = (k * price).addingProduct(oneMinusK, e1)
        guard level > 1 else { return e1 }
        e2 = (k * e1).addingProduct(oneMinusK, e2)
        guard level > 2 else { return e2 }
        e3 = (k * e2).addingProduct(oneMinusK, e3)
        guard level > 3 else { return e3 }
        e4 = (k * e3).addingProduct(oneMinusK, e4)
        guard level > 4 else { return e4 }
        e5 = (k * e4).addingProduct(oneMinusK, e5)
        guard level > 5 else { return e5 }
        e6 = (k * e5).addingProduct(oneMinusK, e6)
        return e6
    }

    private func latest(_ level: Int) -> Double {
        switch level {
        case 1: e1
        case 2: e2
        case 3: e3
        case 4: e4
        default: e5
        }
    }

    private var combined: Double {
        (c2 * e5).addingProduct(c1, e6).addingProduct(c3, e4).addingProduct(c4, e3)
    }
}

/// Simple moving average, TA-Lib's `SMA(timeperiod)`: the mean of the last `period` prices. Lookback `period - 1`.
///
/// As TA-Lib: a running total that gains the newest price, is divided by the period, then loses the oldest (so the
/// rounding matches its batch output bit for bit).
public struct SMA: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 30.
    public let period: Int
    private var window: Window
    private var total = 0.0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An indicator over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 30) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
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
    @inline(__always)
    mutating func commit(_ price: Double) -> Double? { withStepper { $0.commit(price) } }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        guard window.count >= period - 1 else { return nil }
        return (total + price) / Double(period)
    }

    /// The batch loop (see `StreamingIndicator.update(contentsOf:into:placeholder:)`): `Stepper.commit(contentsOf:)`.
    public mutating func update(
        contentsOf prices: Span<Double>, into outputs: inout MutableSpan<Double>, placeholder: Double
    ) throws(IndicatorError) {
        precondition(outputs.count == prices.count, "\(prices.count) inputs but room for \(outputs.count) outputs")
        let refusal = withStepper { lent in
            var sma = lent  // a local copy, kept in registers over the loops (`lent` is in memory)
            defer { lent = sma }
            return prices.withUnsafeBufferPointer { prices in
                outputs.withUnsafeMutableBufferPointer { outputs in
                    sma.commit(contentsOf: prices, into: outputs, placeholder: placeholder)
                }
            }
        }
        if let refusal { throw refusal }
    }

    /// Runs `body` with the state lent as a `Stepper`, and keeps what it commits.
    @inline(__always)
    mutating func withStepper<Result, Failure: Error>(
        _ body: (inout Stepper) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var (total, value) = (self.total, self.value)
        defer { (self.total, self.value) = (total, value) }
        return try window.withRing { ring throws(Failure) in
            var stepper = Stepper(period: period, ring: ring, total: total, value: value)
            defer { (ring, total, value) = (stepper.ring, stepper.total, stepper.value) }
            return try body(&stepper)
        }
    }

    /// The SMA's state while it runs, the numbers in locals (which the optimiser keeps in registers over a loop) and
    /// the window's storage borrowed: every update, streamed or batched, is `Stepper.commit`.
    struct Stepper {
        let period: Int
        fileprivate var ring: Window.Ring
        fileprivate var total: Double
        fileprivate var value: Double?

        /// Whether the window holds `period − 1` prices or more: every price now gives an output (`slide`).
        var isSliding: Bool { ring.count >= period - 1 }

        /// `SMA.commit`.
        @inline(__always)
        mutating func commit(_ price: Double) -> Double? {
            guard isSliding else {
                ring.append(price)
                total += price
                return nil
            }
            return slide(price)
        }

        /// `commit` of each of `prices` in turn, its output written at its index in `outputs` (`placeholder` in the
        /// warm-up), up to the first NaN or infinite price, whose refusal is returned (the prices before it are
        /// committed). Once the price leaving the window is one of `prices`, it is read from there, as TA-Lib's batch
        /// reads it from its input (`slide(_:leaving:)`), and the ring is brought up to date at the end.
        @inline(__always)
        mutating func commit(
            contentsOf prices: UnsafeBufferPointer<Double>, into outputs: UnsafeMutableBufferPointer<Double>,
            placeholder: Double
        ) -> IndicatorError? {
            // After `lag` commits the price leaving the window is one of `prices` (and every price gives an output).
            let lag = period - 1
            var index = 0
            while index < min(lag, prices.count) {
                let price = prices[index]
                guard price.isFinite else { return .nonFinite(field: "price", value: price) }
                outputs[index] = commit(price) ?? placeholder
                index += 1
            }
            let first = index
            var refusal: IndicatorError?
            while index < prices.count {
                let price = prices[index]
                guard price.isFinite else {
                    refusal = .nonFinite(field: "price", value: price)
                    break
                }
                outputs[index] = slide(price, leaving: prices[index - lag])
                index += 1
            }
            if index > first { catchUp(with: UnsafeBufferPointer(rebasing: prices[first..<index])) }
            return refusal
        }

        /// `slide` with the price leaving the window given (read from a batch's inputs): the ring is left as it
        /// was, for `catchUp` to bring up to date.
        @inline(__always)
        mutating func slide(_ price: Double, leaving: Double) -> Double {
            total += price
            let mean = total / Double(period)
            total -= leaving
            value = mean
            return mean
        }

        /// Brings the ring up to date after `slide(_:leaving:)` of each of `prices`.
        @inline(__always)
        mutating func catchUp(with prices: UnsafeBufferPointer<Double>) { ring.append(eachOf: prices) }

        /// `commit` while sliding. As TA-Lib: the price joins the total, the mean is taken, and the oldest price
        /// (the next to leave the window) leaves the total.
        @inline(__always)
        mutating func slide(_ price: Double) -> Double {
            ring.append(price)
            total += price
            let mean = total / Double(period)
            total -= ring.oldest
            value = mean
            return mean
        }
    }
}

/// Exponential moving average, TA-Lib's `EMA(timeperiod)`: k = 2 / (period + 1), seeded with the simple mean of the
/// first `period` prices (TA-Lib's default compatibility), then `((price - ema) * k) + ema`. Lookback `period - 1`.
public struct EMA: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 30.
    public let period: Int
    /// The smoothing factor, 2 / (period + 1).
    public let k: Double
    /// Prices passed over before the seed's first (TA-Lib's MACD seeds its fast EMA over the `fast` prices that end
    /// where the slow one's seed ends, not over the first `fast`).
    let skip: Int
    private var seen = 0
    private var seedTotal = 0.0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An indicator over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 30) throws(IndicatorError) {
        try self.init(period: period, k: 2.0 / Double(period + 1), skip: 0)
    }

    /// An EMA with its own smoothing factor (MACDFIX's fixed 0.15 and 0.075), seeded after `skip` prices.
    init(period: Int, k: Double, skip: Int) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        self.k = k
        self.skip = skip
    }

    /// Prices consumed before the first output.
    public var lookback: Int { skip + period - 1 }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        return commit(price)
    }

    /// `update` of a price known to be finite (an indicator holding this one has checked it).
    @inline(__always)
    mutating func commit(_ price: Double) -> Double? {
        if value != nil { return commitSeeded(price) }
        seen += 1
        guard seen > skip else { return nil }
        seedTotal += price
        guard seen == skip + period else { return nil }
        let seed = seedTotal / Double(period)
        value = seed
        return seed
    }

    /// `commit` once seeded (`value` is not nil): the next average.
    @inline(__always)
    mutating func commitSeeded(_ price: Double) -> Double {
        let next = Self.smooth(value!, toward: price, k: k)
        value = next
        return next
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        if let ema = value { return Self.smooth(ema, toward: price, k: k) }
        return seen == skip + period - 1 ? (seedTotal + price) / Double(period) : nil
    }

    /// The batch loop (see `StreamingIndicator.update(contentsOf:into:placeholder:)`): once seeded, the average in a
    /// register and each step as `commit`'s.
    public mutating func update(
        contentsOf prices: Span<Double>, into outputs: inout MutableSpan<Double>, placeholder: Double
    ) throws(IndicatorError) {
        precondition(outputs.count == prices.count, "\(prices.count) inputs but room for \(outputs.count) outputs")
        var index = 0
        while index < prices.count && value == nil {
            outputs[index] = try update(prices[index]) ?? placeholder
            index += 1
        }
        guard var ema = value else { return }
        defer { value = ema }
        while index < prices.count {
            let price = prices[index]
            try IndicatorError.check(price, "price")
            ema = Self.smooth(ema, toward: price, k: k)
            outputs[index] = ema
            index += 1
        }
    }

    /// One step after the seed, as TA-Lib's: `((price − ema) × k) + ema`, fused (rounded once).
    @inline(__always)
    static func smooth(_ ema: Double, toward price: Double, k: Double) -> Double { ema.addingProduct(price - ema, k) }
}

/// Weighted moving average, TA-Lib's `WMA(timeperiod)`: weights 1...period, newest heaviest, over period(period+1)/2.
/// Lookback `period - 1`.
///
/// As TA-Lib 0.8: a weighted running sum and a plain running sum, the oldest price leaving the plain sum one update
/// late, and every `8 * period`-th output both sums computed afresh from the window (its guard against drift; the
/// order of every addition is what makes the last bits equal).
public struct WMA: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 30.
    public let period: Int
    private var window: Window
    private var weightedSum = 0.0
    private var plainSum = 0.0
    private var trailing = 0.0
    /// Outputs given so far, for the resynchronisation every `8 * period`.
    private var outputs = 0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An indicator over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 30) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        window = Window(capacity: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { period - 1 }

    private var divider: Double { Double((period * (period + 1)) >> 1) }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        return commit(price)
    }

    /// `update` of a price known to be finite (an indicator holding this one has checked it).
    mutating func commit(_ price: Double) -> Double? {
        if window.count < period - 1 {
            window.append(price)
            plainSum += price
            weightedSum += price * Double(window.count)
            return nil
        }
        window.append(price)
        outputs += 1
        let mean: Double
        if outputs % (8 * period) == 0 {
            let (plain, weighted) = Self.sums(period: period) { window[age: period - $0] }
            plainSum = plain
            mean = weighted / divider
            weightedSum = weighted - plain
        } else {
            plainSum += price
            plainSum -= trailing
            weightedSum += price * Double(period)
            mean = weightedSum / divider
            weightedSum -= plainSum
        }
        trailing = window.oldest
        value = mean
        return mean
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        guard window.count >= period - 1 else { return nil }
        if (outputs + 1) % (8 * period) == 0 {
            // The window as the update would leave it: the newest `period - 1` held, then `price`.
            let weighted = Self.sums(period: period) { $0 == period ? price : window[age: period - 1 - $0] }.weighted
            return weighted / divider
        }
        return (weightedSum + price * Double(period)) / divider
    }

    /// The plain and weighted sums of the window afresh, oldest first with weight 1 (`price(i)` is the price of
    /// weight `i`), in TA-Lib's order of additions.
    private static func sums(period: Int, price: (Int) -> Double) -> (plain: Double, weighted: Double) {
        var plain = 0.0
        var weighted = 0.0
        for weight in 1...period {
            let value = price(weight)
            plain += value
            weighted += value * Double(weight)
        }
        return (plain, weighted)
    }
}

/// Double exponential moving average, TA-Lib's `DEMA(timeperiod)`: `2 * EMA - EMA(EMA)`. Lookback
/// `2 * (period - 1)`.
public struct DEMA: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 30.
    public let period: Int
    private var first: EMA
    private var second: EMA
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An indicator over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 30) throws(IndicatorError) {
        self.period = period
        first = try EMA(period: period)
        second = try EMA(period: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { 2 * (period - 1) }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        return commit(price)
    }

    /// `update` of a price known to be finite (an indicator holding this one has checked it).
    mutating func commit(_ price: Double) -> Double? {
        guard let ema = first.commit(price), let emaOfEma = second.commit(ema) else { return nil }
        let dema = (2.0 * ema) - emaOfEma
        value = dema
        return dema
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        guard let ema = try first.peek(price), let emaOfEma = try second.peek(ema) else { return nil }
        return (2.0 * ema) - emaOfEma
    }
}

/// Triple exponential moving average, TA-Lib's `TEMA(timeperiod)`: `3 * EMA - 3 * EMA(EMA) + EMA(EMA(EMA))`.
/// Lookback `3 * (period - 1)`.
public struct TEMA: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 30.
    public let period: Int
    private var first: EMA
    private var second: EMA
    private var third: EMA
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An indicator over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 30) throws(IndicatorError) {
        self.period = period
        first = try EMA(period: period)
        second = try EMA(period: period)
        third = try EMA(period: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { 3 * (period - 1) }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        return commit(price)
    }

    /// `update` of a price known to be finite (an indicator holding this one has checked it).
    mutating func commit(_ price: Double) -> Double? {
        guard let e1 = first.commit(price), let e2 = second.commit(e1), let e3 = third.commit(e2) else { return nil }
        let tema = (3.0 * e1) - (3.0 * e2) + e3
        value = tema
        return tema
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        guard let e1 = try first.peek(price), let e2 = try second.peek(e1), let e3 = try third.peek(e2) else {
            return nil
        }
        return (3.0 * e1) - (3.0 * e2) + e3
    }
}

/// TRIX, TA-Lib's `TRIX(timeperiod)`: the one-bar rate of change, in percent, of a triple-smoothed EMA (an EMA of an
/// EMA of an EMA, each seeded with the mean of its input's first `period` values). Lookback `3 × (period − 1) + 1`.
public struct TRIX: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 1...100000, default 30.
    public let period: Int
    private var first: EMA
    private var second: EMA
    private var third: EMA
    private var change: Change
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A TRIX over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 30) throws(IndicatorError) {
        self.period = period
        first = try EMA(period: period)
        second = try EMA(period: period)
        third = try EMA(period: period)
        change = try Change(.rateOfChange, period: 1)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { 3 * (period - 1) + 1 }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        guard let e1 = try first.update(price), let e2 = try second.update(e1), let e3 = try third.update(e2),
            let trix = try change.update(e3)
        else { return nil }
        value = trix
        return trix
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        guard let e1 = try first.peek(price), let e2 = try second.peek(e1), let e3 = try third.peek(e2) else {
            return nil
        }
        return try change.peek(e3)
    }
}

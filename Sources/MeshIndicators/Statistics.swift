/// Variance of the last `period` prices, TA-Lib's `VAR(timeperiod, nbdev)` (whose `nbdev` changes nothing): the mean
/// of the squares less the square of the mean. Lookback `period − 1`.
///
/// As TA-Lib 0.8, which fights cancellation: the running totals are of the prices less a shift (at first the first
/// price), and they are recomputed from the window, about its mean, whenever the result would have lost too many
/// digits (the variance under a millionth of the mean square, or an outgoing term over a million times the total),
/// and every `32 × period` outputs anyway; a recomputed variance under 1e-12 of the mean square is 0.
public struct Variance: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 1...100000, default 5.
    public let period: Int
    private let inverse: Double
    private var window: Window
    private var shift: Double?
    private var total = 0.0
    private var totalOfSquares = 0.0
    /// Outputs left before the next recomputation.
    private var countdown: Int
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// The variance over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(period: Int = 5) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000)
        self.period = period
        inverse = 1.0 / Double(period)
        window = Window(capacity: period)
        countdown = 32 * period
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

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`). Runs the update on a copy,
    /// which copies the window: a peek allocates, an update does not.
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        var copy = self
        return try copy.update(price)
    }

    /// The batch loop (see `StreamingIndicator.update(contentsOf:into:placeholder:)`): the updates of a `Stepper`.
    public mutating func update(
        contentsOf prices: Span<Double>, into outputs: inout MutableSpan<Double>, placeholder: Double
    ) throws(IndicatorError) {
        precondition(outputs.count == prices.count, "\(prices.count) inputs but room for \(outputs.count) outputs")
        try withStepper { lent throws(IndicatorError) in
            var variance = lent  // a local copy, kept in registers over the loop (`lent` is in memory)
            defer { lent = variance }
            for index in prices.indices {
                let price = prices[index]
                try IndicatorError.check(price, "price")
                outputs[index] = variance.commit(price) ?? placeholder
            }
        }
    }

    /// Runs `body` with the state lent as a `Stepper`, and keeps what it commits.
    @inline(__always)
    mutating func withStepper<Result, Failure: Error>(
        _ body: (inout Stepper) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var (shift, total, totalOfSquares, countdown, value) =
            (self.shift, self.total, self.totalOfSquares, self.countdown, self.value)
        defer {
            (self.shift, self.total, self.totalOfSquares, self.countdown, self.value) =
                (shift, total, totalOfSquares, countdown, value)
        }
        return try window.withRing { ring throws(Failure) in
            var stepper = Stepper(
                period: period, inverse: inverse, ring: ring, shift: shift, total: total,
                totalOfSquares: totalOfSquares, countdown: countdown, value: value)
            defer {
                (ring, shift, total, totalOfSquares, countdown, value) =
                    (
                        stepper.ring, stepper.shift, stepper.total, stepper.totalOfSquares, stepper.countdown,
                        stepper.value
                    )
            }
            return try body(&stepper)
        }
    }

    /// The variance's state while it runs (as `SMA.Stepper`): every update is `Stepper.commit`.
    struct Stepper {
        let period: Int
        let inverse: Double
        fileprivate var ring: Window.Ring
        fileprivate var shift: Double?
        fileprivate var total: Double
        fileprivate var totalOfSquares: Double
        fileprivate var countdown: Int
        fileprivate var value: Double?

        /// `Variance.commit`.
        @inline(__always)
        mutating func commit(_ price: Double) -> Double? {
            let shift = self.shift ?? price
            self.shift = shift
            ring.append(price)
            guard ring.isFull else {
                let deviation = price - shift
                total += deviation
                totalOfSquares += deviation * deviation
                return nil
            }
            let ring = self.ring
            return step(price, shift: shift, leaving: ring.oldest) { ring[age: ring.count - 1 - $0] }
        }

        /// `commit` of a price once the window is full, with the price leaving it and the window (`window(i)` is
        /// its `i`-th price, oldest first, `price` last) given: read from a batch's inputs, the ring is left as it
        /// was, for `catchUp` to bring up to date.
        /// - Precondition: a first price has been committed (`shift` is set).
        @inline(__always)
        mutating func slide(_ price: Double, window: UnsafeBufferPointer<Double>) -> Double {
            step(price, shift: shift!, leaving: window[0]) { window[$0] }
        }

        /// Brings the ring up to date after `slide(_:window:)` of each of `prices`.
        @inline(__always)
        mutating func catchUp(with prices: UnsafeBufferPointer<Double>) { ring.append(eachOf: prices) }

        /// The step of a full window: the totals gain `price` and lose `leaving`, or are recomputed from the window.
        @inline(__always)
        private mutating func step(
            _ price: Double, shift: Double, leaving: Double, window: (Int) -> Double
        ) -> Double {
            let deviation = price - shift
            total += deviation
            totalOfSquares += deviation * deviation
            let mean = inverse * total
            var variance = inverse * totalOfSquares - mean * mean
            let outgoing = leaving - shift
            totalOfSquares -= outgoing * outgoing
            countdown -= 1
            if (inverse * totalOfSquares) * 1e-6 > variance || outgoing * outgoing > totalOfSquares * 1e6
                || countdown == 0
            {
                (self.shift, total, totalOfSquares, variance) = Self.recomputed(
                    count: period, inverse: inverse, window: window)
                countdown = 32 * period
            } else {
                total -= outgoing
            }
            value = variance
            return variance
        }

        /// The totals afresh about the mean of the window (`window(i)` its `i`-th of `count` prices, oldest first),
        /// and the variance from them; then the oldest price's terms leave the totals, as an update's would. (Out of
        /// line and returning its results, so that the stepper stays in registers.)
        @inline(never)
        private static func recomputed(
            count: Int, inverse: Double, window: (Int) -> Double
        ) -> (shift: Double, total: Double, totalOfSquares: Double, variance: Double) {
            var sum = 0.0
            for index in 0..<count { sum += window(index) }
            let shift = sum * inverse
            var (total, totalOfSquares) = (0.0, 0.0)
            for index in 0..<count {
                let deviation = window(index) - shift
                total += deviation
                totalOfSquares += deviation * deviation
            }
            let mean = inverse * total
            let meanOfSquares = inverse * totalOfSquares
            let raw = meanOfSquares - mean * mean
            let variance = raw >= meanOfSquares * 1e-12 ? raw : 0
            let outgoing = window(0) - shift
            total -= outgoing
            totalOfSquares -= outgoing * outgoing
            return (shift, total, totalOfSquares, variance)
        }
    }
}

/// Standard deviation of the last `period` prices times `deviations`, TA-Lib's `STDDEV(timeperiod, nbdev)`: the
/// square root of `VAR`. Lookback `period − 1`.
public struct StandardDeviation: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 5.
    public let period: Int
    /// TA-Lib's `optInNbDev`: the multiplier, default 1.
    public let deviations: Double
    private var variance: Variance
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// The standard deviation over `period` prices, times `deviations`.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000 or a non-finite multiplier.
    public init(period: Int = 5, deviations: Double = 1) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        guard deviations.isFinite else {
            throw .invalidParameter(name: "deviations", value: "\(deviations)", expected: "a finite number")
        }
        self.period = period
        self.deviations = deviations
        variance = try Variance(period: period)
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

    /// Runs `body` with the state lent as a `Stepper`, and keeps what it commits.
    @inline(__always)
    mutating func withStepper<Result, Failure: Error>(
        _ body: (inout Stepper) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var value = self.value
        defer { self.value = value }
        let deviations = self.deviations
        return try variance.withStepper { lent throws(Failure) in
            var stepper = Stepper(variance: lent, deviations: deviations, value: value)
            defer { (lent, value) = (stepper.variance, stepper.value) }
            return try body(&stepper)
        }
    }

    /// The standard deviation's state while it runs (as `SMA.Stepper`): every update is `Stepper.commit`.
    struct Stepper {
        fileprivate var variance: Variance.Stepper
        let deviations: Double
        fileprivate var value: Double?

        /// `StandardDeviation.commit`.
        @inline(__always)
        mutating func commit(_ price: Double) -> Double? {
            guard let variance = variance.commit(price) else { return nil }
            let deviation = StandardDeviation.deviation(variance, deviations)
            value = deviation
            return deviation
        }

        /// `commit` once the window is full, reading the window from a batch's inputs (`Variance.Stepper.slide`).
        @inline(__always)
        mutating func slide(_ price: Double, window: UnsafeBufferPointer<Double>) -> Double {
            let deviation = StandardDeviation.deviation(variance.slide(price, window: window), deviations)
            value = deviation
            return deviation
        }

        /// Brings the window up to date after `slide(_:window:)` of each of `prices`.
        @inline(__always)
        mutating func catchUp(with prices: UnsafeBufferPointer<Double>) { variance.catchUp(with: prices) }
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try variance.peek(price).map { Self.deviation($0, deviations) }
    }

    /// As TA-Lib 0.8: the variance is never negative (`Variance` sees to it), and its root is taken as it is.
    static func deviation(_ variance: Double, _ deviations: Double) -> Double {
        variance.squareRoot() * deviations
    }
}

/// The middle of the highest and lowest of the last `period` prices, TA-Lib's `MIDPOINT(timeperiod)`. Lookback
/// `period − 1`.
public struct Midpoint: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private var window: Window
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// The midpoint over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.period = period
        window = Window(capacity: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { period - 1 }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        window.append(price)
        guard window.isFull else { return nil }
        var (lowest, highest) = (price, price)
        for age in 1..<period {
            let value = window[age: age]
            lowest = min(lowest, value)
            highest = max(highest, value)
        }
        let midpoint = (highest + lowest) / 2.0
        value = midpoint
        return midpoint
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        guard window.count >= period - 1 else { return nil }
        var (lowest, highest) = (price, price)
        for age in 0..<(period - 1) {
            let value = window[age: age]
            lowest = min(lowest, value)
            highest = max(highest, value)
        }
        return (highest + lowest) / 2.0
    }
}

/// Bollinger bands, TA-Lib's `BBANDS(timeperiod, nbdevup, nbdevdn, matype)`: a moving average and bands a number of
/// standard deviations (of the last `period` prices) above and below it. Lookback: the average's.
public struct BollingerBands: StreamingIndicator {
    /// One output.
    public struct Output: Sendable, Equatable, Codable {
        /// TA-Lib's `upperband`.
        public var upper: Double
        /// TA-Lib's `middleband`.
        public var middle: Double
        /// TA-Lib's `lowerband`.
        public var lower: Double
    }

    /// TA-Lib's `optInTimePeriod`: 2...100000, default 5.
    public let period: Int
    /// TA-Lib's `optInNbDevUp`, default 2.
    public let deviationsUp: Double
    /// TA-Lib's `optInNbDevDn`, default 2.
    public let deviationsDown: Double
    /// TA-Lib's `optInMAType`, default SMA.
    public let type: MovingAverageType
    private var average: AnyMovingAverage
    private var deviation: StandardDeviation
    /// The last output; nil during the warm-up.
    public private(set) var value: Output?

    /// Bands over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000 or a non-finite multiplier.
    public init(
        period: Int = 5, deviationsUp: Double = 2, deviationsDown: Double = 2, type: MovingAverageType = .sma
    ) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        for (name, multiplier) in [("deviationsUp", deviationsUp), ("deviationsDown", deviationsDown)]
        where !multiplier.isFinite {
            throw .invalidParameter(name: name, value: "\(multiplier)", expected: "a finite number")
        }
        self.period = period
        self.deviationsUp = deviationsUp
        self.deviationsDown = deviationsDown
        self.type = type
        average = try AnyMovingAverage(type, period: period)
        deviation = try StandardDeviation(period: period, deviations: 1)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { max(average.lookback, period - 1) }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Output? {
        try IndicatorError.check(price, "price")
        guard let output = commit(price) else { return nil }
        value = output
        return output
    }

    /// `update` of a finite price, but for `value`.
    @inline(__always)
    private mutating func commit(_ price: Double) -> Output? {
        let middle = average.commit(price)
        guard let sd = deviation.commit(price), let middle else { return nil }
        return Self.bands(middle, sd, up: deviationsUp, down: deviationsDown)
    }

    /// The batch loop (see `StreamingIndicator.update(contentsOf:into:placeholder:)`): over an SMA (the default), the
    /// average's and the deviation's steppers in registers, reading the prices leaving their windows from the inputs
    /// (as TA-Lib's batch does) once those are among them; over another average, one update at a time.
    public mutating func update(
        contentsOf prices: Span<Double>, into outputs: inout MutableSpan<Output>, placeholder: Output
    ) throws(IndicatorError) {
        precondition(outputs.count == prices.count, "\(prices.count) inputs but room for \(outputs.count) outputs")
        var last = value
        defer { value = last }
        let (period, deviationsUp, deviationsDown) = (self.period, self.deviationsUp, self.deviationsDown)
        let overSMA: IndicatorError?? = average.withSMA { sma in
            sma.withStepper { lentAverage in
                deviation.withStepper { lentDeviation in
                    // Local copies, kept in registers over the loop (the lent ones are in memory).
                    var (average, deviation) = (lentAverage, lentDeviation)
                    defer { (lentAverage, lentDeviation) = (average, deviation) }
                    return prices.withUnsafeBufferPointer { prices in
                        outputs.withUnsafeMutableBufferPointer { outputs in
                            // After `lag` commits the price leaving both windows is one of `prices`.
                            let lag = period - 1
                            var index = 0
                            while index < min(lag, prices.count) {
                                let price = prices[index]
                                guard price.isFinite else { return .nonFinite(field: "price", value: price) }
                                let middle = average.commit(price)
                                if let sd = deviation.commit(price), let middle {
                                    let output = Self.bands(middle, sd, up: deviationsUp, down: deviationsDown)
                                    outputs[index] = output
                                    last = output
                                } else {
                                    outputs[index] = placeholder
                                }
                                index += 1
                            }
                            let first = index
                            while index < prices.count {
                                let price = prices[index]
                                guard price.isFinite else { break }
                                let window = UnsafeBufferPointer(rebasing: prices[(index - lag)...index])
                                let middle = average.slide(price, leaving: window[0])
                                let sd = deviation.slide(price, window: window)
                                outputs[index] = Self.bands(middle, sd, up: deviationsUp, down: deviationsDown)
                                index += 1
                            }
                            guard index > first else { return nil }
                            let slid = UnsafeBufferPointer(rebasing: prices[first..<index])
                            average.catchUp(with: slid)
                            deviation.catchUp(with: slid)
                            last = outputs[index - 1]
                            return index < prices.count ? .nonFinite(field: "price", value: prices[index]) : nil
                        }
                    }
                }
            }
        }
        if let overSMA {
            if let refusal = overSMA { throw refusal }
            return
        }
        for index in prices.indices {
            let price = prices[index]
            try IndicatorError.check(price, "price")
            let output = commit(price)
            outputs[index] = output ?? placeholder
            last = output ?? last
        }
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Output? {
        let middle = try average.peek(price)
        guard let sd = try deviation.peek(price), let middle else { return nil }
        return Self.bands(middle, sd, up: deviationsUp, down: deviationsDown)
    }

    /// The bands about `middle`, as TA-Lib: the upper one fused (`middle + up × sd` rounded once), the lower not.
    @inline(__always)
    private static func bands(_ middle: Double, _ sd: Double, up: Double, down: Double) -> Output {
        Output(upper: middle.addingProduct(up, sd), middle: middle, lower: middle - down * sd)
    }
}

extension BollingerBands.Output: BatchOutput {
    /// NaN in every band.
    public static var warmUp: BollingerBands.Output { BollingerBands.Output(upper: .nan, middle: .nan, lower: .nan) }
}

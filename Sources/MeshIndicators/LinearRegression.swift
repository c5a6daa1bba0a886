#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The least-squares line through the last `period` prices, TA-Lib's LINEARREG family: its value at the newest price
/// (`LINEARREG`), its slope (`LINEARREG_SLOPE`), its intercept at the oldest price (`LINEARREG_INTERCEPT`), its slope
/// as an angle in degrees (`LINEARREG_ANGLE`) or its value one bar ahead (`TSF`). Lookback `period − 1`.
///
/// As TA-Lib 0.8: the sum of the prices, of the prices weighted by their age and of their magnitudes are kept
/// running, and computed afresh from the window every `32 × period` updates or when the price leaving, times the
/// period, exceeds a hundred times the sum of magnitudes (where running sums would have lost digits).
public struct LinearRegression: StreamingIndicator {
    /// What of the line it gives.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// `LINEARREG`: the line's value at the newest price.
        case value
        /// `LINEARREG_SLOPE`: the change per bar.
        case slope
        /// `LINEARREG_INTERCEPT`: the line's value at the oldest price.
        case intercept
        /// `LINEARREG_ANGLE`: the slope's angle in degrees.
        case angle
        /// `TSF`, the time series forecast: the line's value one bar after the newest.
        case forecast
    }

    /// What of the line it gives.
    public let kind: Kind
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public let period: Int
    private let sumX: Double
    private let divisor: Double
    private var window: Window
    private var sums = Sums()
    /// Updates left before the sums are computed afresh.
    private var countdown = 0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    private struct Sums: Codable {
        var prices = 0.0
        var weighted = 0.0
        var magnitudes = 0.0
    }

    /// The `kind` of the line through the last `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(_ kind: Kind, period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.kind = kind
        self.period = period
        let n = Double(period)
        let product = n * Double(period - 1)
        sumX = product * 0.5
        // Σx² · n, in TA-Lib's order (exact for small periods, rounded as TA-Lib rounds for large ones).
        divisor = sumX * sumX - Double(2 * period - 1) * product / 6.0 * n
        window = Window(capacity: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { period - 1 }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        if window.isFull {
            (sums, countdown) = next(price)
            window.append(price)
        } else {
            window.append(price)
            guard window.isFull else { return nil }
            sums = Self.scan(period: period) { window[age: period - 1 - $0] }
            countdown = 32 * period
        }
        let output = line(sums)
        value = output
        return output
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(price, "price")
        if window.isFull { return line(next(price).sums) }
        guard window.count == period - 1 else { return nil }
        return line(Self.scan(period: period) { $0 == period - 1 ? price : window[age: period - 2 - $0] })
    }

    /// The sums over a window afresh (`price(i)`: the i-th price, oldest first, weighted `period − 1 − i`).
    private static func scan(period: Int, price: (Int) -> Double) -> Sums {
        var sums = Sums()
        var weight = Double(period - 1)
        for index in 0..<period {
            let value = price(index)
            sums.prices += value
            sums.magnitudes += abs(value)
            sums.weighted += weight * value
            weight -= 1
        }
        return sums
    }

    /// The sums and countdown once `price` joins the full window.
    private func next(_ price: Double) -> (sums: Sums, countdown: Int) {
        let leaving = window[age: period - 1]
        let rescan = { Self.scan(period: period) { $0 == period - 1 ? price : window[age: period - 2 - $0] } }
        guard countdown > 1 else { return (rescan(), 32 * period) }
        let weightedLeaving = Double(period) * leaving
        var sums = self.sums
        sums.magnitudes = abs(price) + (sums.magnitudes - abs(leaving))
        if abs(weightedLeaving) > sums.magnitudes * 100.0 { return (rescan(), 32 * period) }
        sums.weighted = (sums.weighted + sums.prices) - weightedLeaving
        sums.prices = (sums.prices - leaving) + price
        return (sums, countdown - 1)
    }

    /// The output from the sums.
    private func line(_ sums: Sums) -> Double {
        let n = Double(period)
        let slope = (n * sums.weighted - sumX * sums.prices) / divisor
        let intercept = (sums.prices - slope * sumX) / n
        switch kind {
        case .value: return intercept.addingProduct(slope, Double(period - 1))
        case .slope: return slope
        case .intercept: return intercept
        case .angle: return atan(slope) * (180.0 / Double.pi)
        case .forecast: return intercept.addingProduct(slope, n)
        }
    }
}

/// Wilder's directional movement over `period` bars, as TA-Lib's PLUS_DM, MINUS_DM, PLUS_DI, MINUS_DI, DX, ADX and
/// ADXR keep it: +DM is the rise of the high when it beats the fall of the low (and is positive), −DM the fall of the
/// low when it beats the rise of the high; the first `period − 1` moves and true ranges are summed, later ones
/// smoothed as `total − total / period + move`.
struct DirectionalMovement: Sendable, Codable {
    let period: Int
    private var previous: (high: Double, low: Double, close: Double)?
    /// Moves seen (bars after the first).
    private(set) var moves = 0
    private(set) var plus = 0.0
    private(set) var minus = 0.0
    private(set) var trueRange = 0.0

    init(period: Int) { self.period = period }

    private enum CodingKeys: String, CodingKey {
        case period, previousHigh, previousLow, previousClose, moves, plus, minus, trueRange
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        period = try container.decode(Int.self, forKey: .period)
        if let high = try container.decodeIfPresent(Double.self, forKey: .previousHigh),
            let low = try container.decodeIfPresent(Double.self, forKey: .previousLow),
            let close = try container.decodeIfPresent(Double.self, forKey: .previousClose)
        {
            previous = (high, low, close)
        }
        moves = try container.decode(Int.self, forKey: .moves)
        plus = try container.decode(Double.self, forKey: .plus)
        minus = try container.decode(Double.self, forKey: .minus)
        trueRange = try container.decode(Double.self, forKey: .trueRange)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(period, forKey: .period)
        try container.encodeIfPresent(previous?.high, forKey: .previousHigh)
        try container.encodeIfPresent(previous?.low, forKey: .previousLow)
        try container.encodeIfPresent(previous?.close, forKey: .previousClose)
        try container.encode(moves, forKey: .moves)
        try container.encode(plus, forKey: .plus)
        try container.encode(minus, forKey: .minus)
        try container.encode(trueRange, forKey: .trueRange)
    }

    /// Takes `bar`; false for the first bar (no move yet).
    @inline(__always)
    mutating func update(_ bar: Bar) -> Bool {
        defer { previous = (bar.high, bar.low, bar.close) }
        guard let previous else { return false }
        let up = bar.high - previous.high
        let down = previous.low - bar.low
        let range = TrueRange.range(bar, previous.close)
        let n = Double(period)
        if moves >= period - 1 {
            minus -= minus / n
            plus -= plus / n
            trueRange = trueRange - trueRange / n + range
        } else {
            trueRange += range
        }
        // At most one of the two moves counts (−DM beating +DM, or +DM beating −DM); the other adds a zero, which
        // leaves a smoothed move (never negative, never −0) as it was. Without a branch, which market data
        // mispredicts half the time.
        minus += down > 0 && up < down ? down : 0
        plus += up > 0 && up > down ? up : 0
        moves += 1
        return true
    }

    /// The state after `bar`, or nil for the first bar.
    func stepped(_ bar: Bar) -> DirectionalMovement? {
        var next = self
        return next.update(bar) ? next : nil
    }

    /// +DI and −DI in percent of the smoothed true range; nil when the range is within 1e-14 of 0.
    @inline(__always)
    var indicators: (plus: Double, minus: Double)? {
        guard !isTAZero(trueRange) else { return nil }
        return (100.0 * (plus / trueRange), 100.0 * (minus / trueRange))
    }

    /// DX: `100 × |−DI − +DI| / (−DI + +DI)`; nil when either sum is within 1e-14 of 0.
    @inline(__always)
    var dx: Double? {
        guard let (plusDI, minusDI) = indicators else { return nil }
        let total = minusDI + plusDI
        guard !isTAZero(total) else { return nil }
        return 100.0 * (abs(minusDI - plusDI) / total)
    }
}

/// TA-Lib's `PLUS_DM`, `MINUS_DM`, `PLUS_DI`, `MINUS_DI` and `DX`, each over `period` bars. Lookback `period − 1`
/// for the movements, `period` for the others.
public struct DirectionalIndicator: StreamingIndicator {
    /// Which line.
    public enum Line: String, Sendable, Codable, CaseIterable {
        /// `PLUS_DM`: the smoothed +DM.
        case plusMovement = "PLUS_DM"
        /// `MINUS_DM`: the smoothed −DM.
        case minusMovement = "MINUS_DM"
        /// `PLUS_DI`: +DM in percent of the smoothed true range (0 when the range is 0).
        case plusIndicator = "PLUS_DI"
        /// `MINUS_DI`: −DM in percent of the smoothed true range.
        case minusIndicator = "MINUS_DI"
        /// `DX`: the distance between the two in percent of their sum.
        case index = "DX"
    }

    /// The line computed.
    public let line: Line
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public var period: Int { movement.period }
    private var movement: DirectionalMovement
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// The line over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(_ line: Line, period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        self.line = line
        movement = DirectionalMovement(period: period)
    }

    /// Bars consumed before the first output.
    public var lookback: Int {
        switch line {
        case .plusMovement, .minusMovement: period - 1
        case .plusIndicator, .minusIndicator, .index: period
        }
    }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard movement.update(bar), let result = output(movement) else { return nil }
        value = result
        return result
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        return movement.stepped(bar).flatMap(output)
    }

    private func output(_ movement: DirectionalMovement) -> Double? {
        guard movement.moves >= lookback else { return nil }
        switch line {
        case .plusMovement: return movement.plus
        case .minusMovement: return movement.minus
        case .plusIndicator: return movement.indicators?.plus ?? 0
        case .minusIndicator: return movement.indicators?.minus ?? 0
        case .index: return movement.dx ?? 0
        }
    }
}

/// Average directional index, TA-Lib's `ADX(timeperiod)`: the mean of the first `period` DX values, then Wilder's
/// smoothing `(adx × (period − 1) + dx) / period` (a bar whose DX is undefined leaves it as it was). Lookback
/// `2 × period − 1`.
public struct AverageDirectionalIndex: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public var period: Int { movement.period }
    private var movement: DirectionalMovement
    private var dxTotal = 0.0
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An ADX over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 2...100_000)
        movement = DirectionalMovement(period: period)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { 2 * period - 1 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    @inline(__always)  // into the batch loop
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard movement.update(bar) else { return nil }
        let (adx, total) = step(movement)
        dxTotal = total
        guard let adx else { return nil }
        value = adx
        return adx
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        try bar.check()
        guard let next = movement.stepped(bar) else { return nil }
        return step(next).adx
    }

    /// The batch loop (see `StreamingIndicator.update(contentsOf:into:placeholder:)`), in registers.
    public mutating func update(
        contentsOf bars: Span<Bar>, into outputs: inout MutableSpan<Double>, placeholder: Double
    ) throws(IndicatorError) {
        try updateInRegisters(contentsOf: bars, into: &outputs, placeholder: placeholder)
    }

    /// The ADX after the move that made `movement` (nil while seeding), and the DX total.
    @inline(__always)
    private func step(_ movement: DirectionalMovement) -> (adx: Double?, total: Double) {
        let n = period
        if movement.moves < n { return (nil, dxTotal) }
        if movement.moves < 2 * n {
            let total = dxTotal + (movement.dx ?? 0)
            return (movement.moves == 2 * n - 1 ? total / Double(n) : nil, total)
        }
        guard let adx = value else { return (nil, dxTotal) }
        guard let dx = movement.dx else { return (adx, dxTotal) }
        return ((adx * Double(n - 1) + dx) / Double(n), dxTotal)
    }
}

/// Average directional index rating, TA-Lib's `ADXR(timeperiod)`: the mean of today's ADX and the ADX of
/// `period − 1` bars before. Lookback `3 × period − 2`.
public struct AverageDirectionalIndexRating: StreamingIndicator {
    /// TA-Lib's `optInTimePeriod`: 2...100000, default 14.
    public var period: Int { adx.period }
    private var adx: AverageDirectionalIndex
    private var history: Window
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// An ADXR over `period` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 2...100000.
    public init(period: Int = 14) throws(IndicatorError) {
        adx = try AverageDirectionalIndex(period: period)
        history = Window(capacity: period)
    }

    /// Bars consumed before the first output.
    public var lookback: Int { 3 * period - 2 }

    /// Commits `bar` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ bar: Bar) throws(IndicatorError) -> Double? {
        guard let current = try adx.update(bar) else { return nil }
        history.append(current)
        guard history.isFull else { return nil }
        let rating = (current + history.oldest) / 2.0
        value = rating
        return rating
    }

    /// The output `bar` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ bar: Bar) throws(IndicatorError) -> Double? {
        guard let current = try adx.peek(bar), history.count >= period - 1 else { return nil }
        return (current + history[age: period - 2]) / 2.0
    }
}

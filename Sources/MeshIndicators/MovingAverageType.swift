/// TA-Lib's `MAType` for the indicators that take one (`APO`, `PPO`, `MACDEXT`, `BBANDS`, `STOCH`, ...), with its
/// numbers. MAMA (7) is not built.
public enum MovingAverageType: Int, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Simple.
    case sma = 0
    /// Exponential.
    case ema = 1
    /// Weighted.
    case wma = 2
    /// Double exponential.
    case dema = 3
    /// Triple exponential.
    case tema = 4
    /// Triangular.
    case trima = 5
    /// Kaufman adaptive.
    case kama = 6
    /// Tillson's T3 with volume factor 0.7 (TA-Lib's `MA` uses the default).
    case t3 = 8

    /// TA-Lib's name for it.
    public var description: String {
        switch self {
        case .sma: "SMA"
        case .ema: "EMA"
        case .wma: "WMA"
        case .dema: "DEMA"
        case .tema: "TEMA"
        case .trima: "TRIMA"
        case .kama: "KAMA"
        case .t3: "T3"
        }
    }

    /// TA-Lib's lookback of this type over `period` inputs (period 1 is the input itself).
    func lookback(period: Int) -> Int {
        guard period > 1 else { return 0 }
        switch self {
        case .sma, .ema, .wma, .trima: return period - 1
        case .dema: return 2 * (period - 1)
        case .tema: return 3 * (period - 1)
        case .kama: return period
        case .t3: return 6 * (period - 1)
        }
    }
}

/// A moving average of a type chosen at run time, started after `skip` inputs: where TA-Lib computes two averages
/// over a common range, the one with the shorter lookback starts later (its seed, its resynchronisations and all).
struct AnyMovingAverage: Sendable {
    let type: MovingAverageType
    let period: Int
    private let skip: Int
    private var skipped = 0
    // The average, in the one property of its type (none for a period of 1: the input itself). Stored optionals, not
    // an enum's payloads: an optional is mutated where it is stored, where a payload was copied out and back for
    // every update (which cost more than the averaging).
    private var sma: SMA?
    private var ema: EMA?
    private var wma: WMA?
    private var dema: DEMA?
    private var tema: TEMA?
    private var trima: TRIMA?
    private var kama: KAMA?
    private var t3: T3?

    /// A `type` average over `period` inputs (1: the input itself, as TA-Lib's `MA` gives), passing over the first
    /// `skip` inputs.
    init(_ type: MovingAverageType, period: Int, skip: Int = 0) throws(IndicatorError) {
        try IndicatorError.checkPeriod(period, in: 1...100_000)
        self.type = type
        self.period = period
        self.skip = skip
        guard period > 1 else { return }
        switch type {
        case .sma: sma = try SMA(period: period)
        case .ema: ema = try EMA(period: period)
        case .wma: wma = try WMA(period: period)
        case .dema: dema = try DEMA(period: period)
        case .tema: tema = try TEMA(period: period)
        case .trima: trima = try TRIMA(period: period)
        case .kama: kama = try KAMA(period: period)
        case .t3: t3 = try T3(period: period)
        }
    }

    /// An EMA made with its own smoothing factor and skip (MACDFIX's).
    init(ema: EMA) {
        type = .ema
        period = ema.period
        skip = 0
        self.ema = ema
    }

    /// Inputs consumed before the first output.
    var lookback: Int {
        if let ema { return skip + ema.lookback }
        return skip + type.lookback(period: period)
    }

    mutating func update(_ input: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(input, "price")
        return commit(input)
    }

    /// `update` of an input known to be finite (the indicator holding this one has checked it). Inlined where it is
    /// called, with the EMA's and the SMA's updates (MACD's and Bollinger bands' types) and a call for the others.
    @inline(__always)
    mutating func commit(_ input: Double) -> Double? {
        guard skipped >= skip else {
            skipped += 1
            return nil
        }
        guard period > 1 else { return input }
        if type == .ema { return ema!.commit(input) }
        if type == .sma { return sma!.commit(input) }
        return commitAny(input)
    }

    /// `commit` past the skip of an average over more than 1 input, of any type.
    @inline(never)
    private mutating func commitAny(_ input: Double) -> Double? {
        switch type {
        case .sma: return sma!.commit(input)
        case .ema: return ema!.commit(input)
        case .wma: return wma!.commit(input)
        case .dema: return dema!.commit(input)
        case .tema: return tema!.commit(input)
        case .trima: return trima!.commit(input)
        case .kama: return kama!.commit(input)
        case .t3: return t3!.commit(input)
        }
    }

    /// Runs `body` with the SMA this average is, in place, when it is one past its skip; nil, without running `body`,
    /// otherwise. Bollinger bands over an SMA run their batch loop on it directly.
    mutating func withSMA<Result, Failure: Error>(
        _ body: (inout SMA) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard type == .sma && period > 1 && skipped >= skip else { return nil }
        return try body(&sma!)
    }

    /// The EMA this average is, once past its skip; nil for another type or before. MACD's batch loop takes its three
    /// EMAs out to run them in registers, and puts them back (set only to an EMA taken from here).
    var exponential: EMA? {
        get { type == .ema && period > 1 && skipped >= skip ? ema : nil }
        set {
            precondition(exponential != nil && newValue != nil, "only an EMA taken out of an average goes back in")
            ema = newValue
        }
    }

    func peek(_ input: Double) throws(IndicatorError) -> Double? {
        try IndicatorError.check(input, "price")
        guard skipped >= skip else { return nil }
        guard period > 1 else { return input }
        switch type {
        case .sma: return try sma!.peek(input)
        case .ema: return try ema!.peek(input)
        case .wma: return try wma!.peek(input)
        case .dema: return try dema!.peek(input)
        case .tema: return try tema!.peek(input)
        case .trima: return try trima!.peek(input)
        case .kama: return try kama!.peek(input)
        case .t3: return try t3!.peek(input)
        }
    }
}

extension AnyMovingAverage: Codable {
    /// The saved form of the average: a case of its type, with its state (the form states have always been saved in).
    private enum Saved: Codable {
        case identity
        case sma(SMA)
        case ema(EMA)
        case wma(WMA)
        case dema(DEMA)
        case tema(TEMA)
        case trima(TRIMA)
        case kama(KAMA)
        case t3(T3)
    }

    private enum CodingKeys: String, CodingKey {
        case type, period, skip, skipped, average
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(MovingAverageType.self, forKey: .type)
        period = try container.decode(Int.self, forKey: .period)
        skip = try container.decode(Int.self, forKey: .skip)
        skipped = try container.decode(Int.self, forKey: .skipped)
        switch (try container.decode(Saved.self, forKey: .average), type) {
        case (.identity, _) where period == 1: break
        case (.sma(let average), .sma) where period > 1: sma = average
        case (.ema(let average), .ema) where period > 1: ema = average
        case (.wma(let average), .wma) where period > 1: wma = average
        case (.dema(let average), .dema) where period > 1: dema = average
        case (.tema(let average), .tema) where period > 1: tema = average
        case (.trima(let average), .trima) where period > 1: trima = average
        case (.kama(let average), .kama) where period > 1: kama = average
        case (.t3(let average), .t3) where period > 1: t3 = average
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .average, in: container,
                debugDescription: "the saved average is not a \(type) over \(period) inputs: a corrupt state")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(period, forKey: .period)
        try container.encode(skip, forKey: .skip)
        try container.encode(skipped, forKey: .skipped)
        let saved: Saved
        switch type {
        case _ where period == 1: saved = .identity
        case .sma: saved = .sma(sma!)
        case .ema: saved = .ema(ema!)
        case .wma: saved = .wma(wma!)
        case .dema: saved = .dema(dema!)
        case .tema: saved = .tema(tema!)
        case .trima: saved = .trima(trima!)
        case .kama: saved = .kama(kama!)
        case .t3: saved = .t3(t3!)
        }
        try container.encode(saved, forKey: .average)
    }
}

/// TA-Lib's `MA(timeperiod, matype)`: the moving average of the type chosen (a period of 1 gives the price itself).
/// Lookback the type's.
public struct MovingAverage: StreamingIndicator {
    /// TA-Lib's `optInMAType`.
    public var type: MovingAverageType { average.type }
    /// TA-Lib's `optInTimePeriod`: 1...100000, default 30.
    public var period: Int { average.period }
    private var average: AnyMovingAverage
    /// The last output; nil during the warm-up.
    public private(set) var value: Double?

    /// A `type` average over `period` prices.
    /// - Throws: `IndicatorError.invalidParameter` for a period outside 1...100000.
    public init(period: Int = 30, type: MovingAverageType = .sma) throws(IndicatorError) {
        average = try AnyMovingAverage(type, period: period)
    }

    /// Prices consumed before the first output.
    public var lookback: Int { average.lookback }

    /// Commits `price` and returns the new output (see `StreamingIndicator.update`).
    public mutating func update(_ price: Double) throws(IndicatorError) -> Double? {
        let output = try average.update(price)
        if let output { value = output }
        return output
    }

    /// The output `price` would give, committing nothing (see `StreamingIndicator.peek`).
    public func peek(_ price: Double) throws(IndicatorError) -> Double? { try average.peek(price) }
}

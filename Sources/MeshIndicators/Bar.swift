/// One bar of a price series: open, high, low, close and volume, the input of the indicators that read more than one
/// price (TA-Lib's `inOpen`, `inHigh`, `inLow`, `inClose`, `inVolume`).
public struct Bar: Sendable, Codable, Equatable {
    /// The first trade's price.
    public var open: Double
    /// The highest price.
    public var high: Double
    /// The lowest price.
    public var low: Double
    /// The last trade's price.
    public var close: Double
    /// The quantity traded.
    public var volume: Double

    /// A bar from its prices and volume.
    public init(open: Double, high: Double, low: Double, close: Double, volume: Double = 0) {
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    /// Refuses a bar with a NaN or infinite field, naming it. (Whether high ≥ low and the rest is for the feed that
    /// built the bar to check; an indicator computes what TA-Lib would.)
    @inline(__always)
    func check() throws(IndicatorError) {
        try IndicatorError.check(open, "open")
        try IndicatorError.check(high, "high")
        try IndicatorError.check(low, "low")
        try IndicatorError.check(close, "close")
        try IndicatorError.check(volume, "volume")
    }

    /// (high + low + close) / 3, in TA-Lib's order.
    var typicalPrice: Double { (high + low + close) / 3.0 }
}

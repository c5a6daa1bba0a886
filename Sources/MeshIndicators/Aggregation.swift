/// One trade: when (UTC milliseconds since the Unix epoch), at what price, how much.
public struct Tick: Sendable, Codable, Equatable {
    /// Milliseconds since 1970-01-01T00:00Z.
    public var time: Int64
    /// The trade's price: finite and above 0.
    public var price: Double
    /// The quantity traded: finite and at least 0.
    public var size: Double

    /// A trade at `time`.
    public init(time: Int64, price: Double, size: Double) {
        self.time = time
        self.price = price
        self.size = size
    }

    /// Why the tick cannot be used, or nil.
    public var problem: String? {
        if !(Timeframe.earliest...Timeframe.latest).contains(time) { return "time \(time) is outside years 1...9999" }
        if !price.isFinite || price <= 0 { return "price \(price) is not a finite number above 0" }
        if !size.isFinite || size < 0 { return "size \(size) is not a finite number of at least 0" }
        return nil
    }
}

/// A bar of a timeframe: when its interval starts, its OHLCV, and, when known, its volume-weighted average price and
/// number of trades (bars read from a file that has no such columns leave them nil).
public struct TimeBar: Sendable, Codable, Equatable {
    /// The interval's start, UTC milliseconds since the Unix epoch.
    public var start: Int64
    /// Open, high, low, close and volume.
    public var bar: Bar
    /// Σ(price × size) / Σ size of its trades (the close when no size traded); nil when unknown.
    public var vwap: Double?
    /// How many trades made it; nil when unknown.
    public var trades: Int?

    /// A bar starting at `start`.
    public init(start: Int64, bar: Bar, vwap: Double? = nil, trades: Int? = nil) {
        self.start = start
        self.bar = bar
        self.vwap = vwap
        self.trades = trades
    }
}

/// Ticks into time bars (`Specs/indicators.md`, section 6).
///
/// A bar closes once a tick at or after its end plus `grace` has been seen (the watermark: the latest tick time seen,
/// less the grace), or when `close(upTo:)` is told the time has passed it. Until then ticks out of order are
/// welcome: open and close are the prices of the earliest and latest ticks by time, not by arrival. A tick for an
/// interval already closed is late: it is not used, and counted in `lateTicks` — never silently dropped. Intervals
/// without trades give no bar, or, with `fillGaps`, a flat bar at the previous close with no volume (at most
/// `maxGapFill` per gap). At most `maxOpenBars` are open at once; a tick that would open one more closes the oldest.
public struct BarAggregator: Sendable {
    /// What happened to a tick.
    public enum Outcome: Sendable, Equatable {
        /// It is in a bar still open.
        case accepted
        /// Its interval had closed: not used, counted in `lateTicks`.
        case late
    }

    /// A tick that cannot be used: what is wrong with it.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// What was wrong.
        public let reason: String
        /// The reason.
        public var description: String { reason }
    }

    /// The bars' timeframe.
    public let timeframe: Timeframe
    /// How long after an interval's end its bar stays open for ticks that arrive late, in milliseconds.
    public let grace: Int64
    /// Whether intervals without trades give flat bars.
    public let fillGaps: Bool
    /// The most bars open at once.
    public static let maxOpenBars = 64
    /// The most flat bars one gap is filled with.
    public static let maxGapFill = 10_000

    private var open: [Forming] = []
    private var watermark = Int64.min
    private var lastClosed: TimeBar?
    /// Ticks that came after their interval had closed.
    public private(set) var lateTicks = 0

    private struct Forming: Sendable {
        var start: Int64
        var end: Int64
        var bar: Bar
        var openTime: Int64
        var closeTime: Int64
        var notional: Double
        var trades: Int

        var timeBar: TimeBar {
            TimeBar(start: start, bar: bar, vwap: bar.volume > 0 ? notional / bar.volume : bar.close, trades: trades)
        }
    }

    /// An aggregator into `timeframe` bars.
    /// - Throws: `IndicatorError.invalidParameter` for a negative grace or one over a day.
    public init(timeframe: Timeframe, grace: Int64 = 0, fillGaps: Bool = false) throws(IndicatorError) {
        guard (0...86_400_000).contains(grace) else {
            throw .invalidParameter(name: "grace", value: "\(grace) ms", expected: "0...86400000 ms")
        }
        self.timeframe = timeframe
        self.grace = grace
        self.fillGaps = fillGaps
    }

    /// Adds `tick`; appends the bars it closes to `closed`, oldest first.
    /// - Throws: `Refusal` for a tick with a time outside years 1...9999, a price not above 0 or a negative size; the
    ///   aggregator is unchanged.
    @discardableResult
    public mutating func add(_ tick: Tick, closing closed: inout [TimeBar]) throws(Refusal) -> Outcome {
        if let problem = tick.problem { throw Refusal(reason: problem) }
        let (start, end) = timeframe.interval(containing: tick.time)
        let outcome: Outcome
        if let index = open.firstIndex(where: { $0.start == start }) {
            Self.merge(tick, into: &open[index])
            outcome = .accepted
        } else if let lastClosed, start <= lastClosed.start {
            lateTicks += 1
            outcome = .late
        } else if end + grace <= watermark {
            lateTicks += 1
            outcome = .late
        } else {
            let bar = Bar(open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: tick.size)
            let forming = Forming(
                start: start, end: end, bar: bar, openTime: tick.time, closeTime: tick.time,
                notional: tick.price * tick.size, trades: 1)
            let position = open.firstIndex { $0.start > start } ?? open.count
            open.insert(forming, at: position)
            if open.count > Self.maxOpenBars { emit(open.removeFirst(), into: &closed) }
            outcome = .accepted
        }
        watermark = max(watermark, tick.time)
        close(upTo: watermark, into: &closed)
        return outcome
    }

    /// Closes every bar whose end plus the grace is at or before `now` (the clock has passed it without a tick),
    /// appending them to `closed`, oldest first.
    public mutating func close(upTo now: Int64, into closed: inout [TimeBar]) {
        while let first = open.first, first.end + grace <= now {
            emit(open.removeFirst(), into: &closed)
        }
    }

    /// Closes every open bar (the feed has ended), appending them to `closed`, oldest first.
    public mutating func finish(into closed: inout [TimeBar]) {
        while !open.isEmpty { emit(open.removeFirst(), into: &closed) }
    }

    /// When the oldest open bar closes without a later tick: its end plus the grace; nil with no bar open.
    public var nextClose: Int64? { open.first.map { $0.end + grace } }

    /// The newest bar still open, as it stands: what a peek at the forming bar reads.
    public var forming: TimeBar? { open.last?.timeBar }

    private static func merge(_ tick: Tick, into forming: inout Forming) {
        if tick.time < forming.openTime {
            forming.openTime = tick.time
            forming.bar.open = tick.price
        }
        if tick.time >= forming.closeTime {
            forming.closeTime = tick.time
            forming.bar.close = tick.price
        }
        forming.bar.high = max(forming.bar.high, tick.price)
        forming.bar.low = min(forming.bar.low, tick.price)
        forming.bar.volume += tick.size
        forming.notional += tick.price * tick.size
        forming.trades += 1
    }

    private mutating func emit(_ forming: Forming, into closed: inout [TimeBar]) {
        if fillGaps, let previous = lastClosed {
            var filled = 0
            var start = timeframe.interval(containing: previous.start).end
            while start < forming.start && filled < Self.maxGapFill {
                let price = previous.bar.close
                closed.append(
                    TimeBar(
                        start: start, bar: Bar(open: price, high: price, low: price, close: price, volume: 0),
                        vwap: price, trades: 0))
                start = timeframe.interval(containing: start).end
                filled += 1
            }
        }
        let bar = forming.timeBar
        closed.append(bar)
        lastClosed = bar
    }
}

/// Bars into bars of a longer timeframe: open of the first, highest high, lowest low, close of the last, volumes and
/// trade counts added, VWAP weighted by volume (nil when any part's is unknown). An input bar belongs to the interval
/// that contains its start; inputs must come in time order.
public struct Resampler: Sendable {
    /// A bar out of time order: why it was refused.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// What was wrong.
        public let reason: String
        /// The reason.
        public var description: String { reason }
    }

    /// The output timeframe.
    public let timeframe: Timeframe
    private var current: TimeBar?
    private var end: Int64 = 0
    private var notional = 0.0
    private var vwapKnown = true
    private var lastStart = Int64.min

    /// A resampler into `timeframe` bars.
    public init(timeframe: Timeframe) { self.timeframe = timeframe }

    /// Adds `input`; the longer bar it completes, if any.
    /// - Throws: `Refusal` for a bar that starts before the previous one, or a time outside years 1...9999; the
    ///   resampler is unchanged.
    public mutating func add(_ input: TimeBar) throws(Refusal) -> TimeBar? {
        guard (Timeframe.earliest...Timeframe.latest).contains(input.start) else {
            throw Refusal(reason: "time \(input.start) is outside years 1...9999")
        }
        guard input.start >= lastStart else {
            throw Refusal(reason: "a bar at \(input.start) came after one at \(lastStart): bars must be in time order")
        }
        lastStart = input.start
        var completed: TimeBar?
        if current != nil, input.start >= end { completed = finish() }
        guard var bar = current else {
            let interval = timeframe.interval(containing: input.start)
            end = interval.end
            current = TimeBar(start: interval.start, bar: input.bar, vwap: input.vwap, trades: input.trades)
            notional = (input.vwap ?? 0) * input.bar.volume
            vwapKnown = input.vwap != nil
            return completed
        }
        bar.bar.high = max(bar.bar.high, input.bar.high)
        bar.bar.low = min(bar.bar.low, input.bar.low)
        bar.bar.close = input.bar.close
        bar.bar.volume += input.bar.volume
        bar.trades = bar.trades.flatMap { mine in input.trades.map { mine + $0 } }
        vwapKnown = vwapKnown && input.vwap != nil
        notional += (input.vwap ?? 0) * input.bar.volume
        bar.vwap = vwapKnown ? (bar.bar.volume > 0 ? notional / bar.bar.volume : bar.bar.close) : nil
        current = bar
        return completed
    }

    /// The longer bar being formed, as it stands.
    public var forming: TimeBar? { current }

    /// Ends the current longer bar (the input has ended) and returns it.
    public mutating func finish() -> TimeBar? {
        defer { current = nil }
        return current
    }
}

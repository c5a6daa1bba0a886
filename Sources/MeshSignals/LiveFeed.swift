public import MeshIndicators

/// A node's live price feed (`Specs/indicators.md`, section 7): ticks and bars of the symbols its strategies trade,
/// given one record at a time as they arrive (stdin, a named pipe, `feed.push`), made into closed bars of one
/// timeframe for the `SignalEngine`.
///
/// Ticks are aggregated (`BarAggregator`, with a grace for late trades); bars must be of the feed's timeframe (their
/// start on one of its boundaries) and in time order. A bar closes when a later tick shows the clock has passed its
/// end plus the grace, or — while the feed is live, its newest tick no more than `liveWindow` (or one bar and the
/// grace, when longer) behind the node's clock — when the node's clock passes it, so that a quiet market still
/// closes its bars. A feed replaying old ticks is not live: its own times close its bars, never the clock.
public struct LiveFeed: Sendable {
    /// How far the newest tick of a symbol may be behind the node's clock for the clock to close its bars.
    public static let liveWindow: Int64 = 60_000

    /// The timeframe of the feed's bars, and of the bars ticks are made into.
    public let timeframe: Timeframe
    /// Milliseconds a tick may arrive after its bar's end and still count.
    public let grace: Int64
    /// The symbols used (the strategies'); records of others are counted and left out.
    public let symbols: [String]
    private var states: [String: SymbolState]
    /// The node's clock when last told (ms since the epoch).
    private var clock = Int64.min
    /// How far behind the clock a symbol's newest tick may be for the clock to close its bars.
    private let window: Int64

    /// Records given (used or not).
    public private(set) var records = 0
    /// Records of symbols no strategy trades.
    public private(set) var unusedRecords = 0
    /// Records refused, with the last reason.
    public private(set) var refused = 0
    /// Why the last refused record was refused.
    public private(set) var lastRefusal: String?
    /// Closed bars given to the strategies.
    public private(set) var bars = 0

    private struct SymbolState: Sendable {
        var aggregator: BarAggregator
        var ofTicks: Bool?
        var lastBarStart = Int64.min
        var newestTick = Int64.min
    }

    /// A feed of `symbols`' records into `timeframe` bars, ticks waiting `grace` ms for late trades.
    /// - Throws: `IndicatorError.invalidParameter` for a grace outside 0...86400000.
    public init(symbols: [String], timeframe: Timeframe, grace: Int64 = 0) throws(IndicatorError) {
        self.timeframe = timeframe
        self.grace = grace
        self.symbols = Array(Set(symbols.map { $0.uppercased() })).sorted()
        window = max(Self.liveWindow, Self.length(timeframe) + grace)
        let aggregator = try BarAggregator(timeframe: timeframe, grace: grace)
        states = Dictionary(uniqueKeysWithValues: self.symbols.map { ($0, SymbolState(aggregator: aggregator)) })
    }

    /// The default timeframe of a node's feed: the shortest of its strategies' (longer ones are resampled from it).
    public static func shortest(_ timeframes: [Timeframe]) -> Timeframe? {
        timeframes.min { length($0) < length($1) }
    }

    private static func length(_ timeframe: Timeframe) -> Int64 {
        // The interval after 2001-01-01: months, quarters and years compared by one of their lengths.
        let interval = timeframe.interval(containing: 978_307_200_000)
        return interval.end - interval.start
    }

    /// Adds `record` (a record without a symbol is of the only symbol when there is one) at the node's clock `now`
    /// (ms since the epoch); the bars it closes, oldest first.
    /// - Throws: `Feed.Refusal` saying what was wrong; nothing changes but the counts.
    public mutating func add(
        _ record: Feed.Record, clock now: Int64
    ) throws(Feed.Refusal) -> [(symbol: String, bar: TimeBar)] {
        records += 1
        clock = now
        do {
            return try accept(record)
        } catch {
            refused += 1
            lastRefusal = error.reason
            throw error
        }
    }

    /// Counts a record that could not even be read (bad JSON, a missing field): `reason` says why.
    public mutating func noteUnreadable(_ reason: String) {
        records += 1
        refused += 1
        lastRefusal = reason
    }

    private mutating func accept(_ record: Feed.Record) throws(Feed.Refusal) -> [(symbol: String, bar: TimeBar)] {
        let named: String?
        switch record {
        case .tick(_, let symbol), .bar(_, let symbol): named = symbol
        }
        guard let symbol = named?.uppercased() ?? (symbols.count == 1 ? symbols[0] : nil) else {
            throw Feed.Refusal(
                reason: "no \"symbol\" (this node's strategies trade \(symbols.joined(separator: ", ")))")
        }
        guard var state = states[symbol] else {
            unusedRecords += 1
            return []
        }
        var closed: [TimeBar] = []
        switch record {
        case .tick(let tick, _):
            guard state.ofTicks != false else {
                throw Feed.Refusal(
                    reason: "a tick of \(symbol), whose feed has been of bars: a feed is one or the other")
            }
            do {
                try state.aggregator.add(tick, closing: &closed)
            } catch {
                throw Feed.Refusal(reason: error.reason)
            }
            state.ofTicks = true
            state.newestTick = max(state.newestTick, tick.time)
        case .bar(let bar, _):
            guard state.ofTicks != true else {
                throw Feed.Refusal(
                    reason: "a bar of \(symbol), whose feed has been of ticks: a feed is one or the other")
            }
            guard (Timeframe.earliest...Timeframe.latest).contains(bar.start) else {
                throw Feed.Refusal(reason: "time \(bar.start) is outside years 1...9999")
            }
            guard timeframe.interval(containing: bar.start).start == bar.start else {
                throw Feed.Refusal(
                    reason: "a bar at \(Feed.label(bar.start)) does not start a \(timeframe) bar (the feed's "
                        + "timeframe; set it to the bars')")
            }
            guard bar.start > state.lastBarStart else {
                throw Feed.Refusal(
                    reason: "a bar of \(symbol) at \(Feed.label(bar.start)) is not after the previous one at "
                        + Feed.label(state.lastBarStart))
            }
            state.lastBarStart = bar.start
            state.ofTicks = false
            closed.append(bar)
        }
        states[symbol] = state
        bars += closed.count
        return closed.map { (symbol, $0) }
    }

    /// Closes the bars the node's clock (`now`, ms since the epoch) has passed, for the symbols whose feed is live.
    public mutating func close(clock now: Int64) -> [(symbol: String, bar: TimeBar)] {
        clock = now
        var output: [(symbol: String, bar: TimeBar)] = []
        for symbol in symbols {
            guard var state = states[symbol], isLive(state),
                let due = state.aggregator.nextClose, due <= now
            else { continue }
            var closed: [TimeBar] = []
            state.aggregator.close(upTo: now, into: &closed)
            states[symbol] = state
            output += closed.map { (symbol, $0) }
        }
        bars += output.count
        return output
    }

    /// When the clock next closes a bar (ms since the epoch; at or before the clock last told when one is due now);
    /// nil when none will.
    public var nextClose: Int64? {
        symbols.compactMap { symbol in states[symbol].flatMap { isLive($0) ? $0.aggregator.nextClose : nil } }.min()
    }

    /// Ticks that came after their bar had closed, over every symbol.
    public var lateTicks: Int { states.values.reduce(0) { $0 + $1.aggregator.lateTicks } }

    /// The feed has ended: every bar still forming, closed.
    public mutating func finish() -> [(symbol: String, bar: TimeBar)] {
        var output: [(symbol: String, bar: TimeBar)] = []
        for symbol in symbols {
            guard var state = states[symbol] else { continue }
            var closed: [TimeBar] = []
            state.aggregator.finish(into: &closed)
            states[symbol] = state
            output += closed.map { (symbol, $0) }
        }
        bars += output.count
        return output
    }

    private func isLive(_ state: SymbolState) -> Bool {
        state.ofTicks == true && state.newestTick >= clock &- window
    }
}

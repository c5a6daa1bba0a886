import Foundation
public import MeshIndicators

/// How following a strategy's signals would have done over past bars (`Specs/strategies.md`, section 4).
///
/// Signals are acted on at the close of the bar that gave them (they are known then, not before): a buy entry goes
/// long (covering a short), a sell entry goes short (selling a long), a buy exit covers a short, a sell exit sells a
/// long, and a flat signal of either kind closes any position. One unit of equity, fully invested, no costs; equity
/// moves with the close while a position is held.
public struct Backtest: Sendable {
    /// A position from its opening signal to the one that closed it (or the last bar).
    public struct Trade: Sendable, Codable, Equatable {
        /// Buy (long) or sell (short).
        public let side: Strategy.Side
        /// When it opened (the start of the signal's bar).
        public let entryTime: Int64
        /// The close it opened at.
        public let entryPrice: Double
        /// When it closed (the last bar for one still open).
        public let exitTime: Int64
        /// The close it closed at.
        public let exitPrice: Double
        /// Its return, as a fraction (0.05 is 5%), sign-adjusted for shorts.
        public let profit: Double
        /// Whether it was still open at the last bar.
        public let open: Bool
    }

    /// The figures.
    public struct Report: Sendable, Codable, Equatable {
        /// The strategy's id.
        public let strategy: String
        /// Its symbol.
        public let symbol: String
        /// Its timeframe.
        public let timeframe: String
        /// Bars read.
        public let bars: Int
        /// The first bar's start.
        public let from: Int64?
        /// The last bar's start.
        public let to: Int64?
        /// Signals given.
        public let signals: Int
        /// Entries among them.
        public let entries: Int
        /// Exits among them.
        public let exits: Int
        /// N of "return after N bars".
        public let horizon: Int
        /// Buy and sell entries with `horizon` bars after them.
        public let evaluated: Int
        /// The share of those whose price moved their way after `horizon` bars; nil with none evaluated.
        public let hitRate: Double?
        /// Their average return after `horizon` bars (a fraction, sign-adjusted for sells); nil with none.
        public let averageReturn: Double?
        /// Following the signals: the final equity less 1.
        public let totalReturn: Double
        /// The largest fall of equity from a previous peak, as a fraction of the peak.
        public let maxDrawdown: Double
        /// Holding from the first bar's close to the last's, for comparison.
        public let buyAndHoldReturn: Double
        /// The share of bars a position was held through.
        public let exposure: Double
        /// The positions taken.
        public let trades: [Trade]
    }

    /// The most bars a backtest reads.
    public static let maxBars = 10_000_000

    /// Runs `strategy` over `bars` (oldest first): its signals, and the report with returns after `horizon` bars.
    /// - Throws: `IndicatorError.nonFinite` for a bar with a NaN or infinite field.
    public static func run(
        _ strategy: Strategy, bars: [TimeBar], horizon: Int = 5
    ) throws(IndicatorError) -> (signals: [Signal], report: Report) {
        var runner = StrategyRunner(strategy)
        var signals: [Signal] = []
        var barOfSignal: [Int] = []
        var equity = 1.0
        var peak = 1.0
        var maxDrawdown = 0.0
        var position = 0.0
        var opened: (side: Strategy.Side, time: Int64, price: Double)?
        var trades: [Trade] = []
        var heldBars = 0
        for (index, bar) in bars.prefix(maxBars).enumerated() {
            if index > 0, position != 0 {
                let previous = bars[index - 1].bar.close
                equity *= 1 + position * (bar.bar.close / previous - 1)
                heldBars += 1
                peak = max(peak, equity)
                maxDrawdown = max(maxDrawdown, (peak - equity) / peak)
            }
            for signal in try runner.update(bar) {
                signals.append(signal)
                barOfSignal.append(index)
                let target = Self.position(after: signal, from: position)
                guard target != position else { continue }
                if let trade = opened {
                    trades.append(Self.close(trade, at: bar, open: false))
                    opened = nil
                }
                position = target
                if target != 0 { opened = (target > 0 ? .buy : .sell, bar.start, bar.bar.close) }
            }
        }
        if let trade = opened, let last = bars.last { trades.append(Self.close(trade, at: last, open: true)) }

        var evaluated = 0
        var hits = 0
        var total = 0.0
        for (signal, index) in zip(signals, barOfSignal) where signal.kind == .entry && signal.side != .flat {
            guard index + horizon < bars.count, horizon > 0 else { continue }
            let move = bars[index + horizon].bar.close / bars[index].bar.close - 1
            let directed = signal.side == .buy ? move : -move
            evaluated += 1
            total += directed
            if directed > 0 { hits += 1 }
        }
        let first = bars.first?.bar.close ?? 1
        let report = Report(
            strategy: strategy.id, symbol: strategy.symbol, timeframe: strategy.timeframe.description, bars: bars.count,
            from: bars.first?.start, to: bars.last?.start, signals: signals.count,
            entries: signals.filter { $0.kind == .entry }.count, exits: signals.filter { $0.kind == .exit }.count,
            horizon: horizon, evaluated: evaluated,
            hitRate: evaluated > 0 ? Double(hits) / Double(evaluated) : nil,
            averageReturn: evaluated > 0 ? total / Double(evaluated) : nil, totalReturn: equity - 1,
            maxDrawdown: maxDrawdown, buyAndHoldReturn: (bars.last?.bar.close ?? first) / first - 1,
            exposure: bars.count > 1 ? Double(heldBars) / Double(bars.count - 1) : 0, trades: trades)
        return (signals, report)
    }

    /// The position (−1, 0, 1) after acting on `signal` holding `position`.
    static func position(after signal: Signal, from position: Double) -> Double {
        switch (signal.kind, signal.side) {
        case (_, .flat): 0
        case (.entry, .buy): 1
        case (.entry, .sell): -1
        case (.exit, .buy): position < 0 ? 0 : position
        case (.exit, .sell): position > 0 ? 0 : position
        }
    }

    private static func close(
        _ trade: (side: Strategy.Side, time: Int64, price: Double), at bar: TimeBar, open: Bool
    ) -> Trade {
        let move = bar.bar.close / trade.price - 1
        return Trade(
            side: trade.side, entryTime: trade.time, entryPrice: trade.price, exitTime: bar.start,
            exitPrice: bar.bar.close, profit: trade.side == .buy ? move : -move, open: open)
    }
}

/// The backtest drawn: the close as a line, buy signals as green triangles below it, sell signals as red triangles
/// above it, exits hollow, flat signals grey; the date range and price range on the axes (a logarithmic price axis
/// when the highest close is more than 8 times the lowest). Plain SVG text.
public enum BacktestChart {
    /// At most this many points of the price line are drawn (longer series are sampled evenly).
    public static let maxPoints = 20_000

    /// The chart of `bars` with `signals` marked, titled `title`.
    public static func svg(bars: [TimeBar], signals: [Signal], title: String, timed: Bool = true) -> String {
        let width = 1000.0
        let height = 420.0
        let (left, right, top, bottom) = (70.0, 20.0, 40.0, 40.0)
        let closes = bars.map(\.bar.close)
        let low = closes.min() ?? 0
        let high = closes.max() ?? 1
        let logarithmic = low > 0 && high / low > 8
        let (bottomValue, topValue) = logarithmic ? (log(low), log(high)) : (low, high)
        let span = topValue > bottomValue ? topValue - bottomValue : 1
        let count = max(bars.count - 1, 1)
        var indexOfTime: [Int64: Int] = [:]
        for (index, bar) in bars.enumerated() { indexOfTime[bar.start] = index }
        func x(_ index: Int) -> Double { left + (width - left - right) * Double(index) / Double(count) }
        func y(_ price: Double) -> Double {
            let value = logarithmic ? log(max(price, low)) : price
            return top + (height - top - bottom) * (1 - (value - bottomValue) / span)
        }
        let stride = max(1, bars.count / maxPoints)
        var points: [String] = []
        for index in Swift.stride(from: 0, to: bars.count, by: stride) {
            points.append(String(format: "%.1f,%.1f", x(index), y(closes[index])))
        }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(left))" y="22" font-size="15">\(escape(title))</text>
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" stroke="#999"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="#999"/>
            <text x="\(left - 6)" y="\(top + 4)" text-anchor="end">\(format(high))</text>
            <text x="\(left - 6)" y="\(height - bottom)" text-anchor="end">\(format(low))</text>
            <text x="\(left - 6)" y="\((top + height - bottom) / 2)" text-anchor="end">\(logarithmic ? "log" : "")</text>

            """
        if let first = bars.first, let last = bars.last {
            svg += """
                <text x="\(left)" y="\(height - bottom + 18)">\(label(first.start, timed: timed))</text>
                <text x="\(width - right)" y="\(height - bottom + 18)" text-anchor="end">\(label(last.start, timed: timed))</text>

                """
        }
        svg +=
            "<polyline fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"1\" points=\"\(points.joined(separator: " "))\"/>\n"
        for signal in signals {
            guard let index = indexOfTime[signal.time] else { continue }
            let (px, py) = (x(index), y(signal.price))
            let colour = signal.side == .buy ? "#1a9641" : signal.side == .sell ? "#d7191c" : "#777"
            let fill = signal.kind == .entry && signal.side != .flat ? colour : "none"
            let shape: String
            switch signal.side {
            case .buy:
                shape = String(format: "%.1f,%.1f %.1f,%.1f %.1f,%.1f", px, py + 6, px - 5, py + 15, px + 5, py + 15)
            case .sell:
                shape = String(format: "%.1f,%.1f %.1f,%.1f %.1f,%.1f", px, py - 6, px - 5, py - 15, px + 5, py - 15)
            case .flat:
                shape = String(
                    format: "%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f", px, py - 5, px + 5, py, px, py + 5, px - 5, py)
            }
            svg += "<polygon points=\"\(shape)\" fill=\"\(fill)\" stroke=\"\(colour)\">"
            svg +=
                "<title>\(escape("\(signal.side.rawValue) \(signal.kind.rawValue) (\(signal.rule)) at \(format(signal.price)), \(label(signal.time, timed: timed))"))</title></polygon>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// A bar start as a UTC date (and time when not midnight), or the bar's number for untimed bars.
    static func label(_ time: Int64, timed: Bool) -> String { timed ? Feed.label(time) : "bar \(time)" }

    private static func format(_ value: Double) -> String { String(format: "%.2f", value) }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

public import MeshIndicators

/// The strategies a node runs (`Specs/strategies.md`, section 5): each bar of the node's feed goes to the strategies
/// of its symbol — as it is when it is of the strategy's timeframe, resampled into it when shorter — and the signals
/// they give are returned and kept, the last `capacity` of them, for `signals.list`.
public struct SignalEngine: Sendable {
    /// The most strategies a node runs.
    public static let maxStrategies = 32
    /// How many recent signals are kept.
    public static let capacity = 1024

    /// The strategies, in the order given.
    public let strategies: [Strategy]
    private var runners: [StrategyRunner]
    private var resamplers: [Resampler?]
    /// The most recent signals, oldest first (at most `capacity`).
    public private(set) var recent: [Signal] = []
    /// Signals given since the start.
    public private(set) var given = 0
    /// Bars refused (a non-finite field, or out of time order for a strategy that resamples).
    public private(set) var refusedBars = 0

    /// An engine running `strategies`.
    /// - Throws: `StrategyError` for more than `maxStrategies` or two strategies with one id.
    public init(strategies: [Strategy] = []) throws(StrategyError) {
        guard strategies.count <= Self.maxStrategies else {
            throw StrategyError(place: "strategies", problem: "more than \(Self.maxStrategies)")
        }
        var ids: Set<String> = []
        for strategy in strategies where !ids.insert(strategy.id).inserted {
            throw StrategyError(place: strategy.id, problem: "two strategies have this id")
        }
        self.strategies = strategies
        runners = strategies.map(StrategyRunner.init)
        resamplers = Array(repeating: nil, count: strategies.count)
    }

    /// The symbols the strategies trade, sorted.
    public var symbols: [String] { Array(Set(strategies.map(\.symbol))).sorted() }

    /// Feeds `bar` of `symbol` (a bar of `timeframe`, nil when unknown) to the strategies of that symbol; the
    /// signals they give, in strategy order.
    public mutating func feed(symbol: String, bar: TimeBar, timeframe: Timeframe?) -> [Signal] {
        var signals: [Signal] = []
        let wanted = symbol.uppercased()
        for index in strategies.indices where strategies[index].symbol == wanted {
            var bars = [bar]
            if timeframe != strategies[index].timeframe {
                if resamplers[index] == nil { resamplers[index] = Resampler(timeframe: strategies[index].timeframe) }
                do {
                    bars = try resamplers[index]?.add(bar).map { [$0] } ?? []
                } catch {
                    refusedBars += 1
                    continue
                }
            }
            for closed in bars {
                do {
                    signals += try runners[index].update(closed)
                } catch {
                    refusedBars += 1
                }
            }
        }
        given += signals.count
        recent += signals
        if recent.count > Self.capacity { recent.removeFirst(recent.count - Self.capacity) }
        return signals
    }
}

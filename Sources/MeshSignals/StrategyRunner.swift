public import MeshIndicators

/// A trading signal a strategy gave on a closed bar: what to do, how strongly, and the values that decided it.
/// (The signed, gossiped record that carries it between nodes is `Specs/gossip.md`'s.)
public struct Signal: Sendable, Codable, Equatable {
    /// The strategy's id.
    public let strategy: String
    /// The rule that fired.
    public let rule: String
    /// The symbol.
    public let symbol: String
    /// The bars' timeframe (`1d`).
    public let timeframe: String
    /// The start of the bar that gave it, UTC milliseconds since the epoch.
    public let time: Int64
    /// That bar's close.
    public let price: Double
    /// Buy, sell or flat.
    public let side: Strategy.Side
    /// Entry or exit.
    public let kind: Strategy.Kind
    /// 0...1.
    public let strength: Double
    /// Every indicator output (`macd.macdsignal`) and the close on that bar; outputs still warming up are left out.
    public let snapshot: [String: Double]

    /// A signal from its parts (an operator's, or one read back).
    public init(
        strategy: String, rule: String, symbol: String, timeframe: String, time: Int64, price: Double,
        side: Strategy.Side, kind: Strategy.Kind, strength: Double, snapshot: [String: Double]
    ) {
        self.strategy = strategy
        self.rule = rule
        self.symbol = symbol
        self.timeframe = timeframe
        self.time = time
        self.price = price
        self.side = side
        self.kind = kind
        self.strength = strength
        self.snapshot = snapshot
    }
}

/// Runs a strategy over bars (`Specs/strategies.md`): each closed bar updates the indicators and evaluates every rule
/// in order; a rule whose condition holds and that has not fired in its last `cooldown` bars gives a signal.
/// Conditions on values still in their warm-up do not hold.
public struct StrategyRunner: Sendable {
    /// The strategy run.
    public let strategy: Strategy
    private var indicators: [ErasedIndicator]
    /// Each indicator's outputs on the previous and the current bar (nil in the warm-up).
    private var previous: [[Double]?]
    private var current: [[Double]?]
    private var previousBar: Bar?
    private var currentBar: Bar?
    /// Bars seen, and the bar number each rule last fired on.
    private var bars = 0
    private var lastFired: [Int?]

    /// A runner for `strategy`, its indicators made fresh.
    public init(_ strategy: Strategy) {
        self.strategy = strategy
        // Each spec was made once when the strategy was read: making it again cannot fail.
        indicators = strategy.indicators.map { try! IndicatorCatalog.make($0.spec) }
        previous = Array(repeating: nil, count: strategy.indicators.count)
        current = previous
        lastFired = Array(repeating: nil, count: strategy.rules.count)
    }

    /// Bars needed before every indicator has a value.
    public var warmUp: Int { indicators.map(\.lookback).max() ?? 0 }

    /// Commits the closed bar `bar` and returns the signals it gives, in rule order.
    /// - Throws: `IndicatorError.nonFinite` for a bar with a NaN or infinite field; nothing is changed.
    public mutating func update(_ bar: TimeBar) throws(IndicatorError) -> [Signal] {
        // Checked here, before any indicator is updated, so that a refused bar changes nothing.
        let fields = [
            ("open", bar.bar.open), ("high", bar.bar.high), ("low", bar.bar.low), ("close", bar.bar.close),
            ("volume", bar.bar.volume),
        ]
        for (field, value) in fields where !value.isFinite { throw .nonFinite(field: field, value: value) }
        var outputs: [[Double]?] = []
        outputs.reserveCapacity(indicators.count)
        for index in indicators.indices { outputs.append(try indicators[index].update(bar.bar)) }
        previous = current
        current = outputs
        previousBar = currentBar
        currentBar = bar.bar
        bars += 1
        var signals: [Signal] = []
        for (index, rule) in strategy.rules.enumerated() {
            if let fired = lastFired[index], bars - fired <= rule.cooldown { continue }
            guard holds(rule.condition) else { continue }
            lastFired[index] = bars
            signals.append(signal(rule, bar: bar))
        }
        return signals
    }

    private func signal(_ rule: Strategy.Rule, bar: TimeBar) -> Signal {
        var snapshot = ["close": bar.bar.close]
        for (indicator, values) in zip(strategy.indicators, current) {
            guard let values else { continue }
            for (output, value) in zip(indicator.outputs, values) {
                snapshot[indicator.outputs.count == 1 ? indicator.name : "\(indicator.name).\(output)"] = value
            }
        }
        return Signal(
            strategy: strategy.id, rule: rule.name, symbol: strategy.symbol, timeframe: strategy.timeframe.description,
            time: bar.start, price: bar.bar.close, side: rule.side, kind: rule.kind, strength: rule.strength,
            snapshot: snapshot)
    }

    private func holds(_ condition: Strategy.Condition) -> Bool {
        switch condition {
        case .all(let conditions): return conditions.allSatisfy(holds)
        case .any(let conditions): return conditions.contains(where: holds)
        case .not(let inner): return !holds(inner)
        case .above(let a, let b):
            guard let x = value(a, now: true), let y = value(b, now: true) else { return false }
            return x > y
        case .below(let a, let b):
            guard let x = value(a, now: true), let y = value(b, now: true) else { return false }
            return x < y
        case .crossesAbove(let a, let b):
            guard let x = value(a, now: true), let y = value(b, now: true), let px = value(a, now: false),
                let py = value(b, now: false)
            else { return false }
            return px <= py && x > y
        case .crossesBelow(let a, let b):
            guard let x = value(a, now: true), let y = value(b, now: true), let px = value(a, now: false),
                let py = value(b, now: false)
            else { return false }
            return px >= py && x < y
        }
    }

    private func value(_ operand: Strategy.Operand, now: Bool) -> Double? {
        switch operand {
        case .constant(let number): return number
        case .price(let field):
            guard let bar = now ? currentBar : previousBar else { return nil }
            switch field {
            case .open: return bar.open
            case .high: return bar.high
            case .low: return bar.low
            case .close: return bar.close
            case .volume: return bar.volume
            }
        case .indicator(let indicator, let output):
            return (now ? current : previous)[indicator]?[output]
        }
    }
}

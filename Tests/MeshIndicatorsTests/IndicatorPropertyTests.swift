import Foundation
import Testing

@testable import MeshIndicators

/// Every indicator over generated series: random walks with gaps, constant prices, very large and very small
/// magnitudes give finite outputs after the warm-up, peeks equal updates, and a NaN or infinite input is refused
/// with the state left exactly as it was.
@Suite("Indicator properties")
struct IndicatorPropertyTests {
    /// A seeded generator (SplitMix64), so that a failure names a reproducible series.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    enum Shape: String, CaseIterable {
        case randomWalk, gaps, constant, huge, tiny
    }

    /// Bars of `shape`, 400 of them.
    static func bars(_ shape: Shape, seed: UInt64) -> [Bar] {
        var generator = Generator(state: seed)
        var price = 100.0
        var bars: [Bar] = []
        for index in 0..<400 {
            switch shape {
            case .constant: price = 100
            case .gaps where index % 37 == 0: price *= generator.unit() < 0.5 ? 0.7 : 1.4
            default: price *= 1 + (generator.unit() - 0.5) * 0.04
            }
            let scale = shape == .huge ? 1e12 : shape == .tiny ? 1e-12 : 1
            let spread = shape == .constant ? 0 : price * 0.01 * generator.unit()
            let close = shape == .constant ? price : price + (generator.unit() - 0.5) * spread
            bars.append(
                Bar(
                    open: price * scale, high: (price + spread) * scale, low: (price - spread) * scale,
                    close: close * scale, volume: shape == .constant ? 1000 : 1000 + 9000 * generator.unit()))
        }
        return bars
    }

    @Test("outputs are finite after the warm-up and peeks equal updates", arguments: Shape.allCases)
    func finiteOutputs(_ shape: Shape) throws {
        let bars = Self.bars(shape, seed: 42)
        for (config, make) in IndicatorGoldenTests.configurations {
            let indicator = try #require(try make() as? any SinglePriceIndicator)
            let outputs = try indicator.streamedOutput(bars.map(\.close))
            let late = outputs.dropFirst(indicator.lookback)
            #expect(
                late.allSatisfy { $0.isFinite },
                "\(config) over \(shape): \(late.filter { !$0.isFinite }.count) not finite")
        }
        for (config, make) in IndicatorGoldenTests.barConfigurations {
            let indicator = try make()
            let outputs = try indicator.streamedOutput(bars)
            let late = outputs.dropFirst(indicator.lookback)
            #expect(
                late.allSatisfy { $0.isFinite },
                "\(config) over \(shape): \(late.filter { !$0.isFinite }.count) not finite")
        }
    }

    @Test("VWAP and Supertrend give finite outputs and refuse non-finite bars", arguments: Shape.allCases)
    func trendIndicators(_ shape: Shape) throws {
        let bars = Self.bars(shape, seed: 11)
        for spec in ["VWAP", "VWAP(20)", "SUPERTREND(10,3)"] {
            var indicator = try IndicatorCatalog.make(spec)
            for bar in bars {
                let peeked = try indicator.peek(bar)
                let updated = try indicator.update(bar)
                #expect(peeked == updated, "\(spec)")
                #expect(updated?.allSatisfy { $0.isFinite } ?? true, "\(spec) over \(shape)")
            }
            #expect(throws: IndicatorError.self) { try indicator.update(Bar(open: 1, high: .nan, low: 1, close: 1)) }
        }
        #expect(try VWAP(period: 3).refusesNonFiniteBars(Array(bars.prefix(20))))
        #expect(try VWAP().refusesNonFiniteBars(Array(bars.prefix(20))))
    }

    @Test("a NaN or infinite input is refused and the state is left exactly as it was")
    func nonFiniteInputsLeaveTheStateAlone() throws {
        let bars = Self.bars(.randomWalk, seed: 7)
        for (config, make) in IndicatorGoldenTests.configurations {
            let indicator = try #require(try make() as? any SinglePriceIndicator)
            #expect(try indicator.refusesNonFinitePrices(bars.prefix(60).map(\.close)), "\(config)")
        }
        for (config, make) in IndicatorGoldenTests.barConfigurations {
            #expect(try make().refusesNonFiniteBars(Array(bars.prefix(60))), "\(config)")
        }
    }
}

extension StreamingIndicator {
    /// Runs `inputs`, then offers each non-finite variant of the next input (every field of a bar in turn): each
    /// must throw `nonFinite`, and the state, encoded, must not change.
    func refusesNonFinite(_ inputs: [Input], variants: [Input]) throws -> Bool {
        var indicator = self
        for input in inputs { _ = try indicator.update(input) }
        // Keys sorted: the encoder's own order is not stable from one call to the next.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let before = try encoder.encode(indicator)
        for variant in variants {
            do {
                _ = try indicator.update(variant)
                return false
            } catch {
                guard case .nonFinite = error else { return false }
            }
            guard (try? indicator.peek(variant)) == nil else { return false }
        }
        return try encoder.encode(indicator) == before
    }
}

extension StreamingIndicator where Input == Double {
    func refusesNonFinitePrices(_ prices: [Double]) throws -> Bool {
        try refusesNonFinite(prices, variants: [.nan, .infinity, -.infinity])
    }
}

extension StreamingIndicator where Input == Bar {
    func refusesNonFiniteBars(_ bars: [Bar]) throws -> Bool {
        let last = bars.last!
        var variants: [Bar] = []
        for bad in [Double.nan, .infinity, -.infinity] {
            for field in [\Bar.open, \Bar.high, \Bar.low, \Bar.close, \Bar.volume] {
                var bar = last
                bar[keyPath: field] = bad
                variants.append(bar)
            }
        }
        return try refusesNonFinite(bars, variants: variants)
    }
}

import Foundation
import Testing

@testable import MeshIndicators

/// Each indicator against TA-Lib's batch output (bit for bit), stream against batch, peeks, saved state and
/// refused input.
@Suite("Indicators against TA-Lib")
struct IndicatorGoldenTests {
    /// Each golden configuration and the indicator that should reproduce it.
    static let configurations: [(config: String, make: @Sendable () throws -> any StreamingIndicator)] = [
        ("SMA_10", { try SMA(period: 10) }), ("SMA_30", { try SMA(period: 30) }),
        ("EMA_10", { try EMA(period: 10) }), ("EMA_30", { try EMA(period: 30) }),
        ("WMA_10", { try WMA(period: 10) }), ("WMA_30", { try WMA(period: 30) }),
        ("DEMA_10", { try DEMA(period: 10) }), ("DEMA_30", { try DEMA(period: 30) }),
        ("TEMA_10", { try TEMA(period: 10) }), ("TEMA_30", { try TEMA(period: 30) }),
        ("RSI_14", { try RSI(period: 14) }), ("RSI_5", { try RSI(period: 5) }),
        ("CMO_14", { try CMO(period: 14) }),
        ("MOM_10", { try Change(.momentum, period: 10) }), ("ROC_10", { try Change(.rateOfChange, period: 10) }),
        ("ROCP_10", { try Change(.rateOfChangePercentage, period: 10) }),
        ("ROCR_10", { try Change(.rateOfChangeRatio, period: 10) }),
        ("ROCR100_10", { try Change(.rateOfChangeRatio100, period: 10) }),
        ("VAR_5_1", { try Variance(period: 5) }), ("VAR_20_1", { try Variance(period: 20) }),
        ("STDDEV_5_1", { try StandardDeviation(period: 5, deviations: 1) }),
        ("STDDEV_20_2", { try StandardDeviation(period: 20, deviations: 2) }),
        ("MIDPOINT_14", { try Midpoint(period: 14) }),
        ("TRIX_15", { try TRIX(period: 15) }), ("TRIX_30", { try TRIX(period: 30) }),
        ("APO_12_26_0", { try PriceOscillator(.absolute, fastPeriod: 12, slowPeriod: 26, type: .sma) }),
        ("APO_12_26_1", { try PriceOscillator(.absolute, fastPeriod: 12, slowPeriod: 26, type: .ema) }),
        ("PPO_12_26_0", { try PriceOscillator(.percentage, fastPeriod: 12, slowPeriod: 26, type: .sma) }),
        ("PPO_12_26_1", { try PriceOscillator(.percentage, fastPeriod: 12, slowPeriod: 26, type: .ema) }),
        ("TRIMA_9", { try TRIMA(period: 9) }), ("TRIMA_30", { try TRIMA(period: 30) }),
        ("KAMA_10", { try KAMA(period: 10) }), ("KAMA_30", { try KAMA(period: 30) }),
        ("T3_5_0.7", { try T3(period: 5, volumeFactor: 0.7) }),
        ("T3_10_0.5", { try T3(period: 10, volumeFactor: 0.5) }),
        ("LINEARREG_14", { try LinearRegression(.value, period: 14) }),
        ("LINEARREG_SLOPE_14", { try LinearRegression(.slope, period: 14) }),
        ("LINEARREG_INTERCEPT_14", { try LinearRegression(.intercept, period: 14) }),
        ("LINEARREG_ANGLE_14", { try LinearRegression(.angle, period: 14) }),
        ("TSF_14", { try LinearRegression(.forecast, period: 14) }),
    ]

    @Test("equal to TA-Lib bit for bit over the four symbols' closes", arguments: configurations.map(\.config))
    func golden(config: String) throws {
        let make = try #require(Self.configurations.first { $0.config == config }).make
        for symbol in Golden.symbols {
            let closes = try Golden.prices(symbol).close
            let expected = try #require(try Golden.outputs(config, symbol)["real"])
            let indicator = try #require(try make() as? any SinglePriceIndicator)
            let ours = try indicator.batchOutput(closes)
            // Streamed, with a peek before every update and the state saved and restored halfway: the same bits.
            let streamed = try indicator.streamedOutput(closes)
            #expect(zip(ours, streamed).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
            #expect(
                Golden.differences(ours, expected).isEmpty, "\(config) \(symbol): \(Golden.differences(ours, expected))"
            )
            // The warm-up is exactly the lookback.
            #expect(ours.prefix(indicator.lookback).allSatisfy { $0.isNaN })
            #expect(!ours[indicator.lookback].isNaN)
        }
    }

    /// Each golden configuration over bars and the indicator that should reproduce it.
    static let barConfigurations: [(config: String, make: @Sendable () throws -> any BarIndicator)] = [
        ("SAR_0.02_0.2", { try ParabolicSAR(acceleration: 0.02, maximum: 0.2) }),
        ("SAR_0.01_0.1", { try ParabolicSAR(acceleration: 0.01, maximum: 0.1) }),
        ("TRANGE", { TrueRange() }), ("ATR_14", { try AverageTrueRange(period: 14) }),
        ("NATR_14", { try NormalizedAverageTrueRange(period: 14) }),
        ("WILLR_14", { try WilliamsR(period: 14) }), ("MIDPRICE_14", { try Midprice(period: 14) }),
        ("AROONOSC_14", { try AroonOscillator(period: 14) }), ("BOP", { BalanceOfPower() }),
        ("OBV", { OnBalanceVolume() }), ("AD", { AccumulationDistribution() }),
        ("CCI_14", { try CommodityChannelIndex(period: 14) }), ("CCI_20", { try CommodityChannelIndex(period: 20) }),
        ("MFI_14", { try MoneyFlowIndex(period: 14) }),
        ("PLUS_DM_14", { try DirectionalIndicator(.plusMovement, period: 14) }),
        ("MINUS_DM_14", { try DirectionalIndicator(.minusMovement, period: 14) }),
        ("PLUS_DI_14", { try DirectionalIndicator(.plusIndicator, period: 14) }),
        ("MINUS_DI_14", { try DirectionalIndicator(.minusIndicator, period: 14) }),
        ("DX_14", { try DirectionalIndicator(.index, period: 14) }),
        ("ADX_14", { try AverageDirectionalIndex(period: 14) }),
        ("ADXR_14", { try AverageDirectionalIndexRating(period: 14) }),
        ("ADOSC_3_10", { try ChaikinOscillator(fastPeriod: 3, slowPeriod: 10) }),
        ("ULTOSC_7_14_28", { try UltimateOscillator(period1: 7, period2: 14, period3: 28) }),
    ]

    @Test("equal to TA-Lib bit for bit over the four symbols' bars", arguments: barConfigurations.map(\.config))
    func goldenBars(config: String) throws {
        let make = try #require(Self.barConfigurations.first { $0.config == config }).make
        for symbol in Golden.symbols {
            let prices = try Golden.prices(symbol)
            let bars = prices.close.indices.map {
                Bar(
                    open: prices.open[$0], high: prices.high[$0], low: prices.low[$0], close: prices.close[$0],
                    volume: prices.volume[$0])
            }
            let expected = try #require(try Golden.outputs(config, symbol)["real"])
            let indicator = try make()
            let ours = try indicator.batchOutput(bars)
            let differences = Golden.differences(ours, expected)
            #expect(differences.isEmpty, "\(config) \(symbol): \(differences)")
            let streamed = try indicator.streamedOutput(bars)
            #expect(zip(ours, streamed).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
            #expect(ours.prefix(indicator.lookback).allSatisfy { $0.isNaN })
            #expect(!ours[indicator.lookback].isNaN)
        }
    }

    @Test("a peek gives what the update then gives, and changes nothing; a restored state carries on identically")
    func peekAndRestore() throws {
        let closes = try Golden.prices("MSFT").close
        var sma = try SMA(period: 7)
        var ema = try EMA(period: 7)
        var wma = try WMA(period: 7)
        var dema = try DEMA(period: 7)
        var tema = try TEMA(period: 7)
        for (index, close) in closes.prefix(120).enumerated() {
            let peeked = [
                try sma.peek(close), try ema.peek(close), try wma.peek(close), try dema.peek(close),
                try tema.peek(close),
            ]
            let updated = [
                try sma.update(close), try ema.update(close), try wma.update(close), try dema.update(close),
                try tema.update(close),
            ]
            #expect(peeked == updated, "row \(index)")
            if index == 60 {
                // Saved and restored mid-stream, each carries on with the same values as the original.
                sma = try JSONDecoder().decode(SMA.self, from: JSONEncoder().encode(sma))
                ema = try JSONDecoder().decode(EMA.self, from: JSONEncoder().encode(ema))
                wma = try JSONDecoder().decode(WMA.self, from: JSONEncoder().encode(wma))
                dema = try JSONDecoder().decode(DEMA.self, from: JSONEncoder().encode(dema))
                tema = try JSONDecoder().decode(TEMA.self, from: JSONEncoder().encode(tema))
            }
        }
        let batch = try TEMA(period: 7).batch(Array(closes.prefix(120)))
        #expect(tema.value?.bitPattern == batch.last?.bitPattern)
    }

    @Test("NaN and infinite prices are refused with the field named, and the state is left as it was")
    func nonFiniteInputIsRefused() throws {
        var sma = try SMA(period: 3)
        var ema = try EMA(period: 3)
        for price in [10.0, 11.0, 12.0] {
            _ = try sma.update(price)
            _ = try ema.update(price)
        }
        let (smaBefore, emaBefore) = (sma, ema)
        #expect(throws: IndicatorError.nonFinite(field: "price", value: .infinity)) { try sma.update(.infinity) }
        for bad in [Double.nan, .infinity, -.infinity] {
            #expect(throws: IndicatorError.self) { try sma.update(bad) }
            #expect(throws: IndicatorError.self) { try ema.update(bad) }
            #expect(throws: IndicatorError.self) { try sma.peek(bad) }
        }
        #expect(try sma.update(13) == smaBefore.peek(13))
        #expect(try ema.update(13) == emaBefore.peek(13))
        #expect(throws: IndicatorError.self) { try SMA(period: 1) }
        #expect(throws: IndicatorError.self) { try EMA(period: 100_001) }
    }
}

/// A single-price indicator with a scalar output, as an existential the tests can run.
protocol SinglePriceIndicator {
    var lookback: Int { get }
    func batchOutput(_ prices: [Double]) throws -> [Double]
    func streamedOutput(_ prices: [Double]) throws -> [Double]
    func refusesNonFinitePrices(_ prices: [Double]) throws -> Bool
}

/// A bar indicator with a scalar output, as an existential the tests can run.
protocol BarIndicator {
    var lookback: Int { get }
    func batchOutput(_ bars: [Bar]) throws -> [Double]
    func streamedOutput(_ bars: [Bar]) throws -> [Double]
    func refusesNonFiniteBars(_ bars: [Bar]) throws -> Bool
}

extension StreamingIndicator where Input == Bar, Output == Double {
    func batchOutput(_ bars: [Bar]) throws -> [Double] { try batch(bars) }

    /// As the price form: a peek before every update, the state restored halfway.
    func streamedOutput(_ bars: [Bar]) throws -> [Double] {
        var indicator = self
        var output: [Double] = []
        for (index, bar) in bars.enumerated() {
            let peeked = try indicator.peek(bar)
            let updated = try indicator.update(bar)
            guard peeked?.bitPattern == updated?.bitPattern else {
                throw PeekMismatch(
                    description:
                        "row \(index): peek \(String(describing: peeked)), update \(String(describing: updated))")
            }
            output.append(updated ?? .nan)
            if index == bars.count / 2 {
                indicator = try JSONDecoder().decode(Self.self, from: JSONEncoder().encode(indicator))
            }
        }
        return output
    }
}

extension TrueRange: BarIndicator {}
extension AverageTrueRange: BarIndicator {}
extension NormalizedAverageTrueRange: BarIndicator {}
extension WilliamsR: BarIndicator {}
extension Midprice: BarIndicator {}
extension AroonOscillator: BarIndicator {}
extension BalanceOfPower: BarIndicator {}
extension OnBalanceVolume: BarIndicator {}
extension AccumulationDistribution: BarIndicator {}
extension CommodityChannelIndex: BarIndicator {}
extension MoneyFlowIndex: BarIndicator {}
extension DirectionalIndicator: BarIndicator {}
extension AverageDirectionalIndex: BarIndicator {}
extension AverageDirectionalIndexRating: BarIndicator {}
extension ChaikinOscillator: BarIndicator {}
extension UltimateOscillator: BarIndicator {}
extension ParabolicSAR: BarIndicator {}

struct PeekMismatch: Error, CustomStringConvertible {
    var description: String
}

extension StreamingIndicator where Input == Double, Output == Double {
    /// Updates one price at a time, peeking first (the peek must equal the update), the state saved to JSON and
    /// restored halfway; NaN where there is no output.
    func streamedOutput(_ prices: [Double]) throws -> [Double] {
        var indicator = self
        var output: [Double] = []
        for (index, price) in prices.enumerated() {
            let peeked = try indicator.peek(price)
            let updated = try indicator.update(price)
            guard peeked?.bitPattern == updated?.bitPattern else {
                throw PeekMismatch(
                    description:
                        "row \(index): peek \(String(describing: peeked)), update \(String(describing: updated))")
            }
            output.append(updated ?? .nan)
            if index == prices.count / 2 {
                indicator = try JSONDecoder().decode(Self.self, from: JSONEncoder().encode(indicator))
            }
        }
        return output
    }
}

extension SMA: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension EMA: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension WMA: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension DEMA: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension TEMA: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension RSI: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension CMO: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension Change: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension Variance: SinglePriceIndicator {
    func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) }
}
extension StandardDeviation: SinglePriceIndicator {
    func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) }
}
extension PriceOscillator: SinglePriceIndicator {
    func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) }
}
extension TRIX: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension Midpoint: SinglePriceIndicator {
    func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) }
}
extension TRIMA: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension KAMA: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension T3: SinglePriceIndicator { func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) } }
extension LinearRegression: SinglePriceIndicator {
    func batchOutput(_ prices: [Double]) throws -> [Double] { try batch(prices) }
}

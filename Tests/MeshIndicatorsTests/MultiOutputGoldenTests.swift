import Foundation
import Testing

@testable import MeshIndicators

/// Indicators with several outputs, each output against TA-Lib's column bit for bit, streamed with a peek before
/// every update and the state restored halfway.
@Suite("Multi-output indicators against TA-Lib")
struct MultiOutputGoldenTests {
    /// A configuration: how to make the indicator and read its outputs by TA-Lib's output names.
    struct Configuration: Sendable, CustomTestStringConvertible {
        let config: String
        let run: @Sendable (Golden.Prices) throws -> [String: [Double]]
        var testDescription: String { config }
    }

    static func closes<I: StreamingIndicator>(
        _ make: @escaping @Sendable () throws -> I, _ columns: [(String, @Sendable (I.Output) -> Double)]
    ) -> @Sendable (Golden.Prices) throws -> [String: [Double]] where I.Input == Double, I.Output: Equatable {
        { prices in
            let outputs = try make().streamedOutputs(prices.close)
            var result: [String: [Double]] = [:]
            for (name, read) in columns { result[name] = outputs.map { $0.map(read) ?? .nan } }
            return result
        }
    }

    static func bars<I: StreamingIndicator>(
        _ make: @escaping @Sendable () throws -> I, _ columns: [(String, @Sendable (I.Output) -> Double)]
    ) -> @Sendable (Golden.Prices) throws -> [String: [Double]] where I.Input == Bar, I.Output: Equatable {
        { prices in
            let bars = prices.close.indices.map {
                Bar(
                    open: prices.open[$0], high: prices.high[$0], low: prices.low[$0], close: prices.close[$0],
                    volume: prices.volume[$0])
            }
            let outputs = try make().streamedOutputs(bars)
            var result: [String: [Double]] = [:]
            for (name, read) in columns { result[name] = outputs.map { $0.map(read) ?? .nan } }
            return result
        }
    }

    static let aroonColumns: [(String, @Sendable (Aroon.Output) -> Double)] = [
        ("aroondown", { $0.down }), ("aroonup", { $0.up }),
    ]

    static let bandColumns: [(String, @Sendable (BollingerBands.Output) -> Double)] = [
        ("upperband", { $0.upper }), ("middleband", { $0.middle }), ("lowerband", { $0.lower }),
    ]

    static let fastColumns: [(String, @Sendable (FastStochastic.Output) -> Double)] = [
        ("fastk", { $0.k }), ("fastd", { $0.d }),
    ]

    static let slowColumns: [(String, @Sendable (Stochastic.Output) -> Double)] = [
        ("slowk", { $0.k }), ("slowd", { $0.d }),
    ]

    static let macdColumns: [(String, @Sendable (MACD.Output) -> Double)] = [
        ("macd", { $0.macd }), ("macdsignal", { $0.signal }), ("macdhist", { $0.histogram }),
    ]

    static let configurations: [Configuration] = [
        Configuration(
            config: "MACD_12_26_9",
            run: closes({ try MACD(fastPeriod: 12, slowPeriod: 26, signalPeriod: 9) }, macdColumns)),
        Configuration(
            config: "MACD_5_35_5",
            run: closes({ try MACD(fastPeriod: 5, slowPeriod: 35, signalPeriod: 5) }, macdColumns)),
        Configuration(config: "AROON_14", run: bars({ try Aroon(period: 14) }, aroonColumns)),
        Configuration(config: "AROON_25", run: bars({ try Aroon(period: 25) }, aroonColumns)),
        Configuration(
            config: "BBANDS_5_2_2_0",
            run: closes({ try BollingerBands(period: 5, deviationsUp: 2, deviationsDown: 2, type: .sma) }, bandColumns)),
        Configuration(
            config: "BBANDS_20_2_2_0",
            run: closes({ try BollingerBands(period: 20, deviationsUp: 2, deviationsDown: 2, type: .sma) }, bandColumns)
        ),
        Configuration(
            config: "BBANDS_20_1.5_2.5_1",
            run: closes(
                { try BollingerBands(period: 20, deviationsUp: 1.5, deviationsDown: 2.5, type: .ema) }, bandColumns)),
        Configuration(
            config: "STOCHF_5_3_0",
            run: bars({ try FastStochastic(fastKPeriod: 5, fastDPeriod: 3, type: .sma) }, fastColumns)),
        Configuration(
            config: "STOCHF_14_3_1",
            run: bars({ try FastStochastic(fastKPeriod: 14, fastDPeriod: 3, type: .ema) }, fastColumns)),
        Configuration(
            config: "STOCH_5_3_0_3_0",
            run: bars(
                { try Stochastic(fastKPeriod: 5, slowKPeriod: 3, slowKType: .sma, slowDPeriod: 3, slowDType: .sma) },
                slowColumns)),
        Configuration(
            config: "STOCH_14_3_1_3_1",
            run: bars(
                { try Stochastic(fastKPeriod: 14, slowKPeriod: 3, slowKType: .ema, slowDPeriod: 3, slowDType: .ema) },
                slowColumns)),
        Configuration(
            config: "STOCHRSI_14_5_3_0",
            run: closes({ try StochasticRSI(period: 14, fastKPeriod: 5, fastDPeriod: 3, type: .sma) }, fastColumns)),
        Configuration(config: "MACDFIX_9", run: closes({ try MACD.fixed(signalPeriod: 9) }, macdColumns)),
        Configuration(
            config: "MACDEXT_12_1_26_1_9_1",
            run: closes(
                {
                    try MACD.extended(
                        fastPeriod: 12, fastType: .ema, slowPeriod: 26, slowType: .ema, signalPeriod: 9,
                        signalType: .ema)
                }, macdColumns)),
        Configuration(
            config: "MACDEXT_12_0_26_0_9_0",
            run: closes(
                {
                    try MACD.extended(
                        fastPeriod: 12, fastType: .sma, slowPeriod: 26, slowType: .sma, signalPeriod: 9,
                        signalType: .sma)
                }, macdColumns)),
    ]

    @Test("equal to TA-Lib bit for bit over the four symbols", arguments: configurations)
    func golden(_ configuration: Configuration) throws {
        for symbol in Golden.symbols {
            let prices = try Golden.prices(symbol)
            let expected = try Golden.outputs(configuration.config, symbol)
            let ours = try configuration.run(prices)
            #expect(Set(ours.keys) == Set(expected.keys))
            for (name, column) in expected {
                let differences = Golden.differences(ours[name] ?? [], column)
                #expect(differences.isEmpty, "\(configuration.config) \(name) \(symbol): \(differences)")
            }
        }
    }
}

extension StreamingIndicator where Output: Equatable {
    /// Updates one input at a time, peeking first (the peek must equal the update), the state saved to JSON and
    /// restored halfway.
    func streamedOutputs(_ inputs: [Input]) throws -> [Output?] {
        var indicator = self
        var outputs: [Output?] = []
        for (index, input) in inputs.enumerated() {
            let peeked = try indicator.peek(input)
            let updated = try indicator.update(input)
            guard peeked == updated else {
                throw PeekMismatch(
                    description:
                        "row \(index): peek \(String(describing: peeked)), update \(String(describing: updated))")
            }
            outputs.append(updated)
            if index == inputs.count / 2 {
                indicator = try JSONDecoder().decode(Self.self, from: JSONEncoder().encode(indicator))
            }
        }
        return outputs
    }
}

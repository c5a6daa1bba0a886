import Foundation
import Testing

@testable import MeshIndicators

/// The indicators' own batch loops (`update(contentsOf:into:placeholder:)`) against the loop of updates they replace:
/// the same outputs bit for bit, the same state afterwards, the same refusals, on golden and generated series and on
/// the edges (no input, fewer than the warm-up, a batch starting partway through).
@Suite("Batch loops")
struct BatchLoopTests {
    /// An indicator with its own batch loop, run over prices or bars, its outputs as bits.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        /// Runs the checks of `BatchLoopTests.check` over the series.
        let check: @Sendable (_ closes: [Double], _ bars: [Bar], _ split: Int) throws -> Void
        var testDescription: String { name }

        static func prices<I: StreamingIndicator>(
            _ name: String, _ make: @escaping @Sendable () throws -> I
        ) -> Case where I.Input == Double, I.Output: BatchOutput & Bits {
            Case(name: name) { closes, _, split in try BatchLoopTests.check(make(), closes, split: split) }
        }

        static func bars<I: StreamingIndicator>(
            _ name: String, _ make: @escaping @Sendable () throws -> I
        ) -> Case where I.Input == Bar, I.Output: BatchOutput & Bits {
            Case(name: name) { _, bars, split in try BatchLoopTests.check(make(), bars, split: split) }
        }
    }

    static let cases: [Case] = [
        .prices("SMA(30)") { try SMA(period: 30) }, .prices("SMA(2)") { try SMA(period: 2) },
        .prices("EMA(30)") { try EMA(period: 30) }, .prices("EMA(2)") { try EMA(period: 2) },
        .prices("RSI(14)") { try RSI(period: 14) }, .prices("RSI(2)") { try RSI(period: 2) },
        .prices("MACD(12,26,9)") { try MACD(fastPeriod: 12, slowPeriod: 26, signalPeriod: 9) },
        .prices("MACD(26,12,1)") { try MACD(fastPeriod: 26, slowPeriod: 12, signalPeriod: 1) },
        .prices("MACDFIX(9)") { try MACD.fixed(signalPeriod: 9) },
        .prices("MACDEXT(SMA)") { try MACD.extended(fastType: .sma, slowType: .sma, signalType: .sma) },
        .prices("MACDEXT(EMA)") { try MACD.extended(fastType: .ema, slowType: .ema, signalType: .ema) },
        .prices("BBANDS(20)") { try BollingerBands(period: 20, deviationsUp: 2, deviationsDown: 2) },
        .prices("BBANDS(5, 1.5, 2.5, EMA)") {
            try BollingerBands(period: 5, deviationsUp: 1.5, deviationsDown: 2.5, type: .ema)
        },
        .prices("VAR(5)") { try Variance(period: 5) },
        .prices("STDDEV(20, 2)") { try StandardDeviation(period: 20, deviations: 2) },
        .bars("ATR(14)") { try AverageTrueRange(period: 14) }, .bars("ATR(1)") { try AverageTrueRange(period: 1) },
        .bars("ADX(14)") { try AverageDirectionalIndex(period: 14) },
    ]

    @Test("equal to one update per input, bit for bit, over the golden series", arguments: cases)
    func goldenSeries(_ indicator: Case) throws {
        for symbol in Golden.symbols {
            let prices = try Golden.prices(symbol)
            let bars = prices.close.indices.map {
                Bar(
                    open: prices.open[$0], high: prices.high[$0], low: prices.low[$0], close: prices.close[$0],
                    volume: prices.volume[$0])
            }
            // Batches from the start, from partway through the warm-up and from well after it.
            for split in [0, 7, 250] { try indicator.check(prices.close, bars, split) }
        }
    }

    @Test("equal to one update per input over generated series", arguments: cases)
    func generatedSeries(_ indicator: Case) throws {
        for shape in IndicatorPropertyTests.Shape.allCases {
            let bars = IndicatorPropertyTests.bars(shape, seed: 6)
            try indicator.check(bars.map(\.close), bars, 123)
        }
    }

    @Test("no input and fewer inputs than the warm-up: nothing and NaN, as the updates give", arguments: cases)
    func edges(_ indicator: Case) throws {
        let bars = IndicatorPropertyTests.bars(.randomWalk, seed: 7)
        try indicator.check([], [], 0)
        try indicator.check(Array(bars.map(\.close).prefix(3)), Array(bars.prefix(3)), 0)
        try indicator.check(Array(bars.map(\.close).prefix(3)), Array(bars.prefix(3)), 1)
    }

    @Test(
        "a NaN or infinite input is refused as an update refuses it, the inputs before it committed", arguments: cases)
    func refusals(_ indicator: Case) throws {
        let bars = IndicatorPropertyTests.bars(.randomWalk, seed: 8)
        let closes = bars.map(\.close)
        for (position, bad) in [(0, Double.nan), (5, .infinity), (200, -.infinity), (399, .nan)] {
            var badCloses = closes
            badCloses[position] = bad
            var badBars = bars
            badBars[position].low = bad
            try indicator.check(badCloses, badBars, 0)
            try indicator.check(badCloses, badBars, 100)
        }
    }

    @Test(
        "batches of lengths about the windows' from states one after another: the updates' outputs and saved state",
        arguments: cases)
    func batchLengths(_ indicator: Case) throws {
        // A batch that reads the prices leaving its windows from its inputs brings the rings up to date at its end:
        // shorter than a window, as long, one longer, several windows long, each starting where the last ended.
        let bars = IndicatorPropertyTests.bars(.randomWalk, seed: 10)
        var start = 0
        for length in [1, 2, 3, 5, 13, 19, 20, 21, 29, 30, 31, 45, 60, 61, 4, 1, 7] {
            try indicator.check(Array(bars.map(\.close)[..<(start + length)]), Array(bars[..<(start + length)]), start)
            start += length
        }
    }

    @Test("batch(_:into:) keeps the caller's storage for inputs of the same count, and fits other counts")
    func batchIntoReusesTheArray() throws {
        let closes = IndicatorPropertyTests.bars(.randomWalk, seed: 9).map(\.close)
        let sma = try SMA(period: 10)
        var outputs: [Double] = []
        try sma.batch(closes, into: &outputs)
        let storage = outputs.withUnsafeBufferPointer { $0.baseAddress }
        try sma.batch(closes, into: &outputs)
        #expect(outputs.withUnsafeBufferPointer { $0.baseAddress } == storage)
        #expect(try outputs.map(\.bitPattern) == sma.batch(closes).map(\.bitPattern))
        try sma.batch(Array(closes.prefix(20)), into: &outputs)
        #expect(try outputs.map(\.bitPattern) == sma.batch(Array(closes.prefix(20))).map(\.bitPattern))
        try sma.batch([], into: &outputs)
        #expect(outputs.isEmpty)
    }

    /// Updates `indicator` with `inputs[..<split]` one at a time, then commits the rest both ways (a batch, and one
    /// update per input until the first refusal): the outputs must have the same bits, the refusals the same
    /// message, and the states afterwards the same saved form.
    static func check<I: StreamingIndicator>(_ indicator: I, _ inputs: [I.Input], split: Int) throws
    where I.Output: BatchOutput & Bits {
        var batched = indicator
        for input in inputs.prefix(split) { _ = try? batched.update(input) }
        var streamed = batched
        let rest = Array(inputs.dropFirst(split))

        var streamedOutputs: [I.Output] = []
        var streamedRefusal: IndicatorError?
        for input in rest {
            do {
                streamedOutputs.append(try streamed.update(input) ?? .warmUp)
            } catch {
                streamedRefusal = error
                break
            }
        }

        var batchedOutputs = [I.Output](repeating: .warmUp, count: rest.count)
        var batchedRefusal: IndicatorError?
        do {
            var span = batchedOutputs.mutableSpan
            try batched.update(contentsOf: rest.span, into: &span, placeholder: .warmUp)
        } catch {
            batchedRefusal = error
        }

        let name = "\(I.self) after \(split)"
        #expect(
            batchedRefusal.map(String.init(describing:)) == streamedRefusal.map(String.init(describing:)), "\(name)")
        let committed = batchedOutputs.prefix(streamedOutputs.count)
        #expect(committed.map(\.bits) == streamedOutputs.map(\.bits), "\(name)")
        #expect(try saved(batched) == saved(streamed), "\(name)")

        // The public form from the start: the updates' outputs, or their first refusal.
        var fresh = indicator
        var freshOutputs: [[UInt64]] = []
        var freshRefusal: IndicatorError?
        for input in inputs {
            do {
                freshOutputs.append(try (fresh.update(input) ?? .warmUp).bits)
            } catch {
                freshRefusal = error
                break
            }
        }
        do {
            let batch = try indicator.batch(inputs)
            #expect(freshRefusal == nil && batch.map(\.bits) == freshOutputs, "\(I.self)")
        } catch {
            #expect(String(describing: error) == freshRefusal.map(String.init(describing:)), "\(I.self)")
        }
    }

    /// The state's saved form, keys sorted, so that two states compare field by field.
    static func saved<I: StreamingIndicator>(_ indicator: I) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(indicator)
    }
}

/// An output as the bit patterns of its numbers (NaN equal to NaN, 0 unequal to −0).
protocol Bits {
    var bits: [UInt64] { get }
}

extension Double: Bits {
    var bits: [UInt64] { [bitPattern] }
}

extension MACD.Output: Bits {
    var bits: [UInt64] { [macd.bitPattern, signal.bitPattern, histogram.bitPattern] }
}

extension BollingerBands.Output: Bits {
    var bits: [UInt64] { [upper.bitPattern, middle.bitPattern, lower.bitPattern] }
}

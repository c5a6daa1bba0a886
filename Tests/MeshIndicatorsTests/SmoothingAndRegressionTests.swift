import Foundation
import Testing

@testable import MeshIndicators

/// TRIMA, KAMA, T3, SAR and the linear regressions on inputs whose answers are known without TA-Lib, their
/// parameters, and the moving-average types they add to `MA`.
@Suite("Smoothing, regression and SAR")
struct SmoothingAndRegressionTests {
    @Test("TRIMA weighs the middle most: 1,2,3,2,1 over 9 and 1,2,2,1 over 6")
    func trima() throws {
        #expect(try TRIMA(period: 5).batch([1, 2, 3, 4, 5, 6]).suffix(2) == [3, 4])
        let odd = try TRIMA(period: 5).batch([10, 0, 0, 0, 0])
        #expect(odd[4] == 10.0 / 9)  // the oldest weighs 1 of 9
        let even = try TRIMA(period: 4).batch([0, 6, 0, 0])
        #expect(even[3] == 2)  // the second weighs 2 of 6
        #expect(throws: IndicatorError.self) { try TRIMA(period: 1) }
    }

    @Test("KAMA: a straight trend moves it at the fastest rate, a flat market not at all")
    func kama() throws {
        // Efficiency 1 on a straight line: the constant is (2/3)², from the previous price.
        var trend = try KAMA(period: 3)
        let outputs = try [1.0, 2, 3, 4, 5].map { try trend.update($0) }
        #expect(outputs.prefix(3).allSatisfy { $0 == nil })
        let constant = (2.0 / 3) * (2.0 / 3)
        #expect(abs(try #require(outputs[3]) - (3 + constant)) < 1e-15)
        // A flat market after a move: the sum of moves is known to be zero, the average converges on the price.
        var flat = try KAMA(period: 4)
        var last = 0.0
        for price in [5.0, 6, 7, 8, 9] + [Double](repeating: 9, count: 200) { last = try flat.update(price) ?? 0 }
        #expect(abs(last - 9) < 1e-12)
        let peek = try #require(try flat.peek(9))
        #expect(abs(peek - 9) < 1e-12)
    }

    @Test("T3 with volume factor 0 is an EMA of an EMA of an EMA; parameters are checked")
    func t3() throws {
        let prices = (0..<200).map { 100 + 10 * sin(Double($0) / 7) }
        let t3 = try T3(period: 5, volumeFactor: 0).batch(prices)
        // c4 = 1 and the other coefficients 0: the output is e3, whose lookback is 3 × (5 − 1) here but is reported
        // from T3's six-stage seeding.
        #expect(t3.prefix(24).allSatisfy { $0.isNaN })
        #expect(t3.dropFirst(24).allSatisfy { $0 > 89 && $0 < 111 })
        #expect(throws: IndicatorError.self) { try T3(period: 5, volumeFactor: 1.5) }
        #expect(throws: IndicatorError.self) { try T3(period: 5, volumeFactor: -.ulpOfOne) }
        #expect(throws: IndicatorError.self) { try T3(period: 1) }
    }

    @Test("Linear regressions of an exact line give its slope, intercept, angle, end and next value")
    func regressions() throws {
        let line = (0..<40).map { 5 + 2 * Double($0) }
        func last(_ kind: LinearRegression.Kind) throws -> Double {
            try #require(try LinearRegression(kind, period: 10).batch(line).last)
        }
        #expect(try last(.slope) == 2)
        #expect(try last(.value) == line[39])
        #expect(try last(.intercept) == line[30])
        #expect(try last(.forecast) == line[39] + 2)
        let angle = try last(.angle)
        #expect(abs(angle - atan(2) * 180 / .pi) < 1e-12)
        // A price many times the window's magnitudes leaving forces the sums afresh: no cancellation left behind.
        var regression = try LinearRegression(.slope, period: 4)
        let spike = [1e12, 1, 2, 3, 4, 5, 6, 7]
        let slopes = try spike.map { try regression.update($0) }
        let lastSlope = try #require(slopes.last ?? nil)
        #expect(lastSlope == 1)
        #expect(throws: IndicatorError.self) { try LinearRegression(.value, period: 1) }
    }

    @Test("SAR: long from the start on a rise, reverses on the fall to the extreme high, parameters checked")
    func sar() throws {
        var bars: [Bar] = []
        for day in 0..<20 { bars.append(Bar(open: 0, high: 11 + Double(day), low: 9 + Double(day), close: 0)) }
        for day in 0..<20 { bars.append(Bar(open: 0, high: 30 - 2 * Double(day), low: 28 - 2 * Double(day), close: 0)) }
        var sar = try ParabolicSAR()
        var outputs: [Double?] = []
        for bar in bars {
            let peeked = try sar.peek(bar)
            outputs.append(try sar.update(bar))
            #expect(peeked == outputs.last!)
        }
        #expect(outputs[0] == nil)
        #expect(outputs[1] == 9)  // long: the first bar's low
        // Below the lows while rising, above the highs once it has reversed.
        let values = outputs.map { $0 ?? .nan }
        for index in 1..<20 { #expect(values[index] <= bars[index].low) }
        let reversal = try #require((20..<40).first { values[$0] >= bars[$0].high })
        #expect(outputs[reversal] == 30)  // the extreme high of the rise
        #expect(throws: IndicatorError.self) { try ParabolicSAR(acceleration: -0.01) }
        #expect(throws: IndicatorError.self) { try ParabolicSAR(maximum: .infinity) }
        // An acceleration above the maximum is taken as the maximum, as TA-Lib does.
        #expect(try ParabolicSAR(acceleration: 0.5, maximum: 0.2).acceleration == 0.2)
    }

    @Test("MA of each type equals the type's own indicator; MA type numbers as TA-Lib's")
    func movingAverageTypes() throws {
        let prices = try Golden.prices("MSFT").close
        let pairs: [(MovingAverageType, [Double])] = [
            (.trima, try TRIMA(period: 10).batch(prices)), (.kama, try KAMA(period: 10).batch(prices)),
            (.t3, try T3(period: 10).batch(prices)), (.sma, try SMA(period: 10).batch(prices)),
        ]
        for (type, expected) in pairs {
            let ours = try MovingAverage(period: 10, type: type).batch(prices)
            #expect(Golden.differences(ours, expected).isEmpty, "\(type)")
        }
        #expect(MovingAverageType(rawValue: 5) == .trima && MovingAverageType(rawValue: 8) == .t3)
        #expect(MovingAverageType(rawValue: 7) == nil)  // MAMA is not built
        #expect(try MovingAverage(period: 1, type: .kama).batch([3, 4]) == [3, 4])
        var erased = try IndicatorCatalog.make("MA(10,6)")
        #expect(erased.lookback == 10)
        _ = try erased.update(Bar(open: 1, high: 1, low: 1, close: 1))
    }
}

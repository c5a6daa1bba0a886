import Foundation
import Testing

@testable import MeshIndicators

/// VWAP and Supertrend (not TA-Lib's): small worked examples, and stream against peek and a restore.
@Suite("VWAP and Supertrend")
struct TrendTests {
    @Test("VWAP anchored and rolling, worked by hand")
    func vwap() throws {
        let bars = [
            Bar(open: 10, high: 12, low: 9, close: 12, volume: 100),  // typical 11
            Bar(open: 12, high: 15, low: 12, close: 15, volume: 300),  // typical 14
            Bar(open: 15, high: 15, low: 15, close: 15, volume: 0),  // typical 15, no volume
            Bar(open: 15, high: 17, low: 14, close: 17, volume: 100),  // typical 16
        ]
        var anchored = try VWAP()
        let cumulative = try bars.map { try anchored.update($0) }
        let second: Double = 5300.0 / 400
        let fourth: Double = 6900.0 / 500
        let expected: [Double?] = [11, second, second, fourth]
        #expect(cumulative == expected)
        var rolling = try VWAP(period: 2)
        let window = try bars.map { try rolling.update($0) }
        let rollingExpected: [Double?] = [nil, second, 14, 16]
        #expect(window == rollingExpected)
        #expect(throws: IndicatorError.self) { try VWAP(period: 0) }
    }

    @Test("Supertrend follows TradingView's rules on a rise, a fall and a recovery")
    func supertrend() throws {
        var prices: [Double] = []
        for day in 0..<30 { prices.append(100 + Double(day)) }  // rising
        for day in 0..<30 { prices.append(130 - 2 * Double(day)) }  // falling
        for day in 0..<30 { prices.append(70 + 1.5 * Double(day)) }  // recovering
        let bars = prices.map { Bar(open: $0, high: $0 + 1, low: $0 - 1, close: $0 + 0.5, volume: 1) }
        var indicator = try Supertrend(period: 10, multiplier: 3)
        var outputs: [Supertrend.Output?] = []
        for bar in bars {
            let peeked = try indicator.peek(bar)
            let updated = try indicator.update(bar)
            #expect(peeked == updated)
            outputs.append(updated)
        }
        #expect(outputs.prefix(10).allSatisfy { $0 == nil })
        // Starts down, turns up in the rise, down in the fall, up again in the recovery.
        let trend = outputs.compactMap { $0?.isUp }
        var turns: [Bool] = []
        for isUp in trend where turns.last != isUp { turns.append(isUp) }
        #expect(turns == [false, true, false, true])
        // In an uptrend the band is below the close, in a downtrend above it.
        for (bar, output) in zip(bars, outputs) {
            guard let output else { continue }
            #expect(output.isUp ? output.value <= bar.close : output.value >= bar.close)
        }
        #expect(throws: IndicatorError.self) { try Supertrend(period: 10, multiplier: 0) }
        #expect(throws: IndicatorError.self) { try Supertrend(period: 10, multiplier: .nan) }
        let restored = try JSONDecoder().decode(Supertrend.self, from: JSONEncoder().encode(indicator))
        #expect(try restored.peek(bars[0]) == indicator.peek(bars[0]))
    }
}

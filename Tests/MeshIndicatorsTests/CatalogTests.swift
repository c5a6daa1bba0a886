import Foundation
import Testing

@testable import MeshIndicators

/// The catalog: every golden configuration made from its text gives TA-Lib's lookback and every output column bit for
/// bit; malformed texts are refused with the place and the problem; CSV bars are read with line-numbered problems.
@Suite("Indicator catalog and CSV bars")
struct CatalogTests {
    @Test("every golden configuration, made from text, has TA-Lib's lookback and outputs, bit for bit")
    func goldenThroughTheCatalog() throws {
        let manifest = try String(
            contentsOf: Golden.directory.appendingPathComponent("manifest.csv"), encoding: .utf8
        ).split(separator: "\n").dropFirst()
        let prices = try Golden.prices("IBM")
        let bars = prices.close.indices.map {
            Bar(
                open: prices.open[$0], high: prices.high[$0], low: prices.low[$0], close: prices.close[$0],
                volume: prices.volume[$0])
        }
        var covered = 0
        var notBuilt: Set<String> = []
        for row in manifest {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let (config, function, parameters, lookback) = (fields[0], fields[1], fields[2], Int(fields[4])!)
            guard IndicatorCatalog.entry(named: function) != nil else {
                notBuilt.insert(function)
                continue
            }
            let values = parameters.split(separator: ";").map { $0.split(separator: "=")[1] }
            var indicator = try IndicatorCatalog.make("\(function)(\(values.joined(separator: ",")))")
            #expect(indicator.lookback == lookback, "\(config)")
            let expected = try Golden.outputs(config, "IBM")
            var columns = [[Double]](repeating: [], count: indicator.outputs.count)
            for bar in bars {
                let outputs = try indicator.update(bar)
                for index in columns.indices { columns[index].append(outputs?[index] ?? .nan) }
            }
            for (index, name) in indicator.outputs.enumerated() {
                let theirs = try #require(expected[name], "\(config) has no output \(name)")
                #expect(Golden.differences(columns[index], theirs).isEmpty, "\(config).\(name)")
            }
            covered += 1
        }
        // Every function of the golden files is built.
        #expect(notBuilt.isEmpty, "\(notBuilt.sorted())")
        #expect(covered == manifest.count)
        #expect(IndicatorCatalog.entries.count >= 58)
    }

    @Test(
        "a text that names no indicator, or names it wrongly, is refused saying what is wrong",
        arguments: [
            ("NOPE(3)", "no indicator named 'NOPE'"), ("RSI(14", "no closing ')'"),
            ("RSI(14,2)", "RSI takes at most 1 parameter, 2 given"),
            ("RSI(x)", "timeperiod = 'x' is not a whole number"),
            ("RSI(1)", "RSI: parameter period = 1 is invalid"),
            ("BBANDS(20,2,inf,0)", "nbdevdn = 'inf' is not a number"),
            ("APO(12,26,7)", "matype = 7 is invalid"), ("R-SI", "the name must be letters"),
        ])
    func malformedTexts(text: String, expected: String) {
        do {
            _ = try IndicatorCatalog.make(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    @Test("names are case-insensitive and parameters may be left out or spaced")
    func lenientSpelling() throws {
        #expect(try IndicatorCatalog.make("rsi").lookback == 14)
        #expect(try IndicatorCatalog.make(" macd( 5 , 35 ) ").lookback == 34 + 8)
        #expect(try IndicatorCatalog.make("TRANGE()").outputs == ["real"])
    }

    @Test("CSV bars: columns by header, problems with their line numbers, skipped or refused")
    func csvBars() throws {
        let text = """
            Date,Open,High,Low,Close,Volume,Extra\r
            2020-01-01,10,11,9,10.5,100,x
            2020-01-02,10,11,9,abc,100,x
            2020-01-03,10,9,11,10,100,x

            2020-01-04,10,11,9,10.5,100
            2020-01-05,10,12,9,nan,100,x
            2020-01-06,10,12,9,11,-5,x
            2020-01-07,10,12,9,13,5,x
            2020-01-08,10,12,9,11,5,x
            """
        #expect(throws: BarCSV.Problem(line: 3, reason: "close 'abc' is not a number")) {
            try BarCSV(text, policy: .refuse)
        }
        let read = try BarCSV(text, policy: .skip)
        #expect(
            read.bars == [
                Bar(open: 10, high: 11, low: 9, close: 10.5, volume: 100),
                Bar(open: 10, high: 12, low: 9, close: 11, volume: 5),
            ])
        #expect(read.labels == ["2020-01-01", "2020-01-08"])
        #expect(read.skipped.map(\.line) == [3, 4, 6, 7, 8, 9])
        #expect(
            read.skipped.map(\.description) == [
                "line 3: close 'abc' is not a number", "line 4: low 11.0 is above high 9.0",
                "line 6: 6 fields, the header has 7", "line 7: close is nan, not a finite number",
                "line 8: volume -5.0 is negative", "line 9: open or close outside [low, high]",
            ])
        #expect(throws: BarCSV.Problem.self) { try BarCSV("open,high,close\n1,2,3") }
        #expect(throws: BarCSV.Problem.self) { try BarCSV("") }
        // Without volume or date columns: volume 0, no labels.
        let plain = try BarCSV("open,high,low,close\n1,2,0.5,1.5")
        #expect(plain.bars == [Bar(open: 1, high: 2, low: 0.5, close: 1.5)])
        #expect(plain.labels == [""])
    }
}

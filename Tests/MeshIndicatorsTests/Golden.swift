import Foundation

/// The golden data of `Tools/indicator-golden.sh`: real daily OHLCV (bokeh_sampledata, public domain) and TA-Lib
/// 0.8's output for each indicator configuration, read from the source tree.
enum Golden {
    static let symbols = ["AAPL", "MSFT", "IBM", "GOOG"]

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    struct Prices {
        var open: [Double] = []
        var high: [Double] = []
        var low: [Double] = []
        var close: [Double] = []
        var volume: [Double] = []
    }

    /// The input rows of `symbol`.
    static func prices(_ symbol: String) throws -> Prices {
        let rows = try lines(directory.appendingPathComponent("input/\(symbol).csv")).dropFirst()
        var prices = Prices()
        for row in rows {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 6 else { throw GoldenError.malformed("input/\(symbol).csv: \(row)") }
            prices.open.append(try number(fields[1]))
            prices.high.append(try number(fields[2]))
            prices.low.append(try number(fields[3]))
            prices.close.append(try number(fields[4]))
            prices.volume.append(try number(fields[5]))
        }
        return prices
    }

    /// TA-Lib's outputs for `config` over `symbol`'s rows, by output name (NaN in the warm-up).
    static func outputs(_ config: String, _ symbol: String) throws -> [String: [Double]] {
        let rows = try lines(directory.appendingPathComponent("\(symbol)/\(config).csv"))
        guard let header = rows.first else { throw GoldenError.malformed("\(symbol)/\(config).csv is empty") }
        let names = header.split(separator: ",").map(String.init)
        var columns = [[Double]](repeating: [], count: names.count)
        for row in rows.dropFirst() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == names.count else { throw GoldenError.malformed("\(symbol)/\(config).csv: \(row)") }
            for (index, field) in fields.enumerated() { columns[index].append(try number(field)) }
        }
        return Dictionary(uniqueKeysWithValues: zip(names, columns))
    }

    private static func lines(_ url: URL) throws -> [Substring] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
    }

    private static func number(_ field: Substring) throws -> Double {
        guard let value = Double(field) else { throw GoldenError.malformed("not a number: \(field)") }
        return value
    }

    /// The rows where `ours` and `theirs` differ in any bit (NaN matching NaN), as text for a failure message.
    static func differences(_ ours: [Double], _ theirs: [Double], limit: Int = 5) -> [String] {
        guard ours.count == theirs.count else { return ["\(ours.count) values against TA-Lib's \(theirs.count)"] }
        var found: [String] = []
        for index in ours.indices {
            let (a, b) = (ours[index], theirs[index])
            if a.isNaN && b.isNaN { continue }
            if a.bitPattern != b.bitPattern {
                found.append("row \(index): \(a) against TA-Lib's \(b)")
                if found.count == limit { break }
            }
        }
        return found
    }
}

enum GoldenError: Error {
    case malformed(String)
}

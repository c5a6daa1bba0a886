/// OHLCV bars from CSV text: a header naming the columns (`open`, `high`, `low`, `close`, and optionally `volume` and
/// `date` or `time`, in any order and case; other columns are ignored), then one bar per line. A malformed row is
/// reported with its line number and, by `policy`, skipped or the whole input refused — never silently.
public struct BarCSV: Sendable {
    /// What to do with a malformed row.
    public enum Policy: String, Sendable, CaseIterable {
        /// Report it and go on without it.
        case skip
        /// Report it and stop: the input is refused.
        case refuse
    }

    /// A row that could not be read.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based, the header being line 1.
        public let line: Int
        /// What was wrong.
        public let reason: String
        /// "line N: reason".
        public var description: String { "line \(line): \(reason)" }

        /// A problem on `line`.
        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    /// The bars read, in order.
    public private(set) var bars: [Bar] = []
    /// Each bar's `date` or `time` field as written (empty without such a column).
    public private(set) var labels: [String] = []
    /// Each bar's line number (the header being line 1).
    public private(set) var lines: [Int] = []
    /// The rows skipped, with why.
    public private(set) var skipped: [Problem] = []

    /// At most this many bars are read (a larger input is refused).
    public static let maxRows = 10_000_000

    /// Reads `text`.
    /// - Throws: `Problem` for a missing or incomplete header, and for the first malformed row under `.refuse`.
    public init(_ text: String, policy: Policy = .refuse) throws(Problem) {
        // Any line break: "\r\n" is one Character in Swift, which a split on "\n" would not see.
        var rows = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).makeIterator()
        guard let headerLine = rows.next(), !Self.strip(headerLine).isEmpty else {
            throw Problem(line: 1, reason: "no header (expected a line naming open, high, low, close[, volume])")
        }
        let header = Self.strip(headerLine).split(separator: ",", omittingEmptySubsequences: false).map {
            Self.strip($0).lowercased()
        }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        var required: [Int] = []
        for name in ["open", "high", "low", "close"] {
            guard let index = column(name) else {
                throw Problem(
                    line: 1, reason: "the header has no '\(name)' column (it has: \(header.joined(separator: ", ")))")
            }
            required.append(index)
        }
        let volumeColumn = column("volume")
        let labelColumn = column("date") ?? column("time") ?? column("timestamp")
        var number = 1
        while let raw = rows.next() {
            number += 1
            let line = Self.strip(raw)
            if line.isEmpty { continue }
            do throws(Problem) {
                guard bars.count < Self.maxRows else {
                    throw Problem(line: number, reason: "more than \(Self.maxRows) rows")
                }
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                guard fields.count == header.count else {
                    throw Problem(line: number, reason: "\(fields.count) fields, the header has \(header.count)")
                }
                var values: [Double] = []
                for (name, index) in zip(["open", "high", "low", "close"], required) {
                    values.append(try Self.number(fields[index], name, line: number))
                }
                var volume = 0.0
                if let volumeColumn { volume = try Self.number(fields[volumeColumn], "volume", line: number) }
                let bar = Bar(open: values[0], high: values[1], low: values[2], close: values[3], volume: volume)
                guard bar.low <= bar.high else {
                    throw Problem(line: number, reason: "low \(bar.low) is above high \(bar.high)")
                }
                guard (bar.low...bar.high).contains(bar.open), (bar.low...bar.high).contains(bar.close) else {
                    throw Problem(line: number, reason: "open or close outside [low, high]")
                }
                guard volume >= 0 else { throw Problem(line: number, reason: "volume \(volume) is negative") }
                bars.append(bar)
                labels.append(labelColumn.map { Self.strip(fields[$0]) } ?? "")
                lines.append(number)
            } catch {
                if policy == .refuse || error.reason.hasPrefix("more than") { throw error }
                skipped.append(error)
            }
        }
    }

    private static func number(_ field: Substring, _ name: String, line: Int) throws(Problem) -> Double {
        let text = strip(field)
        guard let value = Double(text) else {
            throw Problem(line: line, reason: "\(name) '\(text.prefix(40))' is not a number")
        }
        guard value.isFinite else { throw Problem(line: line, reason: "\(name) is \(value), not a finite number") }
        return value
    }

    private static func strip(_ text: Substring) -> String {
        String(
            text.drop { $0 == " " || $0 == "\r" || $0 == "\t" }.reversed().drop {
                $0 == " " || $0 == "\r" || $0 == "\t"
            }.reversed())
    }
}

import Foundation
public import MeshIndicators
import MeshSampleData

/// Price feeds (`Specs/indicators.md`, section 6): the bundled real data set, OHLCV CSV files, and NDJSON ticks or
/// bars (one JSON object per line, from stdin or a file). Every malformed line or row is reported with its number and,
/// by policy, skipped or the whole input refused; never silently dropped.
public enum Feed {
    /// What to do with a malformed line or row.
    public typealias Policy = BarCSV.Policy

    /// One record of an NDJSON feed.
    public enum Record: Sendable, Equatable {
        /// A trade.
        case tick(Tick, symbol: String?)
        /// A bar.
        case bar(TimeBar, symbol: String?)
    }

    /// A line or row that could not be read.
    public typealias Problem = BarCSV.Problem

    /// The longest NDJSON line read, in bytes.
    public static let maxLineBytes = 65_536

    /// `symbol`'s daily bars from the bundled data set, oldest first; nil for a symbol not in it
    /// (`SampleData.symbols` lists them). `adjusted`: open, high, low and close scaled by the day's adjusted close
    /// over its close, so that splits and dividends are not moves (the published prices otherwise; volumes as
    /// published either way).
    public static func sample(_ symbol: String, adjusted: Bool = true) -> Table? {
        // The bundled text is checked by the tests: it reads without a problem.
        guard let text = SampleData.csvText(for: symbol), var table = try? bars(csv: text) else { return nil }
        guard adjusted else { return table }
        let rows = text.split(whereSeparator: \.isNewline).dropFirst()
        for (index, row) in zip(table.bars.indices, rows) {
            let fields = row.split(separator: ",")
            guard fields.count == 7, let adjustedClose = Double(fields[6]) else { return nil }
            let factor = adjustedClose / table.bars[index].bar.close
            table.bars[index].bar.open *= factor
            table.bars[index].bar.high *= factor
            table.bars[index].bar.low *= factor
            table.bars[index].bar.close *= factor
        }
        return table
    }

    /// Bars from OHLCV CSV text (`BarCSV`'s rules). A `date`, `time` or `timestamp` column gives each bar's start
    /// (ISO 8601, or milliseconds since the epoch); without one, bars are numbered from 0 and `timed` is false.
    /// - Throws: `Problem` for a bad header, a bad time, bars out of time order, and the first malformed row under
    ///   `.refuse`.
    public static func bars(csv text: String, policy: Policy = .refuse) throws(Problem) -> Table {
        let table = try BarCSV(text, policy: policy)
        var skipped = table.skipped
        guard table.labels.contains(where: { !$0.isEmpty }) else {
            let bars = table.bars.enumerated().map { TimeBar(start: Int64($0.offset), bar: $0.element) }
            return Table(bars: bars, labels: table.labels, skipped: skipped, timed: false)
        }
        let parser = TimeParser()
        var bars: [TimeBar] = []
        var labels: [String] = []
        bars.reserveCapacity(table.bars.count)
        for (line, (bar, label)) in zip(table.lines, zip(table.bars, table.labels)) {
            do throws(Problem) {
                guard let time = parser.time(label) else {
                    throw Problem(line: line, reason: "time '\(label.prefix(40))' is not ISO 8601 or epoch ms")
                }
                if let previous = bars.last, time <= previous.start {
                    throw Problem(line: line, reason: "time \(label) is not after the previous row's")
                }
                bars.append(TimeBar(start: time, bar: bar))
                labels.append(label)
            } catch {
                if policy == .refuse { throw error }
                skipped.append(error)
            }
        }
        return Table(bars: bars, labels: labels, skipped: skipped, timed: true)
    }

    /// Bars read from CSV text.
    public struct Table: Sendable {
        /// The bars, oldest first.
        public var bars: [TimeBar]
        /// Each bar's time as written (empty without a time column).
        public var labels: [String]
        /// The rows left out, with why.
        public var skipped: [Problem]
        /// Whether the bars carry times (false: they are numbered from 0).
        public var timed: Bool
    }

    /// The smallest spacing of `bars` when it is longer than `target`'s interval (such bars cannot make `target`
    /// bars: daily bars cannot make hourly ones); nil when they can.
    public static func spacing(of bars: [TimeBar], exceeding target: Timeframe) -> Int64? {
        var smallest = Int64.max
        for (earlier, later) in zip(bars, bars.dropFirst()) { smallest = min(smallest, later.start - earlier.start) }
        guard smallest != .max, let first = bars.first else { return nil }
        let interval = target.interval(containing: first.start)
        return interval.end - interval.start < smallest ? smallest : nil
    }

    /// A bar start as a UTC date (`2024-01-02`) for bars of days, weeks or months, or a date and time
    /// (`2024-01-02T09:30:00Z`) for shorter ones; without a timeframe, the date alone when the time is midnight.
    /// Computed from the civil calendar, as ISO8601DateFormatter would print it (tested against it): a node labels
    /// every signal it logs, and making a formatter each time cost a quarter of a node's processor time per signal.
    public static func label(_ time: Int64, timeframe: Timeframe? = nil) -> String {
        let dateOnly = timeframe.map { [.day, .week, .month].contains($0.unit) } ?? (time % 86_400_000 == 0)
        // Whole seconds, rounded toward the past (as the formatter does).
        let seconds = time >= 0 ? time / 1000 : (time - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = UTC.date(fromDays: days)
        func padded(_ value: some BinaryInteger, _ width: Int) -> String {
            let text = "\(value)"
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let date = "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
        if dateOnly { return date }
        return date
            + "T\(padded(secondOfDay / 3600, 2)):\(padded(secondOfDay % 3600 / 60, 2)):\(padded(secondOfDay % 60, 2))Z"
    }

    /// Reads NDJSON feed lines one at a time, keeping count of the line number.
    public struct LineReader {
        private let parser = TimeParser()
        /// The number of the last line read (1-based).
        public private(set) var line = 0

        /// A reader starting at line 1.
        public init() {}

        /// Counts a line that was not read (too long to): the problem naming it.
        public mutating func skipLine(reason: String) -> Problem {
            line += 1
            return Problem(line: line, reason: reason)
        }

        /// The record on the next line, or nil for a blank line.
        /// - Throws: `Problem` naming this line and what is wrong with it.
        public mutating func read(_ text: Substring) throws(Problem) -> Record? {
            line += 1
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return nil }
            guard trimmed.utf8.count <= maxLineBytes else {
                throw Problem(line: line, reason: "longer than \(maxLineBytes) bytes")
            }
            let object: [String: Any]
            do {
                guard let parsed = try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                    throw Problem(line: line, reason: "not a JSON object")
                }
                object = parsed
            } catch let problem as Problem {
                throw problem
            } catch {
                throw Problem(line: line, reason: "not valid JSON")
            }
            return try record(object)
        }

        private func record(_ object: [String: Any]) throws(Problem) -> Record {
            guard let rawTime = object["time"] ?? object["timestamp"] else {
                throw Problem(line: line, reason: "no \"time\" (ISO 8601 text or milliseconds since the epoch)")
            }
            guard let time = parser.time(rawTime) else {
                throw Problem(line: line, reason: "time \(String(describing: rawTime).prefix(40)) is not valid")
            }
            let symbol = object["symbol"] as? String
            if object["price"] != nil {
                let tick = Tick(time: time, price: try number(object, "price"), size: try number(object, "size"))
                if let problem = tick.problem { throw Problem(line: line, reason: problem) }
                return .tick(tick, symbol: symbol)
            }
            guard object["close"] != nil else {
                throw Problem(
                    line: line, reason: "neither a tick (time, price, size) nor a bar (time, open, high, low, close)")
            }
            let bar = Bar(
                open: try number(object, "open"), high: try number(object, "high"), low: try number(object, "low"),
                close: try number(object, "close"),
                volume: object["volume"] == nil ? 0 : try number(object, "volume"))
            guard bar.low <= bar.high, (bar.low...bar.high).contains(bar.open), (bar.low...bar.high).contains(bar.close)
            else {
                throw Problem(line: line, reason: "open, high, low and close do not fit (low ≤ open, close ≤ high)")
            }
            guard bar.volume >= 0 else { throw Problem(line: line, reason: "volume \(bar.volume) is negative") }
            var timeBar = TimeBar(start: time, bar: bar)
            if object["vwap"] != nil { timeBar.vwap = try number(object, "vwap") }
            if let trades = object["trades"] {
                guard let count = JSONNumber.value(trades).flatMap({ Int(exactly: $0) }), count >= 0 else {
                    throw Problem(line: line, reason: "trades is not a whole number ≥ 0")
                }
                timeBar.trades = count
            }
            return .bar(timeBar, symbol: symbol)
        }

        private func number(_ object: [String: Any], _ key: String) throws(Problem) -> Double {
            guard let value = object[key] else { throw Problem(line: line, reason: "no \"\(key)\"") }
            guard let number = JSONNumber.value(value) ?? (value as? String).flatMap(Double.init), number.isFinite
            else {
                throw Problem(
                    line: line, reason: "\(key) \(String(describing: value).prefix(40)) is not a finite number")
            }
            return number
        }
    }
}

/// Times as feeds write them: ISO 8601 text (`2024-01-02`, `2024-01-02T15:04:05Z`, with fractional seconds or an
/// offset) or a number of milliseconds since the Unix epoch. Parsed by Foundation's ISO 8601 formatter.
struct TimeParser {
    private let withFraction: ISO8601DateFormatter
    private let withoutFraction: ISO8601DateFormatter
    private let dateOnly: ISO8601DateFormatter

    init() {
        withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        withoutFraction = ISO8601DateFormatter()
        withoutFraction.formatOptions = [.withInternetDateTime]
        dateOnly = ISO8601DateFormatter()
        dateOnly.formatOptions = [.withFullDate]
    }

    /// Milliseconds since the epoch, or nil when `value` is neither form or outside years 1...9999.
    func time(_ value: Any) -> Int64? {
        let milliseconds: Double
        if let text = value as? String {
            if let number = Int64(text) { return checked(Double(number)) }
            if let fast = Self.commonForm(text) { return fast }
            guard
                let date = withFraction.date(from: text) ?? withoutFraction.date(from: text)
                    ?? dateOnly.date(from: text)
            else { return nil }
            milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        } else if let number = JSONNumber.value(value) {
            milliseconds = number.rounded()
        } else {
            return nil
        }
        return checked(milliseconds)
    }

    /// `2024-01-02`, `2024-01-02T15:04:05Z` and `2024-01-02T15:04:05.250Z` read directly: feeds write one of these
    /// on every line, and Foundation's formatter costs tens of microseconds a call (a tick feed's bottleneck); any
    /// other form (offsets, more fraction digits) goes to the formatter.
    static func commonForm(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10 || bytes.count == 20 || bytes.count == 24 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), let year = number(0..<4), year >= 1583,
            let month = number(5..<7), let day = number(8..<10)
        else { return nil }
        guard bytes.count > 10 else { return UTC.milliseconds(year: year, month: month, day: day) }
        guard bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            bytes.last == UInt8(ascii: "Z"), let hour = number(11..<13), let minute = number(14..<16),
            let second = number(17..<19)
        else { return nil }
        var millisecond = 0
        if bytes.count == 24 {
            guard bytes[19] == UInt8(ascii: "."), let fraction = number(20..<23) else { return nil }
            millisecond = fraction
        }
        return UTC.milliseconds(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, millisecond: millisecond)
    }

    /// 1583-01-01T00:00Z: feed times start with the Gregorian calendar (Foundation's formatter reads earlier dates
    /// in the Julian calendar, ISO 8601 in the Gregorian: refusing them keeps every form of a time one instant).
    static let earliest: Int64 = -12_212_553_600_000

    private func checked(_ milliseconds: Double) -> Int64? {
        guard milliseconds.isFinite, milliseconds >= Double(Self.earliest), milliseconds <= Double(Timeframe.latest)
        else { return nil }
        return Int64(milliseconds)
    }
}

/// Feed records into bars of one timeframe: ticks aggregated (`BarAggregator`), bars resampled (`Resampler`) or, with
/// no timeframe, passed through in time order; records of other symbols are left out and counted.
public struct BarPipeline: Sendable {
    /// The bars' timeframe; nil to pass bars through as they are.
    public let timeframe: Timeframe?
    /// The symbol kept; nil to keep every record.
    public let symbol: String?
    private var aggregator: BarAggregator?
    private var resampler: Resampler?
    private var lastStart = Int64.min
    /// Whether the feed is of ticks (true) or bars (false), once a record has said.
    private var ofTicks: Bool?
    /// Records of another symbol, left out.
    public private(set) var otherSymbols = 0

    /// A pipeline into `timeframe` bars of `symbol`, ticks waiting `grace` milliseconds for late trades.
    /// - Throws: `IndicatorError.invalidParameter` for a grace outside 0...86400000.
    public init(timeframe: Timeframe?, symbol: String? = nil, grace: Int64 = 0) throws(IndicatorError) {
        self.timeframe = timeframe
        self.symbol = symbol?.uppercased()
        if let timeframe {
            aggregator = try BarAggregator(timeframe: timeframe, grace: grace)
            resampler = Resampler(timeframe: timeframe)
        }
    }

    /// Ticks that came after their bar had closed (not used).
    public var lateTicks: Int { aggregator?.lateTicks ?? 0 }

    /// Adds `record`, appending the bars it completes to `bars`.
    /// - Throws: a reason for a tick without a timeframe, a bad tick, or a bar out of time order; nothing changes.
    public mutating func add(_ record: Feed.Record, into bars: inout [TimeBar]) throws(Feed.Refusal) {
        switch record {
        case .tick(let tick, let recordSymbol):
            guard keeps(recordSymbol) else { return }
            guard ofTicks != false else {
                throw Feed.Refusal(reason: "a tick in a feed of bars: a feed is one or the other")
            }
            guard aggregator != nil else {
                throw Feed.Refusal(reason: "a tick, but no timeframe to make bars of (give one, as 1m)")
            }
            do {
                try aggregator?.add(tick, closing: &bars)
            } catch {
                throw Feed.Refusal(reason: error.reason)
            }
            ofTicks = true
        case .bar(let bar, let recordSymbol):
            guard keeps(recordSymbol) else { return }
            guard ofTicks != true else {
                throw Feed.Refusal(reason: "a bar in a feed of ticks: a feed is one or the other")
            }
            if resampler != nil {
                do {
                    if let completed = try resampler?.add(bar) { bars.append(completed) }
                } catch {
                    throw Feed.Refusal(reason: error.reason)
                }
            } else {
                guard bar.start > lastStart else {
                    throw Feed.Refusal(reason: "a bar at \(bar.start) is not after the previous one at \(lastStart)")
                }
                lastStart = bar.start
                bars.append(bar)
            }
            ofTicks = false
        }
    }

    /// The feed has ended: appends the bars still forming to `bars`.
    public mutating func finish(into bars: inout [TimeBar]) {
        aggregator?.finish(into: &bars)
        if let last = resampler?.finish() { bars.append(last) }
    }

    private mutating func keeps(_ recordSymbol: String?) -> Bool {
        guard let symbol, let recordSymbol, recordSymbol.uppercased() != symbol else { return true }
        otherSymbols += 1
        return false
    }
}

extension Feed {
    /// A record that a pipeline cannot use: what is wrong with it.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// What was wrong.
        public let reason: String
        /// A refusal for `reason`.
        public init(reason: String) { self.reason = reason }
        /// The reason.
        public var description: String { reason }
    }
}

/// Numbers as `JSONSerialization` gives them: an `NSNumber`, which it also uses for `true` and `false` (and which then
/// says it is a `Bool` even for 1); a boolean is not a number here.
public enum JSONNumber {
    /// The number `any` holds; nil for anything else, `true` and `false` included.
    public static func value(_ any: Any) -> Double? {
        guard let number = any as? NSNumber, !String(describing: type(of: number)).contains("Boolean") else {
            return nil
        }
        // swift-corelibs-foundation reads many decimals (`224.88177645405662`) as an NSDecimalNumber whose
        // doubleValue is off by an ulp or more (17% of random prices in a test); its decimal text, read by Swift's
        // correctly rounded parser, is the number written (to NSDecimal's 38 digits, more than a double needs).
        if let decimal = number as? NSDecimalNumber, let exact = Double(decimal.stringValue) { return exact }
        return number.doubleValue
    }

    /// Whether `any` is JSON's `true` or `false`.
    public static func isBoolean(_ any: Any) -> Bool {
        any is NSNumber && String(describing: type(of: any)).contains("Boolean")
    }
}

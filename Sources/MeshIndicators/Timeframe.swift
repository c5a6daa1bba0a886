/// A bar interval: a number of seconds, minutes, hours, days, weeks or calendar months, written `30s`, `1m`, `5m`,
/// `1h`, `4h`, `1d`, `1w`, `1M`. Intervals are aligned in UTC: to multiples of their length since the Unix epoch,
/// weeks to Mondays, months to the first of a month (`3M` to January, April, July and October).
public struct Timeframe: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The unit of a timeframe.
    public enum Unit: String, Sendable, Codable, CaseIterable {
        case second = "s"
        case minute = "m"
        case hour = "h"
        case day = "d"
        case week = "w"
        case month = "M"

        var milliseconds: Int64 {
            switch self {
            case .second: 1000
            case .minute: 60_000
            case .hour: 3_600_000
            case .day: 86_400_000
            case .week: 604_800_000
            case .month: 0
            }
        }
    }

    /// How many units.
    public let count: Int
    /// The unit.
    public let unit: Unit

    /// Times are milliseconds since 1970-01-01T00:00Z, from the year 1 to the year 9999.
    public static let earliest: Int64 = -62_135_596_800_000
    /// The last millisecond of the year 9999.
    public static let latest: Int64 = 253_402_300_799_999

    /// `count` units.
    /// - Throws: `IndicatorError.invalidParameter` for a count outside 1...10000 (months: 1...120).
    public init(_ count: Int, _ unit: Unit) throws(IndicatorError) {
        let limit = unit == .month ? 120 : 10_000
        guard (1...limit).contains(count) else {
            throw .invalidParameter(
                name: "timeframe", value: "\(count)\(unit.rawValue)", expected: "1...\(limit) units")
        }
        self.count = count
        self.unit = unit
    }

    /// A timeframe from text such as `5m` or `1d` (`M` is months, `m` minutes).
    /// - Throws: `IndicatorError.invalidParameter` naming the text and what is expected.
    public init(_ text: String) throws(IndicatorError) {
        guard let last = text.last, let unit = Unit(rawValue: String(last)), let count = Int(text.dropLast()) else {
            throw .invalidParameter(
                name: "timeframe", value: "'\(text.prefix(40))'",
                expected: "a count and a unit: s, m (minutes), h, d, w or M (months), as in 5m, 1h, 1d")
        }
        try self.init(count, unit)
    }

    /// `5m`, `1d`.
    public var description: String { "\(count)\(unit.rawValue)" }

    /// The interval that contains `time` (UTC milliseconds): its start and its end (exclusive).
    public func interval(containing time: Int64) -> (start: Int64, end: Int64) {
        switch unit {
        case .month:
            let day = Self.floorDivide(time, Unit.day.milliseconds)
            let (year, month, _) = Civil.date(fromDays: day)
            let months = year * 12 + (month - 1)
            // Months since the year 0 are positive for every supported time.
            let first = months - months % count
            let start = Civil.days(year: first / 12, month: first % 12 + 1, day: 1)
            let next = first + count
            let end = Civil.days(year: next / 12, month: next % 12 + 1, day: 1)
            return (start * Unit.day.milliseconds, end * Unit.day.milliseconds)
        case .week:
            // 1970-01-01 was a Thursday: weeks start 4 days later, on Mondays.
            let length = Int64(count) * Unit.week.milliseconds
            let offset = 4 * Unit.day.milliseconds
            let start = time - Self.floorModulo(time - offset, length)
            return (start, start + length)
        default:
            let length = Int64(count) * unit.milliseconds
            let start = time - Self.floorModulo(time, length)
            return (start, start + length)
        }
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0) ? quotient - 1 : quotient
    }

    static func floorModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
        let remainder = value % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}

/// UTC calendar times as milliseconds since the Unix epoch.
public enum UTC {
    /// The time of a calendar date and time of day in UTC; nil when a field is out of its range (February 30th, hour
    /// 24, a year outside 1...9999).
    public static func milliseconds(
        year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0
    ) -> Int64? {
        guard (1...9999).contains(year), (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute),
            (0...59).contains(second), (0...999).contains(millisecond)
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...lengths[month - 1]).contains(day) else { return nil }
        let days = Civil.days(year: year, month: month, day: day)
        return days * 86_400_000 + Int64(hour * 3_600_000 + minute * 60_000 + second * 1000 + millisecond)
    }

    /// The proleptic Gregorian year, month (1...12) and day (1...31) of the day `days` after 1970-01-01.
    public static func date(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        Civil.date(fromDays: days)
    }
}

/// Proleptic Gregorian calendar arithmetic on day numbers since 1970-01-01 (Howard Hinnant's public-domain
/// `days_from_civil` and `civil_from_days`). Hand-written because this module has no Foundation, and these two
/// functions are all the calendar that month-aligned bars need.
enum Civil {
    /// The day number of `year`-`month`-`day`.
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The year, month (1...12) and day (1...31) of day number `days`.
    static func date(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}

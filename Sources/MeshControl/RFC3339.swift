public import MeshCore
import MeshIndicators

/// Timestamps in RFC 3339 form, UTC with milliseconds (`2026-11-21T16:25:47.123Z`), computed from the instant
/// alone: cores must not read the system's time zone or clock.
public enum RFC3339 {
    /// `instant` as RFC 3339 text in UTC.
    public static func text(_ instant: Instant) -> String {
        let nanoseconds = instant.nanosecondsSinceEpoch
        let seconds = instant.secondsSinceEpoch
        let millis = (nanoseconds - seconds * 1_000_000_000) / 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = UTC.date(fromDays: days)
        func two(_ value: some BinaryInteger) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millisText = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):"
            + "\(two(secondOfDay % 60)).\(millisText)Z"
    }
}

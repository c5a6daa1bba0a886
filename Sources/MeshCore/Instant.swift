/// A point in time: nanoseconds since the Unix epoch on the clock of whoever drives the core.
///
/// Cores never read a clock; the shell passes `now` in (the runtime from the system clock, the simulator from its
/// virtual clock, which starts wherever the scenario says). Int64 nanoseconds reach the year 2262.
public struct Instant: Hashable, Comparable, Sendable, Codable {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanosecondsSinceEpoch: Int64

    /// The instant `nanosecondsSinceEpoch` nanoseconds after the Unix epoch.
    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// The Unix epoch; the simulator's default start.
    public static let epoch = Instant(nanosecondsSinceEpoch: 0)

    /// Whole seconds since the epoch, rounded down.
    public var secondsSinceEpoch: Int64 {
        let (quotient, remainder) = nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: 1_000_000_000)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// Orders instants by time.
    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }
    /// The instant `rhs` after `lhs` (before it, for a negative `rhs`).
    public static func + (lhs: Instant, rhs: Duration) -> Instant {
        Instant(nanosecondsSinceEpoch: lhs.nanosecondsSinceEpoch + rhs.nanoseconds)
    }
    /// The instant `rhs` before `lhs`.
    public static func - (lhs: Instant, rhs: Duration) -> Instant {
        Instant(nanosecondsSinceEpoch: lhs.nanosecondsSinceEpoch - rhs.nanoseconds)
    }
    /// The time from `rhs` to `lhs`.
    public static func - (lhs: Instant, rhs: Instant) -> Duration {
        Duration(nanoseconds: lhs.nanosecondsSinceEpoch - rhs.nanosecondsSinceEpoch)
    }
    /// Moves `lhs` forward by `rhs`.
    public static func += (lhs: inout Instant, rhs: Duration) { lhs.nanosecondsSinceEpoch += rhs.nanoseconds }
}

extension Instant: CustomStringConvertible {
    /// Seconds since the epoch with nanosecond precision, e.g. `1700000000.000000250`.
    public var description: String {
        let seconds = secondsSinceEpoch
        let fraction = nanosecondsSinceEpoch - seconds * 1_000_000_000
        let digits = String(fraction)
        return "\(seconds)." + String(repeating: "0", count: 9 - digits.count) + digits
    }
}

/// A span of time in nanoseconds, signed.
///
/// SignalMesh's own type rather than `Swift.Duration` because cores do integer arithmetic on it on every packet
/// and the simulator needs exact, platform-independent values; `Swift.Duration` is 128-bit attoseconds.
/// The range, about ±292 years, is far beyond any timer or timeout.
public struct Duration: Hashable, Comparable, Sendable, Codable {
    /// Nanoseconds.
    public var nanoseconds: Int64

    /// A duration of `nanoseconds`.
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// No time: the starting value for sums of durations.
    public static let zero = Duration(nanoseconds: 0)

    // Generic over BinaryInteger, like Swift.Duration's, so that `.seconds(2)` picks the exact integer form and
    // `.seconds(0.25)` the fractional one without ambiguity.
    /// A duration of `value` nanoseconds.
    public static func nanoseconds<T: BinaryInteger>(_ value: T) -> Duration { Duration(nanoseconds: Int64(value)) }
    /// A duration of `value` microseconds; traps if it does not fit (about ±292 years).
    public static func microseconds<T: BinaryInteger>(_ value: T) -> Duration {
        Duration(nanoseconds: Int64(value) * 1_000)
    }
    /// A duration of `value` milliseconds; traps if it does not fit (about ±292 years).
    public static func milliseconds<T: BinaryInteger>(_ value: T) -> Duration {
        Duration(nanoseconds: Int64(value) * 1_000_000)
    }
    /// A duration of `value` whole seconds; traps if it does not fit (about ±292 years).
    public static func seconds<T: BinaryInteger>(_ value: T) -> Duration {
        Duration(nanoseconds: Int64(value) * 1_000_000_000)
    }
    /// A duration of fractional seconds, rounded to the nearest nanosecond.
    public static func seconds(_ value: Double) -> Duration {
        Duration(nanoseconds: Int64((value * 1e9).rounded()))
    }

    /// The duration in seconds, as a `Double` (for display and statistics).
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// Orders durations by length, negative ones first.
    public static func < (lhs: Duration, rhs: Duration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
    /// The sum; traps on overflow, like integer `+`.
    public static func + (lhs: Duration, rhs: Duration) -> Duration {
        Duration(nanoseconds: lhs.nanoseconds + rhs.nanoseconds)
    }
    /// The difference; traps on overflow, like integer `-`.
    public static func - (lhs: Duration, rhs: Duration) -> Duration {
        Duration(nanoseconds: lhs.nanoseconds - rhs.nanoseconds)
    }
    /// The duration `rhs` times over; traps on overflow.
    public static func * (lhs: Duration, rhs: Int64) -> Duration { Duration(nanoseconds: lhs.nanoseconds * rhs) }
    /// One `rhs`-th of the duration, truncated toward zero to whole nanoseconds.
    public static func / (lhs: Duration, rhs: Int64) -> Duration { Duration(nanoseconds: lhs.nanoseconds / rhs) }
    /// Adds `rhs` to `lhs`.
    public static func += (lhs: inout Duration, rhs: Duration) { lhs.nanoseconds += rhs.nanoseconds }
    /// Subtracts `rhs` from `lhs`.
    public static func -= (lhs: inout Duration, rhs: Duration) { lhs.nanoseconds -= rhs.nanoseconds }
}

extension Duration: CustomStringConvertible {
    /// A short human form with a unit: `250ns`, `1.5µs`, `20ms`, `2.25s`.
    public var description: String {
        let magnitude = nanoseconds.magnitude
        func scaled(_ divisor: Double, _ unit: String) -> String {
            let value = Double(nanoseconds) / divisor
            let rounded = (value * 1000).rounded() / 1000
            let text = rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
            return text + unit
        }
        switch magnitude {
        case ..<1_000: return "\(nanoseconds)ns"
        case ..<1_000_000: return scaled(1e3, "µs")
        case ..<1_000_000_000: return scaled(1e6, "ms")
        default: return scaled(1e9, "s")
        }
    }
}

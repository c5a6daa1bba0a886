public import MeshCore

/// A TAI64N timestamp (12 bytes: 2^62 + seconds, then nanoseconds, both big-endian), the payload of every
/// initiation. A responder refuses an initiation whose timestamp is not newer than the last one it accepted from the
/// same key, so a captured initiation cannot be replayed to reset a session (WireGuard, section 5.1).
///
/// SignalMesh ignores the 37-second TAI-UTC offset: only the order of one sender's timestamps matters.
public struct TAI64N: Comparable, Hashable, Sendable {
    /// Bytes of the encoded timestamp: 8 of seconds, 4 of nanoseconds.
    public static let length = 12
    private static let offset: UInt64 = 1 << 62

    /// 2^62 plus the Unix seconds (without the TAI-UTC offset).
    public var seconds: UInt64
    /// Nanoseconds into the second, below 10^9.
    public var nanoseconds: UInt32

    /// The timestamp of `instant`.
    public init(_ instant: Instant) {
        let ns = max(instant.nanosecondsSinceEpoch, 0)
        seconds = Self.offset + UInt64(ns / 1_000_000_000)
        nanoseconds = UInt32(ns % 1_000_000_000)
    }

    /// Decodes 12 bytes; nil for another length or nanoseconds of a second or more.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.length else { return nil }
        seconds = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        nanoseconds = bytes[8..<12].reduce(0) { $0 << 8 | UInt32($1) }
        guard nanoseconds < 1_000_000_000 else { return nil }
    }

    /// The 12 bytes.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: seconds >> (56 - 8 * UInt64($0))) }
            + (0..<4).map { UInt8(truncatingIfNeeded: nanoseconds >> (24 - 8 * UInt32($0))) }
    }

    /// Orders timestamps by time: a responder accepts an initiation only if its timestamp is greater.
    public static func < (lhs: TAI64N, rhs: TAI64N) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

/// The packet-number ranges of an ACK frame, highest first.
///
/// The first range is held inline and the others in an array that stays empty — and unallocated — until there is a
/// second range, which only loss or reordering creates: the ACK frames of a healthy session cost no allocation to
/// build or decode.
public struct AckRanges: RandomAccessCollection, Hashable, Sendable, ExpressibleByArrayLiteral {
    private var first: ClosedRange<UInt64>
    private var rest: [ClosedRange<UInt64>] = []

    /// One range.
    public init(first: ClosedRange<UInt64>) {
        self.first = first
    }

    /// The ranges of `ranges`, in the same order; at least one.
    public init(_ ranges: some Collection<ClosedRange<UInt64>>) {
        guard let head = ranges.first else { preconditionFailure("ACK ranges need at least one range") }
        first = head
        rest = Array(ranges.dropFirst())
    }

    /// The ranges listed, in order; at least one.
    public init(arrayLiteral ranges: ClosedRange<UInt64>...) {
        self.init(ranges)
    }

    /// Adds a range after the last (the caller keeps the order: descending, with gaps).
    public mutating func append(_ range: ClosedRange<UInt64>) {
        rest.append(range)
    }

    /// Always 0.
    public var startIndex: Int { 0 }
    /// One past the last range.
    public var endIndex: Int { rest.count + 1 }

    /// The range at `position`.
    public subscript(position: Int) -> ClosedRange<UInt64> {
        position == 0 ? first : rest[position - 1]
    }
}

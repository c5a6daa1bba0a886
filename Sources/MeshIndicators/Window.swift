/// The last `capacity` values, oldest first, in a ring allocated once: appending never allocates.
struct Window: Sendable, Codable, Equatable {
    private var values: [Double]
    /// Where the oldest value is (once full).
    private var start = 0
    /// How many values it holds (at most `capacity`).
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity >= 1, "a window holds at least one value")
        values = [Double](repeating: 0, count: capacity)
    }

    var capacity: Int { values.count }
    var isFull: Bool { count == values.count }

    /// The value `age` appends ago (0: the newest).
    subscript(age age: Int) -> Double {
        precondition(age >= 0 && age < count, "no such value")
        var index = start + count - 1 - age
        if index >= values.count { index -= values.count }
        return values[index]
    }

    /// The value at `slot` of the storage, in the order TA-Lib's circular buffers keep (slots filled from 0 up, then
    /// each new value in the oldest one's): some of its sums run in this order, not oldest first.
    subscript(slot slot: Int) -> Double { values[slot] }

    /// The oldest value held.
    var oldest: Double { self[age: count - 1] }

    /// Appends `value`, dropping the oldest when full.
    mutating func append(_ value: Double) {
        if count < values.count {
            var index = start + count
            if index >= values.count { index -= values.count }
            values[index] = value
            count += 1
        } else {
            values[start] = value
            start += 1
            if start == values.count { start = 0 }
        }
    }
}

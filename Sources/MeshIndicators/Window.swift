/// The last `capacity` values, oldest first, in a ring allocated once: appending never allocates.
///
/// An indicator that runs many updates in a row (a batch) borrows the storage once as a `Ring` (`withRing`) rather
/// than paying a uniqueness check and bounds checks on every append; `append` itself is a borrow for one value, so
/// that the ring's logic is written once.
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
    @inline(__always)
    subscript(age age: Int) -> Double {
        precondition(age >= 0 && age < count, "no such value")
        return values[Ring.index(ofAge: age, start: start, count: count, capacity: values.count)]
    }

    /// The value at `slot` of the storage, in the order TA-Lib's circular buffers keep (slots filled from 0 up, then
    /// each new value in the oldest one's): some of its sums run in this order, not oldest first.
    subscript(slot slot: Int) -> Double { values[slot] }

    /// The oldest value held.
    @inline(__always)
    var oldest: Double { self[age: count - 1] }

    /// Appends `value`, dropping the oldest when full.
    @inline(__always)
    mutating func append(_ value: Double) { withRing { $0.append(value) } }

    /// Runs `body` with the storage lent as a `Ring` (valid only inside `body`); what `body` appends stays.
    @inline(__always)
    mutating func withRing<Result, Failure: Error>(
        _ body: (inout Ring) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var (start, count) = (self.start, self.count)
        defer { (self.start, self.count) = (start, count) }
        return try values.withUnsafeMutableBufferPointer { storage throws(Failure) in
            var ring = Ring(storage: storage, start: start, count: count)
            defer { (start, count) = (ring.start, ring.count) }
            return try body(&ring)
        }
    }

    /// A window's storage while `withRing` lends it: the ring's logic, with no uniqueness or bounds checks.
    struct Ring {
        private let storage: UnsafeMutableBufferPointer<Double>
        /// Where the oldest value is (once full).
        fileprivate private(set) var start: Int
        /// How many values it holds.
        fileprivate(set) var count: Int

        fileprivate init(storage: UnsafeMutableBufferPointer<Double>, start: Int, count: Int) {
            (self.storage, self.start, self.count) = (storage, start, count)
        }

        @inline(__always)
        var isFull: Bool { count == storage.count }

        /// The value `age` appends ago (0: the newest), `0..<count`.
        @inline(__always)
        subscript(age age: Int) -> Double {
            storage[Self.index(ofAge: age, start: start, count: count, capacity: storage.count)]
        }

        /// The oldest value held (`start` stays 0 until the window is full).
        @inline(__always)
        var oldest: Double { storage[start] }

        /// Appends `value`, dropping the oldest when full.
        @inline(__always)
        mutating func append(_ value: Double) {
            if count < storage.count {
                storage[Self.index(ofAge: -1, start: start, count: count, capacity: storage.count)] = value
                count += 1
            } else {
                storage[start] = value
                start += 1
                if start == storage.count { start = 0 }
            }
        }

        /// Leaves the ring as appending each of `values` in turn would, writing only the last `capacity` of them (the
        /// appends before those move the ring along, and every value they would write is overwritten): a batch that
        /// read its leaving values from its inputs brings the ring up to date with it at the end.
        @inline(__always)
        mutating func append(eachOf values: UnsafeBufferPointer<Double>) {
            let skipped = max(0, values.count - storage.count)
            let filling = min(skipped, storage.count - count)
            count += filling
            start = (start + skipped - filling) % storage.count
            for index in skipped..<values.count { append(values[index]) }
        }

        /// Where the value `age` appends ago is stored (−1: where the next goes while not full).
        @inline(__always)
        fileprivate static func index(ofAge age: Int, start: Int, count: Int, capacity: Int) -> Int {
            var index = start + count - 1 - age
            if index >= capacity { index -= capacity }
            return index
        }
    }
}

import MeshCore

/// The peer table's deadlines, one per slot, in a binary min-heap that knows where each slot sits in it, so that a
/// slot's deadline changes in O(log n) and the earliest is read in O(1).
///
/// A seed holds sessions with thousands of peers, and the endpoint reads its earliest deadline after every input:
/// a scan over every slot made each packet cost O(peers) (in a 10,000-node simulation the seeds spent most of the
/// run there). Hand-written: swift-collections' `Heap` cannot change or remove an element in place.
struct DeadlineHeap {
    /// Slots with a deadline, heap-ordered by (deadline, slot).
    private var heap: [Int] = []
    /// Each slot's index in `heap`, or -1.
    private var position: [Int] = []
    /// Each slot's deadline (meaningful while it is in the heap).
    private var deadline: [Instant] = []

    /// The earliest deadline.
    var earliest: Instant? { heap.first.map { deadline[$0] } }

    /// Sets `slot`'s deadline (nil: none).
    mutating func set(_ slot: Int, _ value: Instant?) {
        while position.count <= slot {
            position.append(-1)
            deadline.append(Instant(nanosecondsSinceEpoch: 0))
        }
        let index = position[slot]
        guard let value else {
            if index >= 0 { remove(at: index) }
            return
        }
        if index < 0 {
            deadline[slot] = value
            heap.append(slot)
            position[slot] = heap.count - 1
            siftUp(heap.count - 1)
        } else {
            let old = deadline[slot]
            deadline[slot] = value
            if value < old { siftUp(index) } else if value > old { siftDown(index) }
        }
    }

    /// The slots whose deadline is at or before `now`, in no particular order.
    ///
    /// Complexity: O(k) for k due slots (the heap is walked only below due entries).
    func due(at now: Instant) -> [Int] {
        var result: [Int] = []
        var stack = heap.isEmpty ? [] : [0]
        while let index = stack.popLast() {
            let slot = heap[index]
            guard deadline[slot] <= now else { continue }
            result.append(slot)
            let left = 2 * index + 1
            if left < heap.count { stack.append(left) }
            if left + 1 < heap.count { stack.append(left + 1) }
        }
        return result
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        let (slotA, slotB) = (heap[a], heap[b])
        return (deadline[slotA], slotA) < (deadline[slotB], slotB)
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        position[heap[a]] = a
        position[heap[b]] = b
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        while index > 0 {
            let parent = (index - 1) / 2
            guard less(index, parent) else { return }
            swapAt(index, parent)
            index = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        while true {
            let left = 2 * index + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count && less(left + 1, left) { smallest = left + 1 }
            guard less(smallest, index) else { return }
            swapAt(index, smallest)
            index = smallest
        }
    }

    private mutating func remove(at index: Int) {
        let slot = heap[index]
        let last = heap.count - 1
        if index != last { swapAt(index, last) }
        heap.removeLast()
        position[slot] = -1
        if index < heap.count {
            siftDown(index)
            siftUp(index)
        }
    }
}

import MeshCore
import Testing

@testable import MeshTransport

/// The peer table's deadline heap against a plain array, under random sets and removals.
@Suite struct DeadlineHeapTests {
    @Test("the earliest and the due slots always match a brute-force scan", arguments: [UInt64(1), 2, 3, 4])
    func matchesBruteForce(seed: UInt64) {
        var generator = Xoshiro256StarStar(seed: seed)
        var heap = DeadlineHeap()
        var plain: [Int: Instant] = [:]
        for step in 0..<5000 {
            let slot = Int(generator.next() % 200)
            if generator.next() % 4 == 0 {
                heap.set(slot, nil)
                plain[slot] = nil
            } else {
                let value = Instant(nanosecondsSinceEpoch: Int64(generator.next() % 1000))
                heap.set(slot, value)
                plain[slot] = value
            }
            #expect(heap.earliest == plain.values.min(), "step \(step)")
            let now = Instant(nanosecondsSinceEpoch: Int64(generator.next() % 1000))
            if step % 50 == 0 {
                #expect(Set(heap.due(at: now)) == Set(plain.filter { $0.value <= now }.keys), "step \(step)")
            }
        }
        for slot in 0..<200 { heap.set(slot, nil) }
        #expect(heap.earliest == nil && heap.due(at: Instant(nanosecondsSinceEpoch: .max)).isEmpty)
    }
}
